package dev.drkit.core.spi;

import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.ValidationReport;

/**
 * Runs a service's {@link dev.drkit.core.config.ValidationStep}s against one site: the gate of the
 * VALIDATING phase after a failover and of the primary's validation before a failback.
 * dr-validation provides the standard implementation.
 *
 * <p>Contract: thread-safe; returns within the sum of the steps' timeouts plus a small overhead
 * even when checks hang; never throws for a failing check (a failing, throwing, hanging or
 * null-returning check is a failed {@link dev.drkit.core.CheckResult}); throws
 * {@link InterruptedException} when interrupted.
 */
@FunctionalInterface
public interface ServiceValidator {
  /**
   * @param config the service, whose {@link RecoveryConfig#validation()} steps are run in order
   * @param site the site to validate
   * @param epoch the epoch in force
   * @return every step's result
   * @throws InterruptedException when interrupted
   */
  ValidationReport validate(RecoveryConfig config, Site site, long epoch) throws InterruptedException;
}
