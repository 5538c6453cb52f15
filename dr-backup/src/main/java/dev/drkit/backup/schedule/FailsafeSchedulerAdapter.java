package dev.drkit.backup.schedule;

import dev.failsafe.spi.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** Lets Failsafe's retry delays run on a {@link TaskScheduler}, and so on the injected clock. */
final class FailsafeSchedulerAdapter implements Scheduler {
  private final TaskScheduler tasks;

  FailsafeSchedulerAdapter(TaskScheduler tasks) {
    this.tasks = tasks;
  }

  @Override
  public ScheduledFuture<?> schedule(Callable<?> callable, long delay, TimeUnit unit) {
    Instant at = tasks.clock().instant().plusNanos(unit.toNanos(delay));
    TaskFuture f = new TaskFuture(at);
    f.task = tasks.schedule(at, () -> {
      if (f.isDone()) {
        return;
      }
      try {
        f.complete(callable.call());
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  private final class TaskFuture extends CompletableFuture<Object> implements ScheduledFuture<Object> {
    private final Instant at;
    private volatile TaskScheduler.@Nullable ScheduledTask task;

    TaskFuture(Instant at) {
      this.at = at;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(tasks.clock().instant(), at).toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      TaskScheduler.ScheduledTask t = task;
      if (t != null) {
        t.cancel();
      }
      return super.cancel(mayInterruptIfRunning);
    }
  }
}
