package dev.drkit.core.failover;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

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
 * @param budget the phase's time budget ({@link Duration#ZERO} when unknown)
 * @param budgetBreached whether the run ended past the budget: a missed objective (a phase past its
 *     point of no return completes anyway, see docs/failover.md)
 * @param servingSite the site that served when the run ended (unfenced, promoted and receiving
 *     traffic), or {@code null} when none did
 */
public record PhaseRecord(FailoverState phase, long epoch, Instant started, Instant ended, String outcome,
    String detail, Duration budget, boolean budgetBreached, @Nullable Site servingSite) {
  /** Validates. */
  public PhaseRecord {
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(ended, "ended");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(budget, "budget");
  }

  /**
   * A record without budget or serving site (kept for callers written before they existed).
   *
   * @param phase FAILING_OVER, VALIDATING or FAILING_BACK
   * @param epoch the epoch at the end of the run
   * @param started when the phase was entered
   * @param ended when the run ended
   * @param outcome {@code succeeded}, {@code failed}, {@code aborted} or {@code interrupted}
   * @param detail why it ended so
   */
  public PhaseRecord(FailoverState phase, long epoch, Instant started, Instant ended, String outcome,
      String detail) {
    this(phase, epoch, started, ended, outcome, detail, Duration.ZERO, false, null);
  }

  /** @return how long the run took */
  public Duration duration() {
    return Duration.between(started, ended);
  }
}
