package dev.drkit.core.spi;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides which drkit instance may act. With one process the built-in single-process
 * coordinator always grants leadership; across machines, ZooKeeper does (integrations/dr-zookeeper).
 *
 * <p>Contract: thread-safe; at most one valid {@link Lease} exists at any time among all instances
 * sharing a coordinator, and tokens of successive terms strictly increase. When leadership may have
 * been lost (a suspended or expired session), the lease becomes invalid before any other instance
 * can obtain one.
 */
public interface Coordinator extends AutoCloseable {
  /**
   * Waits for leadership.
   *
   * @param timeout how long to wait
   * @return the lease, or empty when the timeout passed first
   * @throws InterruptedException when interrupted while waiting
   */
  Optional<Lease> awaitLeadership(Duration timeout) throws InterruptedException;

  /** @return the current lease if this instance holds a valid one */
  Optional<Lease> currentLease();

  /** Gives up leadership (if held) and releases resources. */
  @Override
  void close();
}
