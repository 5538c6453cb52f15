package dev.drkit.zookeeper;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.listen.StandardListenerManager;
import org.apache.curator.framework.listen.UnaryListenerManager;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** Shared helpers: a real ZooKeeper server on 127.0.0.1 with a short tick, bounded polling. */
final class ZkTesting {
  /** ZooKeeper's tick: sessions are expired at this granularity; min session = 2 ticks. */
  static final int TICK_MS = 50;
  private static final AtomicInteger GROUPS = new AtomicInteger();

  private ZkTesting() {}

  static TestingServer startServer() throws Exception {
    System.setProperty("zookeeper.admin.enableServer", "false");
    InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, 1, TICK_MS, 0,
        Map.of("clientPortAddress", "127.0.0.1", "maxSessionTimeout", "60000"), "127.0.0.1");
    return new TestingServer(spec, true);
  }

  static String uniqueGroup() {
    return "g" + GROUPS.incrementAndGet();
  }

  /** A started client with few, quick retries so that failures surface within a test's budget. */
  static CuratorFramework client(String connectString, Duration session) {
    CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connectString)
        .sessionTimeoutMs((int) session.toMillis()).connectionTimeoutMs((int) session.toMillis())
        .retryPolicy(new RetryNTimes(3, 100)).build();
    c.start();
    return c;
  }

  /** A started client whose connection-state events can be held back, as in a frozen process. */
  static CuratorFramework freezableClient(String connectString, Duration session, FreezableEvents events) {
    CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connectString)
        .sessionTimeoutMs((int) session.toMillis()).connectionTimeoutMs((int) session.toMillis())
        .retryPolicy(new RetryNTimes(3, 100))
        .connectionStateListenerManagerFactory(client -> events).build();
    c.start();
    return c;
  }

  /**
   * Waits (with Awaitility) until {@code condition} holds or {@code timeout} passes: a bounded wait on
   * real servers and threads, not a sleep standing in for an outcome.
   *
   * @return whether the condition held in time
   */
  static boolean await(Duration timeout, BooleanSupplier condition) {
    try {
      Awaitility.await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
          .until(condition::getAsBoolean);
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /**
   * Delivers Curator connection-state events like the standard manager, except that while frozen
   * the delivering thread blocks: listeners see nothing, as in a process stopped by a GC pause.
   */
  static final class FreezableEvents implements UnaryListenerManager<ConnectionStateListener> {
    private final StandardListenerManager<ConnectionStateListener> delegate = StandardListenerManager.standard();
    private final Object lock = new Object();
    private boolean frozen;

    void freeze() {
      synchronized (lock) {
        frozen = true;
      }
    }

    void thaw() {
      synchronized (lock) {
        frozen = false;
        lock.notifyAll();
      }
    }

    @Override
    public void forEach(Consumer<ConnectionStateListener> function) {
      synchronized (lock) {
        while (frozen) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      delegate.forEach(function);
    }

    @Override
    public void addListener(ConnectionStateListener listener) {
      delegate.addListener(listener);
    }

    @Override
    public void addListener(ConnectionStateListener listener, Executor executor) {
      delegate.addListener(listener, executor);
    }

    @Override
    public void removeListener(ConnectionStateListener listener) {
      delegate.removeListener(listener);
    }

    @Override
    public void clear() {
      delegate.clear();
    }

    @Override
    public int size() {
      return delegate.size();
    }
  }
}
