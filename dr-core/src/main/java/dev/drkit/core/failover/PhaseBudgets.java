package dev.drkit.core.failover;

import dev.drkit.core.FailoverState;
import java.time.Duration;
import java.util.Objects;

/**
 * How much of a service's RTO each phase may take: an objective, measured and reported. Only a
 * phase still before its point of no return (a failback before its {@code switch}: resync and
 * validation of the primary) is abandoned past its budget, with a {@code failover.budget.breached}
 * ERROR event and FAILED while the old site still serves. A phase past that point (it fenced the
 * serving site) completes; the breach is published as a WARN event, marked in its
 * {@link PhaseRecord#budgetBreached()} and persisted in the state (see docs/failover.md). A planned
 * switch's drain, which runs after the fence, waits at most the phase's budget from its own start
 * and then rolls back. The defaults give FAILING_OVER and VALIDATING half of the RTO each (together
 * the whole RTO from the failover decision to serving again) and FAILING_BACK the whole RTO.
 * REBUILDING always has the whole RTO (it is the only phase between the loss and serving again).
 *
 * @param failingOver fraction of the RTO for FAILING_OVER, in (0, 10]
 * @param validating fraction of the RTO for VALIDATING, in (0, 10]
 * @param failingBack fraction of the RTO for FAILING_BACK, in (0, 10]
 */
public record PhaseBudgets(double failingOver, double validating, double failingBack) {
  /** Validates. */
  public PhaseBudgets {
    check("failingOver", failingOver);
    check("validating", validating);
    check("failingBack", failingBack);
  }

  private static void check(String field, double v) {
    if (!(v > 0 && v <= 10)) {
      throw new IllegalArgumentException("phase budget fraction '" + field + "' must be in (0, 10] but was " + v);
    }
  }

  /** @return the defaults: 0.5, 0.5, 1.0 */
  public static PhaseBudgets ofDefaults() {
    return new PhaseBudgets(0.5, 0.5, 1.0);
  }

  /**
   * @param phase FAILING_OVER, VALIDATING, FAILING_BACK or REBUILDING
   * @param rto the service's RTO
   * @return the phase's budget
   * @throws IllegalArgumentException for a state that is not a phase
   */
  public Duration budget(FailoverState phase, Duration rto) {
    Objects.requireNonNull(rto, "rto");
    double f = switch (phase) {
      case FAILING_OVER -> failingOver;
      case VALIDATING -> validating;
      case FAILING_BACK -> failingBack;
      // A rebuild restores the service from nothing: it has the whole RTO.
      case REBUILDING -> 1.0;
      case PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED ->
          throw new IllegalArgumentException(phase + " is not a phase with a budget");
    };
    return Duration.ofNanos((long) (rto.toNanos() * f));
  }
}
