package dev.drkit.examples.drill.internal;

import dev.drkit.core.DetectionPolicy;
import dev.drkit.core.HealthVerdict;

/** Declares a site down after {@code n} consecutive failed probes; one success resets the count. */
public final class ConsecutiveFailures implements DetectionPolicy {
  private final int threshold;
  private int failures;

  /** @param threshold consecutive failures that declare the site down, {@code >= 1} */
  public ConsecutiveFailures(int threshold) {
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold must be >= 1 but was " + threshold);
    }
    this.threshold = threshold;
  }

  @Override
  public synchronized HealthVerdict record(boolean healthy, long monotonicNanos) {
    failures = healthy ? 0 : failures + 1;
    return verdict(monotonicNanos);
  }

  @Override
  public synchronized HealthVerdict verdict(long monotonicNanos) {
    return failures == 0 ? HealthVerdict.HEALTHY : failures >= threshold ? HealthVerdict.DOWN : HealthVerdict.SUSPECT;
  }

  @Override
  public synchronized void reset() {
    failures = 0;
  }
}
