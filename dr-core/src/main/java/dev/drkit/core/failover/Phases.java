package dev.drkit.core.failover;

import static dev.drkit.core.failover.FailoverEngine.ATTR_ERROR;
import static dev.drkit.core.failover.FailoverEngine.ATTR_MEASURED_LOSS;
import static dev.drkit.core.failover.FailoverEngine.ATTR_PLANNED;
import static dev.drkit.core.failover.PhaseSteps.STEP_DEMOTE;
import static dev.drkit.core.failover.PhaseSteps.STEP_DRAIN;
import static dev.drkit.core.failover.PhaseSteps.STEP_FENCE;
import static dev.drkit.core.failover.PhaseSteps.STEP_LOAD_SNAPSHOT;
import static dev.drkit.core.failover.PhaseSteps.STEP_MEASURE_LOSS;
import static dev.drkit.core.failover.PhaseSteps.STEP_PROMOTE;
import static dev.drkit.core.failover.PhaseSteps.STEP_REDIRECT;
import static dev.drkit.core.failover.PhaseSteps.STEP_REPLAY;
import static dev.drkit.core.failover.PhaseSteps.STEP_RESYNC;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK_DEMOTE;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK_FENCE;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK_PROMOTE;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK_REDIRECT;
import static dev.drkit.core.failover.PhaseSteps.STEP_SWITCH;
import static dev.drkit.core.failover.PhaseSteps.STEP_VALIDATE;
import static dev.drkit.core.failover.PhaseSteps.STEP_VALIDATE_PRIMARY;
import static dev.drkit.core.failover.PhaseSteps.done;
import static dev.drkit.core.failover.PhaseSteps.target;
import static dev.drkit.core.failover.PhaseSteps.withDone;

import dev.drkit.core.DrTimeoutException;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.failover.PhaseRun.StepFailed;
import dev.drkit.core.failover.PhaseRun.Stopped;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import dev.drkit.core.spi.Versioned;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of each phase in their order, as calls of the host's {@link FailoverActions}:
 * FAILING_OVER, VALIDATING, FAILING_BACK, REBUILDING, and the rollback of a committed phase that
 * failed before the new site received traffic (see docs/failover.md for the step lists). Each
 * step goes through the {@link StepExecutor}, so a step recorded as done is not run again.
 */
final class Phases {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverEngine.class);

  private final EngineContext ctx;
  private final EngineState state;
  private final StepExecutor steps;
  private final String service;
  private final FailoverActions actions;
  private final AtomicReference<@Nullable ValidationReport> lastValidation = new AtomicReference<>();

  Phases(EngineContext ctx, EngineState state, StepExecutor steps) {
    this.ctx = ctx;
    this.state = state;
    this.steps = steps;
    this.service = ctx.service;
    this.actions = ctx.actions;
  }

  /** The latest validation report a phase produced. */
  Optional<ValidationReport> lastValidation() {
    return Optional.ofNullable(lastValidation.get());
  }

  /** FAILING_OVER: fence the primary, drain (planned) or measure the loss, promote and redirect to the backup. */
  Versioned<ServiceState> failingOver(Versioned<ServiceState> cur, PhaseRun run) {
    ServiceState s = cur.value();
    long epoch = s.epoch();
    boolean planned = "true".equals(s.attributes().get(ATTR_PLANNED));
    Site old = Site.PRIMARY;
    Site target = Site.BACKUP;
    cur = steps.step(cur, STEP_FENCE, run, () -> {
      actions.fence(service, old, epoch);
      return Map.of();
    });
    if (planned) {
      cur = steps.step(cur, STEP_DRAIN, run, () -> drain(target, run));
    } else {
      cur = steps.step(cur, STEP_MEASURE_LOSS, run, () -> measureLoss(target));
    }
    cur = steps.step(cur, STEP_PROMOTE, run, () -> {
      actions.promote(service, target, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_REDIRECT, run, () -> {
      actions.redirect(service, target, epoch);
      return Map.of();
    });
    if (planned) {
      cur = steps.step(cur, STEP_DEMOTE, run, () -> {
        actions.demote(service, old, epoch);
        return Map.of();
      });
    }
    return cur;
  }

  /** Measures the loss after the fence; a failing estimator is reported, never a reason to undo the fence. */
  private Map<String, String> measureLoss(Site target) {
    Duration loss;
    try {
      loss = ctx.estimator.estimate(service, target);
    } catch (RuntimeException e) {
      ctx.publish(Severity.WARN, "rpo.unknown", "failover of '" + service + "': the data loss could not be"
          + " measured: " + e, state.state(), Map.of("error", String.valueOf(e)));
      return Map.of();
    }
    if (loss.compareTo(ctx.config.rpo()) > 0) {
      ctx.publish(Severity.WARN, "rpo.exceeded", "failover of '" + service + "' loses " + loss + ", over the RPO "
          + ctx.config.rpo(), state.state(), Map.of("measuredLoss", loss, "rpo", ctx.config.rpo()));
    }
    return Map.of(ATTR_MEASURED_LOSS, Long.toString(loss.toMillis()));
  }

  /** VALIDATING: run the service's checks against the active site. */
  Versioned<ServiceState> validating(Versioned<ServiceState> cur, PhaseRun run) {
    ServiceState s = cur.value();
    return steps.step(cur, STEP_VALIDATE, run, () -> {
      validateOrThrow(s.activeSite(), s.epoch());
      return Map.of();
    });
  }

  /**
   * REBUILDING: fence both sites at the rebuild's epoch (its point of no return), load the snapshot
   * into the rebuilt site, replay the log up to the target, promote, redirect and validate. Loading
   * and applying are idempotent, so a resumed rebuild redoes at most the step that was running; a
   * replay that is retried or resumed reloads the snapshot first, so every record is applied once
   * onto the snapshot.
   */
  Versioned<ServiceState> rebuilding(Versioned<ServiceState> cur, PhaseRun run) {
    RebuildSources src = ctx.requireRebuildSources();
    ServiceState s = cur.value();
    long epoch = s.epoch();
    Site site = s.activeSite();
    SnapshotRef snap = persistedSnapshot(s);
    RebuildRequest request = RebuildRequest.parse(s.attributes().getOrDefault(Replayer.ATTR_SNAPSHOT_SPEC, "latest"),
        s.attributes().getOrDefault(Replayer.ATTR_TARGET_SPEC, "end"));
    cur = steps.step(cur, STEP_FENCE, run, () -> {
      actions.fence(service, site.other(), epoch);
      actions.fence(service, site, epoch);
      return Map.of();
    });
    run.committed = true;
    // Replay must start from a freshly loaded snapshot: an attempt (or a resumed run) that finds the
    // store possibly touched by an earlier replay attempt reloads first, so no record is applied twice.
    AtomicBoolean fresh = new AtomicBoolean();
    cur = steps.step(cur, STEP_LOAD_SNAPSHOT, run, () -> {
      Instant t0 = ctx.clock.instant();
      src.target().loadSnapshot(service, site, snap, epoch);
      fresh.set(true);
      long ms = Duration.between(t0, ctx.clock.instant()).toMillis();
      ctx.publish(Severity.INFO, "rebuild.loaded", "rebuild of '" + service + "': snapshot "
          + SnapshotChooser.describe(snap) + " loaded into " + site + " in " + ms + " ms", state.state(),
          Map.of("snapshot", snap.id(), "site", site, "millis", ms));
      return Map.of(Replayer.ATTR_LOAD_MILLIS, Long.toString(ms));
    });
    cur = steps.step(cur, STEP_REPLAY, run, () -> {
      if (!fresh.getAndSet(false)) {
        src.target().loadSnapshot(service, site, snap, epoch);
      }
      Map<String, String> out = new Replayer(service, site, snap, request, epoch, src.log(), src.target(),
          ctx.clock, Replayer.BATCH, Replayer.BATCH_BYTES).run();
      ServiceState now = state.state();
      Map<String, String> merged = new TreeMap<>(now.attributes());
      merged.putAll(out);
      RebuildReport.of(new ServiceState(service, now.state(), now.epoch(), now.activeSite(), now.since(),
          now.reason(), merged)).ifPresent(r -> ctx.publish(Severity.INFO, "rebuild.replayed", r.summary(), now,
          Map.of("applied", r.applied(), "stop", String.valueOf(r.stop()), "notReplayed", r.notReplayed())));
      return out;
    });
    cur = steps.step(cur, STEP_PROMOTE, run, () -> {
      actions.promote(service, site, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_REDIRECT, run, () -> {
      actions.redirect(service, site, epoch);
      return Map.of();
    });
    // As after a failover, the service's checks run against the site that serves (they probe it
    // through the host's routing); a failure leaves it FAILED with the rebuilt site serving.
    cur = steps.step(cur, STEP_VALIDATE, run, () -> {
      validateOrThrow(site, epoch);
      return Map.of();
    });
    return cur;
  }

  /** An attribute a rebuild persisted before its first step; missing means the stored state was damaged. */
  private static String persisted(Map<String, String> a, String key) {
    String v = a.get(key);
    if (v == null) {
      throw new IllegalStateException("the stored state of the rebuild lacks '" + key + "'; it cannot be resumed");
    }
    return v;
  }

  private static SnapshotRef persistedSnapshot(ServiceState s) {
    Map<String, String> a = s.attributes();
    String from = a.get(Replayer.ATTR_FROM_OFFSET);
    LogPosition pos = from == null ? null : new LogPosition(Long.parseLong(from),
        Long.parseLong(a.getOrDefault(Replayer.ATTR_FROM_EPOCH, "0")));
    return new SnapshotRef(persisted(a, Replayer.ATTR_SNAPSHOT_ID), Instant.parse(persisted(a, Replayer.ATTR_SNAPSHOT_TIME)), pos,
        Long.parseLong(a.getOrDefault(Replayer.ATTR_SNAPSHOT_SIZE, "0")));
  }

  /**
   * FAILING_BACK: resync and validate the primary, switch roles at a new epoch (the point of no
   * return, after the last budget check), fence the backup, drain, promote and redirect to the
   * primary, demote the backup.
   */
  Versioned<ServiceState> failingBack(Versioned<ServiceState> cur, PhaseRun run) {
    long oldEpoch = cur.value().epoch();
    if (!done(cur.value()).contains(STEP_SWITCH)) {
      cur = steps.step(cur, STEP_RESYNC, run, () -> {
        actions.resync(service, Site.PRIMARY, Site.BACKUP, oldEpoch);
        return Map.of();
      });
      cur = steps.step(cur, STEP_VALIDATE_PRIMARY, run, () -> {
        validateOrThrow(Site.PRIMARY, oldEpoch);
        return Map.of();
      });
      // The last budget check: past the switch the backup is fenced, and the phase completes or rolls back.
      steps.checkBudget(cur.value(), run);
      run.lease.ensureValid();
      long newEpoch = oldEpoch + 1;
      Versioned<ServiceState> switched = state.update(cur, st -> withDone(st, STEP_SWITCH, Map.of(), newEpoch,
          Site.PRIMARY, "failback: roles switch to the primary at epoch " + newEpoch));
      if (switched == null) {
        throw new Stopped();
      }
      cur = switched;
      run.committed = true;
      ctx.publish(Severity.INFO, "epoch", "service '" + service + "' moves to epoch " + newEpoch
          + ": the primary becomes active again", cur.value(), Map.of("previousEpoch", oldEpoch));
    }
    long epoch = cur.value().epoch();
    cur = steps.step(cur, STEP_FENCE, run, () -> {
      actions.fence(service, Site.BACKUP, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_DRAIN, run, () -> drain(Site.PRIMARY, run));
    cur = steps.step(cur, STEP_PROMOTE, run, () -> {
      actions.promote(service, Site.PRIMARY, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_REDIRECT, run, () -> {
      actions.redirect(service, Site.PRIMARY, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_DEMOTE, run, () -> {
      actions.demote(service, Site.BACKUP, epoch);
      return Map.of();
    });
    return cur;
  }

  /**
   * Restores the old site after a committed phase failed before the new site received traffic: at
   * a new epoch (persisted first, with the old site as active), fence the new site, promote the old
   * one (which unfences it: the new epoch is above its fence), redirect to it, and demote the new
   * site. Every step is recorded like a phase step, so a crash or a change of leader resumes it.
   */
  Versioned<ServiceState> rollback(Versioned<ServiceState> cur, PhaseRun run, String error) {
    ServiceState s = cur.value();
    Site newSite = target(s);
    Site oldSite = newSite.other();
    if (!done(s).contains(STEP_ROLLBACK)) {
      run.lease.ensureValid();
      long e = s.epoch() + 1;
      Versioned<ServiceState> marked = state.update(cur, st -> withDone(st, STEP_ROLLBACK, Map.of(ATTR_ERROR, error),
          e, oldSite, "rolling back to " + oldSite + " at epoch " + e + ": " + error));
      if (marked == null) {
        throw new Stopped();
      }
      cur = marked;
      ctx.publish(Severity.WARN, "rollback", s.state() + " of '" + service + "' failed after the fence (" + error
          + "); restoring " + oldSite + " at epoch " + e, cur.value(), Map.of("site", oldSite, "previousEpoch",
          s.epoch()));
    }
    long epoch = cur.value().epoch();
    cur = steps.step(cur, STEP_ROLLBACK_FENCE, run, () -> {
      actions.fence(service, newSite, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_ROLLBACK_PROMOTE, run, () -> {
      actions.promote(service, oldSite, epoch);
      return Map.of();
    });
    cur = steps.step(cur, STEP_ROLLBACK_REDIRECT, run, () -> {
      actions.redirect(service, oldSite, epoch);
      return Map.of();
    });
    try {
      cur = steps.step(cur, STEP_ROLLBACK_DEMOTE, run, () -> {
        actions.demote(service, newSite, epoch);
        return Map.of();
      });
    } catch (StepFailed e) {
      // The old site serves; the stepped-down one is not a replica yet. Said in an event, not fatal.
      ctx.publish(Severity.WARN, "rollback.demote.failed", "rollback of '" + service + "': " + oldSite + " serves at"
          + " epoch " + epoch + " but " + newSite + " could not be demoted: " + e.getMessage(), state.state(),
          Map.of("site", newSite));
    }
    return cur;
  }

  /**
   * Waits until the estimated loss of promoting {@code target} is zero. Runs after the fence, so it
   * is bounded by the phase's budget measured from the start of the drain (not from the phase's
   * start): past it the drain fails, and the phase rolls back rather than promote with a loss.
   */
  private Map<String, String> drain(Site target, PhaseRun run) throws InterruptedException {
    Instant started = ctx.clock.instant();
    while (true) {
      Duration loss = ctx.estimator.estimate(service, target);
      if (loss.isZero() || loss.isNegative()) {
        return Map.of(ATTR_MEASURED_LOSS, "0");
      }
      Duration waited = Duration.between(started, ctx.clock.instant());
      if (waited.compareTo(run.budget) > 0) {
        throw new DrTimeoutException("replication to " + target + " of service '" + service + "' did not drain"
            + " within " + run.budget + " (still " + loss + " behind)", run.budget);
      }
      run.lease.ensureValid();
      LOG.debug("service {}: waiting for replication to {} to drain ({} behind)", service, target, loss);
      ctx.sleeper.sleep(ctx.drainPollInterval);
    }
  }

  private void validateOrThrow(Site site, long epoch) throws InterruptedException {
    ValidationReport report = ctx.validator.validate(ctx.config, site, epoch);
    lastValidation.set(report);
    ctx.publish(report.passed() ? Severity.INFO : Severity.WARN, "validation", "validation of '" + service + "' on "
        + site + " " + (report.passed() ? "passed" : "failed"), state.state(), Map.of("site", site, "passed",
        report.passed(), "steps", report.steps().size(), "duration", report.duration()));
    if (!report.passed()) {
      throw new ValidationFailedException(report);
    }
  }
}
