package dev.drkit.validation.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * An unbounded executor whose {@link #execute(Runnable)} returns only once the task has begun
 * running on its thread. A test that cuts a check off at a short timeout uses it so that the check
 * really runs before the timeout starts counting, however slowly a loaded machine starts threads;
 * without it, a check never started before its cut-off would make "it was interrupted" or "it is
 * still hanging" asserts flaky.
 */
public final class StartConfirmingExecutor extends ForwardingExecutorService {
  /** An executor on a cached pool of daemon threads. */
  public StartConfirmingExecutor() {
    super(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "start-confirming-test-pool");
      t.setDaemon(true);
      return t;
    }));
  }

  @Override
  public void execute(Runnable command) {
    CountDownLatch started = new CountDownLatch(1);
    delegate.execute(() -> {
      started.countDown();
      command.run();
    });
    try {
      started.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RejectedExecutionException("interrupted while waiting for a task to start", e);
    }
  }
}
