package dev.drkit.core.failover;

import static dev.drkit.core.failover.PhaseSteps.done;
import static dev.drkit.core.failover.PhaseSteps.servingAfter;
import static dev.drkit.core.failover.PhaseSteps.withDone;

import dev.drkit.core.DrTimeoutException;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.failover.PhaseRun.BudgetExceeded;
import dev.drkit.core.failover.PhaseRun.StepAction;
import dev.drkit.core.failover.PhaseRun.StepFailed;
import dev.drkit.core.failover.PhaseRun.Stopped;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Versioned;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one named step of a phase: skipped when the persisted state records it done; otherwise
 * retried by a Failsafe {@link RetryPolicy} (waits through the injected {@link Sleeper}), each
 * attempt first checking the phase's budget (before its point of no return only), that the state
 * has not moved on and that the run's lease is still valid; on success the step is recorded as
 * done with compare-and-set before the next one starts.
 */
final class StepExecutor {
  private final EngineContext ctx;
  private final EngineState state;

  StepExecutor(EngineContext ctx, EngineState state) {
    this.ctx = ctx;
    this.state = state;
  }

  /**
   * Runs step {@code name} unless done.
   *
   * @return the state with the step recorded as done
   * @throws Stopped when the state moved on or the thread was interrupted
   * @throws StepFailed when the step failed past its retries
   * @throws BudgetExceeded when the budget ran out before the point of no return
   * @throws LeadershipLostException when the run's lease ended
   */
  Versioned<ServiceState> step(Versioned<ServiceState> cur, String name, PhaseRun run, StepAction action) {
    if (done(cur.value()).contains(name)) {
      return cur;
    }
    ServiceState s = cur.value();
    String service = ctx.service;
    RetryPolicy<Object> policy = RetryPolicy.builder()
        .handle(Exception.class)
        .abortOn(LeadershipLostException.class, DrTimeoutException.class, StaleEpochException.class,
            InterruptedException.class, Stopped.class, BudgetExceeded.class)
        .withMaxAttempts(ctx.maxAttempts)
        .onRetry(ev -> ctx.publish(Severity.WARN, "step.retry", "step " + name + " of " + s.state() + " for '"
            + service + "' failed (attempt " + ev.getAttemptCount() + " of " + ctx.maxAttempts + "), retrying: "
            + ev.getLastException(), s, Map.of("step", name, "attempt", ev.getAttemptCount())))
        .build();
    AtomicReference<Map<String, String>> extra = new AtomicReference<>(Map.of());
    try {
      Failsafe.with(policy).run(attempt -> {
        if (attempt.getAttemptCount() > 0 && !ctx.retryDelay.isZero()) {
          ctx.sleeper.sleep(ctx.retryDelay);
        }
        if (!run.committed) {
          checkBudget(s, run);
        }
        if (state.current().version() != cur.version()) {
          throw new Stopped();
        }
        if (!run.lease.isValid()) {
          throw new LeadershipLostException("service '" + service + "': step " + name + " refused: leadership term "
              + run.lease.token() + " has ended");
        }
        extra.set(action.run());
      });
    } catch (FailsafeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof InterruptedException) {
        // Like a crash: leave the stored state as it is for resume(); keep the interrupt visible.
        Thread.currentThread().interrupt();
        throw new Stopped();
      }
      throw new StepFailed("step " + name + " failed after retries: " + cause, cause);
    } catch (BudgetExceeded | LeadershipLostException | Stopped e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StepFailed("step " + name + " failed after retries: " + e, e);
    }
    Versioned<ServiceState> next = state.update(cur, st -> withDone(st, name, Objects.requireNonNull(extra.get(), "extra"), st.epoch(),
        st.activeSite(), st.reason()));
    if (next == null) {
      throw new Stopped();
    }
    ctx.publish(Severity.INFO, "step", "step " + name + " of " + s.state() + " done for '" + service + "'",
        next.value(), Map.of("step", name, "phase", s.state()));
    return next;
  }

  /**
   * The budget check; called only before a phase's point of no return.
   *
   * @throws BudgetExceeded when the phase ran past its budget (an ERROR event says so)
   */
  void checkBudget(ServiceState s, PhaseRun run) {
    Duration elapsed = Duration.between(run.entered, ctx.clock.instant());
    if (elapsed.compareTo(run.budget) > 0) {
      ctx.publish(Severity.ERROR, "budget.breached", s.state() + " of '" + ctx.service + "' ran " + elapsed
          + ", past its budget " + run.budget + " (derived from RTO " + ctx.config.rto() + ") before its point of"
          + " no return; escalating to FAILED while " + servingAfter(s) + " still serves", s,
          Map.of("phase", s.state(), "budget", run.budget, "elapsed", elapsed, "escalated", true));
      throw new BudgetExceeded(s.state() + " of service '" + ctx.service + "' exceeded its time budget "
          + run.budget + " before its point of no return (ran " + elapsed + ")");
    }
  }
}
