package dev.drkit.validation;

import dev.drkit.core.spi.HealthCheck;

/**
 * Builds a {@link HealthCheck} of one type from a plan's parameters. A factory reads every
 * parameter it accepts through {@link CheckParams}' accessors (which record problems naming the
 * field instead of throwing), then calls {@link CheckParams#ensureValid()} before constructing the
 * check, so that plan loading reports every problem of a check at once. Creation must be cheap and
 * free of side effects (no connections): the same factory validates plans.
 */
@FunctionalInterface
public interface CheckFactory {
  /**
   * @param params the check's parameters
   * @return the check
   * @throws dev.drkit.core.ConfigException naming each invalid or unknown parameter
   */
  HealthCheck create(CheckParams params);
}
