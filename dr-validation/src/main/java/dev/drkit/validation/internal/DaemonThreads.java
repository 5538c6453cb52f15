package dev.drkit.validation.internal;

import dev.drkit.core.internal.DrkitThreads;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Threads for running checks that may have to be abandoned: a cached pool of daemon threads, the
 * JDK 17 stand-in for virtual threads. A check that hangs and ignores interruption keeps its thread
 * but never the caller, and never the JVM's exit.
 */
public final class DaemonThreads {
  private static final ExecutorService SHARED = newCachedPool("drkit-check");

  private DaemonThreads() {}

  /** @return the process-wide pool that runs checks unless the host supplies its own */
  public static ExecutorService shared() {
    return SHARED;
  }

  /**
   * @param prefix the threads' name prefix
   * @return a new unbounded cached pool of daemon threads (idle threads die after 60 s)
   */
  public static ExecutorService newCachedPool(String prefix) {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
        factory(prefix));
  }

  /**
   * @param prefix the threads' name prefix
   * @return a factory of daemon threads named {@code prefix-N}
   */
  public static ThreadFactory factory(String prefix) {
    return DrkitThreads.daemon(prefix);
  }
}
