package dev.drkit.validation.testing;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An executor service whose life cycle (shutdown, termination) is its delegate's; a test subclass
 * says only how a task is handed over, in {@link #execute(Runnable)}.
 */
public abstract class ForwardingExecutorService extends AbstractExecutorService {
  /** Runs the tasks and owns the threads. */
  protected final ExecutorService delegate;

  /** @param delegate runs the tasks; shut down with this executor */
  protected ForwardingExecutorService(ExecutorService delegate) {
    this.delegate = delegate;
  }

  @Override
  public void shutdown() {
    delegate.shutdown();
  }

  @Override
  public List<Runnable> shutdownNow() {
    return delegate.shutdownNow();
  }

  @Override
  public boolean isShutdown() {
    return delegate.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return delegate.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return delegate.awaitTermination(timeout, unit);
  }
}
