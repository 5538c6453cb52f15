package dev.drkit.replication.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** How this module's tests wait for another thread: Awaitility, named, polling every few milliseconds. */
public final class Waits {
  /** The most a test waits for a condition (long: a loaded machine is slow, a passing test never waits it out). */
  public static final Duration AT_MOST = Duration.ofSeconds(30);

  private Waits() {}

  /**
   * @param what what is awaited, named in the timeout's message
   * @return an Awaitility condition factory: {@code eventually("x").until(() -> ...)}
   */
  public static ConditionFactory eventually(String what) {
    return Awaitility.await(what).atMost(AT_MOST).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
  }
}
