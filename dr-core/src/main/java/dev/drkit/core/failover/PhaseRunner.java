package dev.drkit.core.failover;

import static dev.drkit.core.failover.FailoverEngine.ATTR_BUDGET_BREACHED;
import static dev.drkit.core.failover.FailoverEngine.ATTR_DONE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_ERROR;
import static dev.drkit.core.failover.FailoverEngine.ATTR_PREVIOUS_EPOCH;
import static dev.drkit.core.failover.FailoverEngine.ATTR_REASSIGN;
import static dev.drkit.core.failover.FailoverEngine.ATTR_SERVING_SITE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_TERM;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK;
import static dev.drkit.core.failover.PhaseSteps.committed;
import static dev.drkit.core.failover.PhaseSteps.done;
import static dev.drkit.core.failover.PhaseSteps.reassignment;
import static dev.drkit.core.failover.PhaseSteps.servingAfter;
import static dev.drkit.core.failover.PhaseSteps.siteName;
import static dev.drkit.core.failover.PhaseSteps.target;

import dev.drkit.core.FailoverState;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.failover.PhaseRun.BudgetExceeded;
import dev.drkit.core.failover.PhaseRun.StepFailed;
import dev.drkit.core.failover.PhaseRun.Stopped;
import dev.drkit.core.failover.PhaseSteps.Reassignment;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.Lease;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Drives the phases of the stored state until a steady state, FAILED, or another thread or process
 * takes over: one thread at a time (the others return at once; the driving thread re-checks the
 * state after each phase). For each phase it pins the lease, re-assigns the phase at a new epoch
 * when it is driven under another leadership term (or retried after a rollback), runs the
 * {@link Phases phase's steps}, and then ends it: PHASE_SUCCEEDED (recording a budget breached
 * after the point of no return), PHASE_FAILED before the point of no return, or, after it, a
 * rollback to the old site before failing. Every run leaves a {@link PhaseRecord}.
 */
final class PhaseRunner {
  private final EngineContext ctx;
  private final EngineState state;
  private final Phases phases;
  private final String service;
  private final ReentrantLock runner = new ReentrantLock();
  private final List<PhaseRecord> history = new CopyOnWriteArrayList<>();

  PhaseRunner(EngineContext ctx, EngineState state, Phases phases) {
    this.ctx = ctx;
    this.state = state;
    this.phases = phases;
    this.service = ctx.service;
  }

  /** The phases this engine ran, oldest first. */
  List<PhaseRecord> history() {
    return List.copyOf(history);
  }

  /** Drives phases until a steady state, FAILED, or another thread/process takes over. */
  void drive() {
    while (TransitionTable.isPhase(state.state().state()) && !Thread.currentThread().isInterrupted()) {
      if (!runner.tryLock()) {
        return; // another thread drives; it re-checks the state after releasing
      }
      try {
        // One read of the state per phase: checked and run as read, so a command moving it out of
        // its phase meanwhile (an abort to FAILED) ends the loop here rather than inside runPhase.
        for (Versioned<ServiceState> cur = state.current(); TransitionTable.isPhase(cur.value().state());
            cur = state.current()) {
          if (!runPhase(cur)) {
            return;
          }
        }
      } finally {
        runner.unlock();
      }
    }
  }

  /** Runs the phase {@code start} is in; true when it succeeded and the next phase may follow. */
  private boolean runPhase(Versioned<ServiceState> start) {
    ServiceState s = start.value();
    FailoverState phase = s.state();
    Duration budget = ctx.budgets.budget(phase, ctx.config.rto());
    Lease lease = state.requireLease("drive " + phase);
    PhaseRun run = new PhaseRun(lease, s.since(), budget);
    try {
      Versioned<ServiceState> cur = reassignIfNeeded(start, run);
      run.committed = committed(cur.value());
      if (done(cur.value()).contains(STEP_ROLLBACK)) {
        // A rollback was in progress when the previous run stopped: finish it, then fail.
        String error = cur.value().attributes().getOrDefault(ATTR_ERROR, phase + " failed");
        return failAfterCommit(cur, run, phase, error, true);
      }
      try {
        switch (phase) {
          case FAILING_OVER -> cur = phases.failingOver(cur, run);
          case VALIDATING -> cur = phases.validating(cur, run);
          case FAILING_BACK -> cur = phases.failingBack(cur, run);
          case REBUILDING -> cur = phases.rebuilding(cur, run);
          case PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED -> {
            return false;
          }
          default -> throw new IllegalStateException("unknown state " + phase);
        }
      } catch (BudgetExceeded e) {
        return fail(state.current(), run, phase, String.valueOf(e.getMessage()));
      } catch (StepFailed e) {
        Versioned<ServiceState> now = state.current();
        if (!run.committed || phase == FailoverState.REBUILDING) {
          // A rebuild past its fence has no site with good data to roll back to: it fails, saying so.
          return fail(now, run, phase, String.valueOf(e.getMessage()));
        }
        return failAfterCommit(now, run, phase, String.valueOf(e.getMessage()), false);
      }
      return succeed(cur, run, phase);
    } catch (Stopped e) {
      ServiceState now = state.state();
      String detail = Thread.currentThread().isInterrupted()
          ? "thread interrupted; state left for resume()"
          : "state moved to " + now.state() + ": " + now.reason();
      Instant ended = ctx.clock.instant();
      history.add(new PhaseRecord(phase, now.epoch(), run.entered, ended,
          now.state() == FailoverState.FAILED ? "aborted" : "interrupted", detail, budget,
          Duration.between(run.entered, ended).compareTo(budget) > 0, servingAfter(now)));
      return false;
    }
  }

  /** Ends a phase whose steps are all done with PHASE_SUCCEEDED, recording a breached budget. */
  private boolean succeed(Versioned<ServiceState> cur, PhaseRun run, FailoverState phase) {
    Duration budget = run.budget;
    Instant now = ctx.clock.instant();
    Duration took = Duration.between(run.entered, now);
    boolean breached = took.compareTo(budget) > 0;
    Map<String, String> extra = Map.of();
    if (breached) {
      ctx.publish(Severity.WARN, "budget.breached", phase + " of '" + service + "' completed after " + took
          + ", over its budget " + budget + "; the phase was past its point of no return, so it completed and the"
          + " objective is recorded as missed", cur.value(), Map.of("phase", phase, "budget", budget, "elapsed",
          took, "escalated", false));
      extra = Map.of(ATTR_BUDGET_BREACHED, appendBreach(cur.value(), phase, took, budget));
    }
    // The record is visible before the state it leads to, so whoever sees the next state (a poller,
    // a listener of the transition event) also sees how the phase went.
    Site serving = target(cur.value());
    PhaseRecord done = new PhaseRecord(phase, cur.value().epoch(), run.entered, now, "succeeded",
        "all steps done", budget, breached, serving);
    history.add(done);
    try {
      state.transition(cur, Trigger.PHASE_SUCCEEDED, phase + " completed in " + took, extra, run.lease);
    } catch (VersionConflictException | LeadershipLostException e) {
      history.remove(done);
      history.add(new PhaseRecord(phase, cur.value().epoch(), run.entered, now, "interrupted", String.valueOf(e.getMessage()),
          budget, breached, servingAfter(state.state())));
      if (e instanceof LeadershipLostException lost) {
        throw lost;
      }
      return false;
    }
    return true;
  }

  private static String appendBreach(ServiceState s, FailoverState phase, Duration took, Duration budget) {
    String earlier = s.attributes().get(ATTR_BUDGET_BREACHED);
    String entry = phase + " took " + took + " of " + budget;
    return earlier == null || earlier.isEmpty() ? entry : earlier + "; " + entry;
  }

  /**
   * A step of a committed phase failed past its retries. If the new site already receives traffic,
   * it serves and the phase fails with that said; otherwise the old site is restored at a new epoch
   * (rollback) before the phase fails.
   */
  private boolean failAfterCommit(Versioned<ServiceState> cur, PhaseRun run, FailoverState phase, String error,
      boolean resumingRollback) {
    ServiceState s = cur.value();
    boolean rollingBack = resumingRollback || done(s).contains(STEP_ROLLBACK);
    if (!rollingBack && servingAfter(s) == target(s)) {
      return fail(cur, run, phase, error);
    }
    String msg = error;
    try {
      cur = phases.rollback(cur, run, error);
      msg = error + "; rolled back: " + cur.value().activeSite() + " serves again at epoch " + cur.value().epoch();
    } catch (StepFailed rollbackFailed) {
      cur = state.current();
      msg = error + "; the rollback failed too, no site serves: " + rollbackFailed.getMessage();
    }
    return fail(cur, run, phase, msg);
  }

  /** Moves a phase to FAILED, recording which site serves. */
  private boolean fail(Versioned<ServiceState> cur, PhaseRun run, FailoverState phase, String msg) {
    Instant ended = ctx.clock.instant();
    Site serving = servingAfter(cur.value());
    PhaseRecord failed = new PhaseRecord(phase, cur.value().epoch(), run.entered, ended, "failed", msg, run.budget,
        Duration.between(run.entered, ended).compareTo(run.budget) > 0, serving);
    history.add(failed);
    try {
      state.transition(cur, Trigger.PHASE_FAILED, phase + " failed (" + (serving == null ? "no site serves"
          : serving + " serves") + "): " + msg, Map.of(ATTR_ERROR, msg, ATTR_SERVING_SITE, siteName(serving)),
          run.lease);
    } catch (VersionConflictException | IllegalTransitionException | LeadershipLostException lost) {
      history.remove(failed);
      history.add(new PhaseRecord(phase, cur.value().epoch(), run.entered, ended, "interrupted", msg, run.budget,
          failed.budgetBreached(), servingAfter(state.state())));
      if (lost instanceof LeadershipLostException l) {
        throw l;
      }
      return false;
    }
    return true;
  }

  /**
   * Before a phase acts: if it is driven under a leadership term other than the one its epoch was
   * assigned under (another instance, or a paused one, may still have an action in flight at that
   * epoch), or an operator retries a phase that was rolled back, the roles are assigned anew at a
   * new epoch, persisted with compare-and-set before any action. Every later action of the previous
   * term then carries an older epoch than what its receiver has seen, and is refused there.
   */
  private Versioned<ServiceState> reassignIfNeeded(Versioned<ServiceState> cur, PhaseRun run) {
    ServiceState s = cur.value();
    boolean retryAfterRollback = "true".equals(s.attributes().get(ATTR_REASSIGN));
    String term = s.attributes().get(ATTR_TERM);
    String myTerm = Long.toString(run.lease.token());
    if (!retryAfterRollback && myTerm.equals(term)) {
      return cur;
    }
    if (!TransitionTable.isPhase(s.state())) {
      return cur;
    }
    Reassignment plan = reassignment(s, retryAfterRollback);
    Set<String> keep = plan.keep();
    Site active = plan.active();
    run.lease.ensureValid();
    long e = s.epoch() + 1;
    String why = retryAfterRollback ? "retry after a rollback" : "driven under leadership term " + myTerm
        + (term == null ? "" : " (epoch " + s.epoch() + " was assigned under term " + term + ")");
    Versioned<ServiceState> next = state.update(cur, st -> {
      Map<String, String> a = new TreeMap<>(st.attributes());
      if (keep.isEmpty()) {
        a.remove(ATTR_DONE);
      } else {
        a.put(ATTR_DONE, String.join(",", keep));
      }
      a.remove(ATTR_REASSIGN);
      a.put(ATTR_TERM, myTerm);
      a.put(ATTR_PREVIOUS_EPOCH, Long.toString(st.epoch()));
      return new ServiceState(st.service(), st.state(), e, active, st.since(),
          st.state() + " re-assigned at epoch " + e + ": " + why, a);
    });
    if (next == null) {
      throw new Stopped();
    }
    ctx.publish(Severity.WARN, "reassigned", s.state() + " of '" + service + "' moves from epoch " + s.epoch()
        + " to " + e + " before acting again (" + why + "); steps redone: everything after " + keep, next.value(),
        Map.of("previousEpoch", s.epoch(), "term", myTerm, "previousTerm", term == null ? "" : term));
    return next;
  }
}
