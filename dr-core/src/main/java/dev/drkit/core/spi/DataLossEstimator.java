package dev.drkit.core.spi;

import java.time.Duration;

/**
 * Estimates how much recent data a failover to {@code target} would lose now: the replication lag
 * in time and, where no replica is usable, the age of the newest backup. Feeds the RPO gate:
 * automatic failover is refused when the estimate exceeds the service's RPO. Must be fast and
 * thread-safe.
 */
@FunctionalInterface
public interface DataLossEstimator {
  /**
   * @param service the name of the protected service
   * @param target the site that would be promoted
   * @return the estimated window of lost writes; {@link Duration#ZERO} for none
   */
  Duration estimate(String service, Site target);

  /** @return an estimator that always reports no loss (for synchronous replication or tests) */
  static DataLossEstimator none() {
    return (service, target) -> Duration.ZERO;
  }
}
