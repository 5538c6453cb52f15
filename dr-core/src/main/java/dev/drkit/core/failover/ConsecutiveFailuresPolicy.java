package dev.drkit.core.failover;

import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.HealthVerdict;

/**
 * The simplest flap-damped {@link DetectionPolicy}: {@code failuresToDown} consecutive failed
 * probes declare the site DOWN; fewer failures make it SUSPECT; once suspect or down, it is
 * HEALTHY again only after {@code successesToHealthy} consecutive passing probes (a single good
 * probe between failures does not clear the suspicion). Thread-safe.
 */
public final class ConsecutiveFailuresPolicy implements DetectionPolicy {
  private final int failuresToDown;
  private final int successesToHealthy;
  private int failures;
  private int successes;
  private HealthVerdict verdict = HealthVerdict.HEALTHY;

  /**
   * @param failuresToDown consecutive failures that declare the site down, {@code >= 1}
   * @param successesToHealthy consecutive successes that clear a suspect or down site, {@code >= 1}
   * @throws IllegalArgumentException when a count is below 1
   */
  public ConsecutiveFailuresPolicy(int failuresToDown, int successesToHealthy) {
    if (failuresToDown < 1) {
      throw new IllegalArgumentException("failuresToDown must be >= 1 but was " + failuresToDown);
    }
    if (successesToHealthy < 1) {
      throw new IllegalArgumentException("successesToHealthy must be >= 1 but was " + successesToHealthy);
    }
    this.failuresToDown = failuresToDown;
    this.successesToHealthy = successesToHealthy;
  }

  /** @return a policy declaring down after 3 consecutive failures and healthy after 2 successes */
  public static ConsecutiveFailuresPolicy ofDefaults() {
    return new ConsecutiveFailuresPolicy(3, 2);
  }

  @Override
  public synchronized HealthVerdict record(boolean healthy, long monotonicNanos) {
    if (healthy) {
      failures = 0;
      successes++;
      if (verdict != HealthVerdict.HEALTHY && successes >= successesToHealthy) {
        verdict = HealthVerdict.HEALTHY;
      }
    } else {
      successes = 0;
      failures++;
      verdict = failures >= failuresToDown ? HealthVerdict.DOWN
          : verdict == HealthVerdict.DOWN ? HealthVerdict.DOWN : HealthVerdict.SUSPECT;
    }
    return verdict;
  }

  @Override
  public synchronized HealthVerdict verdict(long monotonicNanos) {
    return verdict;
  }

  @Override
  public synchronized void reset() {
    failures = 0;
    successes = 0;
    verdict = HealthVerdict.HEALTHY;
  }

  @Override
  public String toString() {
    return "ConsecutiveFailuresPolicy{down after " + failuresToDown + " failures, healthy after "
        + successesToHealthy + " successes}";
  }
}
