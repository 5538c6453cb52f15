package dev.drkit.core.failover;

import java.time.Duration;

/**
 * Waits for a duration: the engine's only way to let time pass (between retries, while draining
 * replication before a planned switch). Injected so that tests advance a fake clock instead of
 * sleeping.
 */
@FunctionalInterface
public interface Sleeper {
  /** Sleeps on the calling thread with {@link Thread#sleep(long)}. */
  Sleeper SYSTEM = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

  /**
   * @param duration how long to wait (never negative)
   * @throws InterruptedException when interrupted while waiting
   */
  void sleep(Duration duration) throws InterruptedException;
}
