package dev.drkit.backup.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link TaskScheduler} on a {@link ScheduledExecutorService}; see {@link TaskScheduler#of}. */
final class ExecutorTaskScheduler implements TaskScheduler {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorTaskScheduler.class);
  static final Duration MAX_SLEEP = Duration.ofMinutes(1);

  private final ScheduledExecutorService executor;
  private final Clock clock;

  ExecutorTaskScheduler(ScheduledExecutorService executor, Clock clock) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public ScheduledTask schedule(Instant at, Runnable task) {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(task, "task");
    Handle h = new Handle(at, task);
    h.arm();
    return h;
  }

  private final class Handle implements ScheduledTask {
    private final Instant at;
    private final Runnable task;
    private volatile boolean cancelled;
    private volatile boolean started;
    private volatile @Nullable ScheduledFuture<?> future;

    Handle(Instant at, Runnable task) {
      this.at = at;
      this.task = task;
    }

    void arm() {
      Duration wait = Duration.between(clock.instant(), at);
      if (wait.compareTo(MAX_SLEEP) > 0) {
        wait = MAX_SLEEP;
      }
      long nanos = Math.max(0, wait.toNanos());
      try {
        future = executor.schedule(this::wake, nanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        LOG.debug("executor shut down; task for {} dropped", at);
      }
    }

    private void wake() {
      if (cancelled) {
        return;
      }
      if (clock.instant().isBefore(at)) {
        arm();
        return;
      }
      started = true;
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("scheduled task for {} failed", at, e);
      }
    }

    @Override
    public boolean cancel() {
      if (started || cancelled) {
        return false;
      }
      cancelled = true;
      ScheduledFuture<?> f = future;
      if (f != null) {
        f.cancel(false);
      }
      return true;
    }
  }
}
