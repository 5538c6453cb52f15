package dev.drkit.core;

import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of validating one service on one site: every step's result.
 *
 * @param service the name of the service that was validated
 * @param site the validated site
 * @param epoch the epoch validated under
 * @param started when validation started
 * @param duration how long it took
 * @param steps each step's result, in order
 */
public record ValidationReport(String service, Site site, long epoch, Instant started, Duration duration,
    List<StepResult> steps) {
  /** Validates and copies. */
  public ValidationReport {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(site, "site");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(duration, "duration");
    steps = List.copyOf(steps);
  }

  /** @return whether every step passed (true for a service without steps) */
  public boolean passed() {
    return steps.stream().allMatch(StepResult::passed);
  }
}
