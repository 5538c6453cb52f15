package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One validation step of a service: its checks run concurrently, each cut off at {@code timeout},
 * and the step passes when the fraction of passing checks reaches {@code threshold}.
 *
 * @param name the step's name, non-blank
 * @param checks the checks, at least one
 * @param threshold the fraction of checks that must pass, {@code 0 < threshold <= 1}
 * @param timeout how long the checks may take, positive
 */
public record ValidationStep(String name, List<CheckSpec> checks, double threshold, Duration timeout) {

  /**
   * Validates and copies.
   *
   * @throws ConfigException naming the field for a blank name, no checks, a threshold outside
   *     {@code (0, 1]} or a timeout that is not positive
   */
  public ValidationStep {
    List<ConfigException.Problem> problems = new ArrayList<>();
    if (name == null || name.isBlank()) {
      problems.add(ConfigException.Problem.of("name", "a validation step needs a non-blank name"));
    }
    if (checks == null || checks.isEmpty()) {
      problems.add(ConfigException.Problem.of("checks", "a validation step needs at least one check"));
    } else {
      for (int i = 0; i < checks.size(); i++) {
        if (checks.get(i) == null) {
          problems.add(ConfigException.Problem.of("checks[" + i + "]", "must not be null"));
        }
      }
    }
    if (!(threshold > 0.0 && threshold <= 1.0)) {
      problems.add(ConfigException.Problem.of("threshold",
          "must be in (0, 1] (the fraction of checks that must pass) but was " + threshold));
    }
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      problems.add(ConfigException.Problem.of("timeout", "must be a positive duration but was " + timeout));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    checks = List.copyOf(checks);
  }

  /**
   * @param name the step's name
   * @param timeout how long its checks may take
   * @param checks the checks; all must pass
   * @return a step with threshold 1
   */
  public static ValidationStep allOf(String name, Duration timeout, CheckSpec... checks) {
    return new ValidationStep(name, List.of(checks), 1.0, timeout);
  }
}
