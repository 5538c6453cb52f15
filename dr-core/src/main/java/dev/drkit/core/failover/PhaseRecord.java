package dev.drkit.core.failover;

import dev.drkit.core.FailoverState;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One run of a phase as this engine saw it (a phase resumed after a restart has one record per
 * process that ran part of it; {@code started} is then when the phase was entered).
 *
 * @param phase FAILING_OVER, VALIDATING or FAILING_BACK
 * @param epoch the epoch at the end of the run
 * @param started when the phase was entered
 * @param ended when the run ended
 * @param outcome {@code succeeded}, {@code failed}, {@code aborted} or {@code interrupted}
 * @param detail why it ended so
 */
public record PhaseRecord(FailoverState phase, long epoch, Instant started, Instant ended, String outcome,
    String detail) {
  /** Validates. */
  public PhaseRecord {
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(ended, "ended");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /** @return how long the run took */
  public Duration duration() {
    return Duration.between(started, ended);
  }
}
