package dev.drkit.validation.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scheduler driven by a fake monotonic clock: {@link #advance} moves the time and runs, on the
 * calling thread, every task that falls due, in time order. Only what the detector uses is
 * supported (fixed-delay and one-shot scheduling).
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final AtomicLong nanos;
  private final List<Task> tasks = new ArrayList<>();
  private boolean shutdown;

  /** @param nanos the fake monotonic time this scheduler advances */
  public ManualScheduler(AtomicLong nanos) {
    this.nanos = nanos;
  }

  /** @return the current fake time */
  public long now() {
    return nanos.get();
  }

  /**
   * Advances time by {@code amount}, running due tasks at their due times.
   *
   * @param amount how far
   * @param unit the unit
   */
  public void advance(long amount, TimeUnit unit) {
    long target = nanos.get() + unit.toNanos(amount);
    while (true) {
      Task next = null;
      for (Task t : tasks) {
        if (!t.cancelled && t.due <= target && (next == null || t.due < next.due)) {
          next = t;
        }
      }
      if (next == null) {
        break;
      }
      nanos.set(Math.max(nanos.get(), next.due));
      next.command.run();
      if (next.period > 0) {
        next.due = nanos.get() + next.period;
      } else {
        next.cancelled = true;
        next.done = true;
      }
    }
    nanos.set(target);
  }

  /** A scheduled task. */
  private final class Task implements ScheduledFuture<Object> {
    final Runnable command;
    final long period;
    long due;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Runnable command, long due, long period) {
      this.command = command;
      this.due = due;
      this.period = period;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - nanos.get(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }
  }

  private synchronized Task add(Runnable r, long delay, long period, TimeUnit unit) {
    Task t = new Task(r, nanos.get() + unit.toNanos(delay), unit.toNanos(period));
    tasks.add(t);
    return t;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(command, delay, 0, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    return add(command, initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return add(command, initialDelay, delay, unit);
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }

  @Override
  public void execute(Runnable command) {
    command.run();
  }
}
