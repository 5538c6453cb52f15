package dev.drkit.core;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/**
 * The application's say in the threads drkit creates for itself.
 *
 * <p>Components that take a {@link ThreadFactory} or an executor in their builder (the failover
 * engine's leadership thread, the orchestrator's wave pool, the failure detector's scheduler and
 * probes, the verdict bridge, the replication log's scheduler, the ZooKeeper coordinator's
 * heartbeat, the backup scheduler's {@code TaskScheduler}) use what they are given. Every other
 * thread drkit starts (the backup repository's lock refresher, upload, restore and file-opening
 * pools, the replication shipper and TCP transport threads, a rebuild's read-ahead thread), and the
 * components above when given nothing, comes from the factory set here, when one is set: set it
 * once at start-up, before building drkit components, to run all of them on virtual threads or on
 * threads that carry the application's context. drkit still names each thread ({@code drkit-...})
 * and marks it a daemon where the thread allows it (a virtual thread is always one).
 *
 * <p>Without a factory set here, drkit creates plain named platform threads.
 */
public final class DrkitThreading {
  private static volatile @Nullable ThreadFactory defaultFactory;

  private DrkitThreading() {}

  /**
   * Sets the factory of every thread drkit creates without a factory or executor of the component's
   * own; threads created earlier are not affected.
   *
   * @param factory the factory, for example {@code Thread.ofVirtual().factory()} on Java 21
   * @throws NullPointerException when {@code factory} is null
   */
  public static void setDefaultThreadFactory(ThreadFactory factory) {
    defaultFactory = Objects.requireNonNull(factory, "factory");
  }

  /** Goes back to plain platform threads for the threads created from now on. */
  public static void resetDefaultThreadFactory() {
    defaultFactory = null;
  }

  /** @return the factory set with {@link #setDefaultThreadFactory}, or {@code null} when none is set */
  public static @Nullable ThreadFactory defaultThreadFactory() {
    return defaultFactory;
  }
}
