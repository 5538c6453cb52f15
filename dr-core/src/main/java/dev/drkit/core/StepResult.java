package dev.drkit.core;

import dev.drkit.core.config.ValidationStep;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one {@link ValidationStep}.
 *
 * @param name the step's name
 * @param passed whether the fraction of passing checks reached the threshold
 * @param passedFraction the fraction of checks that passed
 * @param threshold the step's threshold
 * @param duration how long the step ran
 * @param checks each check's result, in declaration order
 */
public record StepResult(String name, boolean passed, double passedFraction, double threshold, Duration duration,
    List<CheckResult> checks) {
  /** Validates and copies. */
  public StepResult {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(duration, "duration");
    checks = List.copyOf(checks);
  }
}
