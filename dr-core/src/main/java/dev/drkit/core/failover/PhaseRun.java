package dev.drkit.core.failover;

import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One run of a phase by this engine: the leadership term it acts under (pinned: a term that ends
 * is never replaced by a later one mid-run), its budget, and whether the phase has passed its
 * point of no return (the fence of the serving site), after which budgets no longer abort. Also
 * the signals that end a run early.
 */
final class PhaseRun {
  final Lease lease;
  final Instant entered;
  final Duration budget;
  boolean committed;

  PhaseRun(Lease lease, Instant entered, Duration budget) {
    this.lease = lease;
    this.entered = entered;
    this.budget = budget;
  }

  /** The work of one step; returns attributes to persist with the step's completion. */
  @FunctionalInterface
  interface StepAction {
    Map<String, String> run() throws Exception;
  }

  /** Thrown inside a phase when the stored state moved on (abort, another process). */
  static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super(null, null, false, false);
    }
  }

  /** Thrown inside a phase when a step failed past its retries. */
  static final class StepFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailed(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** Thrown by the budget check, which runs only before a phase's point of no return. */
  static final class BudgetExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BudgetExceeded(String message) {
      super(message, null, false, false);
    }
  }
}
