package dev.drkit.spring;

import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.spi.HealthCheck;
import org.jspecify.annotations.Nullable;

/**
 * Declared as a bean by the application to have the starter watch each service's primary with a
 * {@code FailureDetector} (dr-validation on the classpath) whose verdicts reach the service's
 * engine through an {@code EngineVerdictBridge}.
 */
@FunctionalInterface
public interface DrkitProbes {
  /**
   * @param service a service of the plan
   * @return the probe of its primary, or null to not watch it
   */
  @Nullable HealthCheck primaryCheck(RecoveryConfig service);
}
