package dev.drkit.core.config;

import dev.drkit.core.HealthVerdict;

/**
 * Turns a stream of probe outcomes of one site into a {@link HealthVerdict}, with flap damping:
 * a single failed probe must not declare a site down. Built-in policies: consecutive failures
 * (dr-core), failure-rate window and phi accrual (dr-validation).
 *
 * <p>Time is a monotonic nanosecond reading ({@link System#nanoTime()} or a test's fake), never the
 * wall clock, so that a clock jump cannot cause a false failover. One instance watches one site;
 * implementations are thread-safe.
 */
public interface DetectionPolicy {
  /**
   * Records one probe outcome.
   *
   * @param healthy whether the probe passed
   * @param monotonicNanos when it completed, on a monotonic time source
   * @return the verdict after this outcome
   */
  HealthVerdict record(boolean healthy, long monotonicNanos);

  /**
   * @param monotonicNanos the current monotonic time (policies such as phi accrual decay with time)
   * @return the verdict now
   */
  HealthVerdict verdict(long monotonicNanos);

  /** Forgets all history, for example after a failover moved the service to another site. */
  void reset();
}
