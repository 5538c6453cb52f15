package dev.drkit.spring;

import dev.drkit.core.FailoverState;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.ServiceState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Health of the protected services: DOWN when any service is FAILED (an operator must act), UP
 * otherwise; the details name each service's state, epoch, active site, leadership and, with a
 * {@link DataLossEstimator} bean, the estimated data loss (replication lag) of a failover now.
 */
public final class DrkitHealthIndicator extends AbstractHealthIndicator {
  private final DrkitServices services;
  private final @Nullable DataLossEstimator estimator;

  /**
   * @param services the engines
   * @param estimator the data-loss estimate, or null
   */
  public DrkitHealthIndicator(DrkitServices services, @Nullable DataLossEstimator estimator) {
    super("drkit health check failed");
    this.services = Objects.requireNonNull(services, "services");
    this.estimator = estimator;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    boolean failed = false;
    for (Map.Entry<String, FailoverEngine> e : services.engines().entrySet()) {
      ServiceState s = e.getValue().state();
      failed |= s.state() == FailoverState.FAILED;
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("state", s.state().name());
      d.put("epoch", s.epoch());
      d.put("activeSite", s.activeSite().name());
      d.put("leadership", e.getValue().leadership().name());
      if (estimator != null) {
        d.put("lag", estimator.estimate(e.getKey(), s.activeSite().other()).toString());
      }
      builder.withDetail(e.getKey(), d);
    }
    if (failed) {
      builder.down();
    } else {
      builder.up();
    }
  }
}
