package dev.drkit.backup.schedule;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs tasks at instants of a {@link Clock}. The {@link BackupScheduler} never sleeps or reads the
 * system time itself; it asks one of these to wake it up, so that tests drive time with a manual
 * implementation and a fake clock.
 */
public interface TaskScheduler {
  /** @return the clock whose instants {@link #schedule} uses */
  Clock clock();

  /**
   * @param at when to run (a time in the past or now means as soon as possible)
   * @param task what to run; it must not block for long
   * @return a handle to cancel it
   */
  ScheduledTask schedule(Instant at, Runnable task);

  /** A task waiting to run. */
  interface ScheduledTask {
    /** @return whether it was cancelled before it ran */
    boolean cancel();
  }

  /**
   * A scheduler on a {@link ScheduledExecutorService} and a clock. It never sleeps longer than a
   * minute at a time and re-checks the clock on every wake-up, so a task still runs on time (by the
   * clock) after the machine was suspended or the clock was set forward.
   *
   * @param executor the executor that runs the tasks; the caller owns and shuts it down
   * @param clock where due times are read from (a fake clock in tests)
   * @return the scheduler
   */
  static TaskScheduler of(ScheduledExecutorService executor, Clock clock) {
    return new ExecutorTaskScheduler(executor, clock);
  }
}
