package dev.drkit.validation.testing;

import dev.drkit.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} driven by the shared {@link FakeClock}'s monotonic reading:
 * {@link #advance} moves the clock and runs, on the calling thread, every task that falls due, in
 * time order, each at its due time. A task's future completes when it
 * runs; {@code get()} on a task that has not run yet fails at once (with a manual scheduler nothing
 * else would ever run it, so blocking would only hang the test).
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final FakeClock clock;
  private final List<Task<?>> tasks = new ArrayList<>();
  private boolean shutdown;

  /** @param clock the fake clock whose {@link FakeClock#nanoTime()} this scheduler reads and advances */
  public ManualScheduler(FakeClock clock) {
    this.clock = clock;
  }

  /** @return the current fake time */
  public long now() {
    return clock.nanoTime();
  }

  /**
   * Advances time by {@code amount}, running due tasks at their due times.
   *
   * @param amount how far
   * @param unit the unit of {@code amount}
   */
  public void advance(long amount, TimeUnit unit) {
    long target = clock.nanoTime() + unit.toNanos(amount);
    while (true) {
      Task<?> next = null;
      for (Task<?> t : snapshot()) {
        if (!t.isDone() && t.due <= target && (next == null || t.due < next.due)) {
          next = t;
        }
      }
      if (next == null) {
        break;
      }
      clock.advance(Duration.ofNanos(Math.max(0, next.due - clock.nanoTime())));
      next.run();
      if (next.period > 0) {
        next.due = clock.nanoTime() + next.period;
      }
    }
    clock.advance(Duration.ofNanos(Math.max(0, target - clock.nanoTime())));
  }

  private synchronized List<Task<?>> snapshot() {
    return new ArrayList<>(tasks);
  }

  /** A scheduled task: a one-shot callable or a periodic runnable. */
  private final class Task<V> implements ScheduledFuture<V> {
    final Callable<V> command;
    final long period;
    long due;
    volatile boolean cancelled;
    volatile boolean done;
    private V result;
    private Throwable failure;

    Task(Callable<V> command, long due, long period) {
      this.command = command;
      this.due = due;
      this.period = period;
    }

    /** Runs the task once; a periodic task stays scheduled unless it throws, as with the JDK's. */
    void run() {
      try {
        V value = command.call();
        if (period <= 0) {
          result = value;
          done = true;
        }
      } catch (Exception e) {
        failure = e;
        done = true;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - clock.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
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
    public V get() throws ExecutionException {
      if (cancelled) {
        throw new CancellationException("task was cancelled");
      }
      if (!done) {
        throw new IllegalStateException("task has not run: advance the scheduler's time past its due time");
      }
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return result;
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }
  }

  private synchronized <V> Task<V> add(Callable<V> c, long delay, long period, TimeUnit unit) {
    Task<V> t = new Task<>(c, clock.nanoTime() + unit.toNanos(delay), unit.toNanos(period));
    tasks.add(t);
    return t;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(Executors.callable(command), delay, 0, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(callable, delay, 0, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    return add(Executors.callable(command), initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return add(Executors.callable(command), initialDelay, delay, unit);
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
