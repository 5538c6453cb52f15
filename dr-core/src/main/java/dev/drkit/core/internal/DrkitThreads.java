package dev.drkit.core.internal;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one place drkit creates threads when the host supplies no {@link ThreadFactory} or executor
 * of its own: named, numbered threads with an explicit daemon flag. Every module routes its
 * {@code new Thread} through here, so a host that passes its own factory (virtual threads, context
 * propagation) to a component, or once to {@link dev.drkit.core.DrkitThreading}, replaces all of
 * them.
 */
public final class DrkitThreads {
  private DrkitThreads() {}

  /**
   * @param prefix the threads' name prefix
   * @return a factory of daemon threads named {@code prefix-N} (N from 1)
   */
  public static ThreadFactory daemon(String prefix) {
    return numbered(prefix, true);
  }

  /**
   * @param prefix the threads' name prefix
   * @param daemon whether the threads are daemon threads
   * @return a factory of threads named {@code prefix-N} (N from 1)
   */
  public static ThreadFactory numbered(String prefix, boolean daemon) {
    Objects.requireNonNull(prefix, "prefix");
    AtomicLong n = new AtomicLong();
    return r -> create(r, prefix + "-" + n.incrementAndGet(), daemon);
  }

  /**
   * @param name every thread's exact name
   * @param daemon whether the threads are daemon threads
   * @return a factory of threads all named {@code name}
   */
  public static ThreadFactory named(String name, boolean daemon) {
    Objects.requireNonNull(name, "name");
    return r -> create(r, name, daemon);
  }

  /**
   * Creates one thread (not started), with the application's default factory
   * ({@link dev.drkit.core.DrkitThreading}) when one is set, else as a plain platform thread.
   *
   * @param task what it runs
   * @param name its name
   * @param daemon whether it is a daemon thread
   * @return the thread
   */
  public static Thread create(Runnable task, String name, boolean daemon) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(name, "name");
    ThreadFactory host = dev.drkit.core.DrkitThreading.defaultThreadFactory();
    if (host == null) {
      Thread t = new Thread(task, name);
      t.setDaemon(daemon);
      return t;
    }
    Thread t = create(host, task, name);
    try {
      t.setDaemon(daemon);
    } catch (IllegalArgumentException virtualThread) {
      // a virtual thread is always a daemon thread and refuses setDaemon(false): keep it as it is
    }
    return t;
  }

  /**
   * Creates one thread with {@code factory} and names it, keeping the host's factory in charge of
   * everything else (thread kind, context, priority).
   *
   * @param factory the host's (or drkit's default) factory that creates the thread
   * @param task what it runs
   * @param name its name
   * @return the thread (not started)
   * @throws IllegalStateException when the factory returns null (it refused)
   */
  public static Thread create(ThreadFactory factory, Runnable task, String name) {
    Thread t = factory.newThread(task);
    if (t == null) {
      throw new IllegalStateException("the thread factory refused to create thread '" + name + "'");
    }
    t.setName(name);
    return t;
  }
}
