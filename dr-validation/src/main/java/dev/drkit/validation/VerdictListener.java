package dev.drkit.validation;

import dev.drkit.core.HealthVerdict;
import dev.drkit.core.spi.Site;

/**
 * Told when a {@link FailureDetector}'s verdict changes (SUSPECT to PRIMARY_DEGRADED, DOWN to a
 * failover decision, HEALTHY back to PRIMARY_ACTIVE). Called on the probing thread: be quick. To
 * feed a failover engine use {@link EngineVerdictBridge}, which hands the verdicts over on an
 * executor (a failover must not run on the probing thread). An exception is logged and ignored.
 */
@FunctionalInterface
public interface VerdictListener {
  /**
   * @param service the protected service whose health changed
   * @param site the watched site
   * @param previous the verdict before
   * @param current the verdict now
   * @param cause the probe that changed it
   */
  void onVerdict(String service, Site site, HealthVerdict previous, HealthVerdict current, ProbeOutcome cause);
}
