package dev.drkit.core.orchestrator;

import dev.drkit.core.FailoverState;
import dev.drkit.core.failover.PhaseRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One phase of one service in a recovery report.
 *
 * @param phase FAILING_OVER, VALIDATING or FAILING_BACK
 * @param epoch the epoch at its end
 * @param started when it was entered
 * @param ended when it ended
 * @param duration how long it took
 * @param budget its time budget (from the RTO)
 * @param withinBudget whether it ended within the budget
 * @param outcome succeeded, failed, aborted or interrupted
 * @param detail why it ended so
 */
public record PhaseReport(FailoverState phase, long epoch, Instant started, Instant ended, Duration duration,
    Duration budget, boolean withinBudget, String outcome, String detail) {
  /** Validates. */
  public PhaseReport {
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(ended, "ended");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /**
   * @param r the engine's record
   * @param budget the phase's budget
   * @return the report of it
   */
  public static PhaseReport of(PhaseRecord r, Duration budget) {
    Duration d = r.duration();
    return new PhaseReport(r.phase(), r.epoch(), r.started(), r.ended(), d, budget, d.compareTo(budget) <= 0,
        r.outcome(), r.detail());
  }
}
