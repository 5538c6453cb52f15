package dev.drkit.core.failover;

import static dev.drkit.core.failover.FailoverEngine.ATTR_BY;
import static dev.drkit.core.failover.FailoverEngine.ATTR_DONE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_ERROR;
import static dev.drkit.core.failover.FailoverEngine.ATTR_ESTIMATED_LOSS;
import static dev.drkit.core.failover.FailoverEngine.ATTR_FAILED_PHASE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_MODE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_PLANNED;
import static dev.drkit.core.failover.FailoverEngine.ATTR_REASSIGN;
import static dev.drkit.core.failover.FailoverEngine.ATTR_SERVING_SITE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_WHY;
import static dev.drkit.core.failover.PhaseSteps.STEP_ROLLBACK;
import static dev.drkit.core.failover.PhaseSteps.done;
import static dev.drkit.core.failover.PhaseSteps.servingAfter;
import static dev.drkit.core.failover.PhaseSteps.siteName;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.SnapshotRef;
import dev.drkit.core.spi.Versioned;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each command and verdict does to the state: checks it may start (the transition table, the
 * {@link FailoverGates}), makes its transition with the attributes that record who ordered it and
 * why, and hands the phases it started to the {@link PhaseRunner}. The contracts are documented on
 * {@link FailoverEngine}'s public methods, which delegate here.
 */
final class Commands {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverEngine.class);

  private final EngineContext ctx;
  private final EngineState state;
  private final FailoverGates gates;
  private final PhaseRunner runner;
  private final String service;

  Commands(EngineContext ctx, EngineState state, FailoverGates gates, PhaseRunner runner) {
    this.ctx = ctx;
    this.state = state;
    this.gates = gates;
    this.runner = runner;
    this.service = ctx.service;
  }

  /** Acts on a verdict about the primary seen in state {@code cur} (see {@link FailoverEngine#onVerdict}). */
  void act(Versioned<ServiceState> cur, HealthVerdict verdict, String source) {
    FailoverState st = cur.value().state();
    switch (st) {
      case PRIMARY_ACTIVE -> {
        if (verdict != HealthVerdict.HEALTHY) {
          tryTransition(cur, Trigger.SUSPECTED, "primary " + verdict + " according to " + source);
        }
        if (verdict == HealthVerdict.DOWN) {
          automaticFailover(source);
        }
      }
      case PRIMARY_DEGRADED -> {
        if (verdict == HealthVerdict.HEALTHY) {
          tryTransition(cur, Trigger.RECOVERED, "primary healthy again according to " + source);
        } else if (verdict == HealthVerdict.DOWN) {
          automaticFailover(source);
        }
      }
      case FAILING_OVER, VALIDATING, BACKUP_ACTIVE, FAILING_BACK, REBUILDING, FAILED ->
          LOG.debug("service {} is {}: verdict {} from {} ignored", service, st, verdict, source);
      default -> throw new IllegalStateException("unknown state " + st);
    }
  }

  private void tryTransition(Versioned<ServiceState> seen, Trigger trigger, String reason) {
    try {
      state.transition(seen, trigger, reason, Map.of());
    } catch (VersionConflictException | IllegalTransitionException e) {
      LOG.debug("service {}: {} lost a race and was dropped: {}", service, trigger, e.getMessage());
    }
  }

  private void automaticFailover(String source) {
    Versioned<ServiceState> cur = state.current();
    ServiceState s = cur.value();
    if (!FailoverGates.canFailOver(s)) {
      return;
    }
    Optional<Duration> estimate = gates.automatic(s);
    if (estimate.isEmpty()) {
      return;
    }
    try {
      state.transition(cur, Trigger.FAILOVER, "automatic failover: primary DOWN according to " + source,
          Map.of(ATTR_MODE, "automatic", ATTR_BY, "drkit", ATTR_WHY, "primary DOWN according to " + source,
              ATTR_ESTIMATED_LOSS, Long.toString(estimate.get().toMillis())));
    } catch (VersionConflictException | IllegalTransitionException e) {
      LOG.debug("service {}: automatic failover lost a race: {}", service, e.getMessage());
      return;
    }
    runner.drive();
  }

  /** An operator's failover, through the RPO gate unless forced. */
  ServiceState failover(String by, String why, boolean force) {
    Versioned<ServiceState> cur = state.current();
    TransitionTable.require(service, cur.value().state(), Trigger.FAILOVER);
    Duration estimate = gates.manual(cur.value(), by, why, force);
    state.transition(cur, Trigger.FAILOVER, (force ? "forced" : "manual") + " failover by " + by + ": " + why,
        Map.of(ATTR_MODE, force ? "forced" : "manual", ATTR_BY, by, ATTR_WHY, why,
            ATTR_ESTIMATED_LOSS, Long.toString(estimate.toMillis())));
    runner.drive();
    return state.state();
  }

  /** A planned switch without data loss (a failback from BACKUP_ACTIVE). */
  ServiceState switchover(String by, String why) {
    state.transition(null, Trigger.SWITCHOVER, "switchover by " + by + ": " + why,
        Map.of(ATTR_MODE, "planned", ATTR_PLANNED, "true", ATTR_BY, by, ATTR_WHY, why));
    runner.drive();
    return state.state();
  }

  /** A return to the primary from BACKUP_ACTIVE. */
  ServiceState failback(String by, String why) {
    state.transition(null, Trigger.FAILBACK, "failback by " + by + ": " + why,
        Map.of(ATTR_MODE, "manual", ATTR_PLANNED, "true", ATTR_BY, by, ATTR_WHY, why));
    runner.drive();
    return state.state();
  }

  /** Stops what is in progress. */
  ServiceState abort(String by, String why) {
    // The serving site recorded is the one of the state read here: the transition is made only on
    // that state (a VersionConflictException if another thread moved it meanwhile).
    Versioned<ServiceState> cur = state.current();
    ServiceState s = cur.value();
    Map<String, String> extra = TransitionTable.isPhase(s.state())
        ? Map.of(ATTR_ERROR, "aborted by " + by + ": " + why, ATTR_SERVING_SITE, siteName(servingAfter(s)))
        : Map.of();
    state.transition(cur, Trigger.ABORT, "aborted by " + by + ": " + why, extra);
    return state.state();
  }

  /** Re-runs the phase that failed. */
  ServiceState retry(String by, String why) {
    // Which phase to re-run, and whether its roles are assigned anew, are read from this state, and
    // the transition is made only on it: applied to a state another thread made meanwhile (a failed
    // failback after this read a failed failover), a retry would resume one phase on the steps the
    // other one recorded as done (both call their first step "fence", on different sites).
    Versioned<ServiceState> cur = state.current();
    ServiceState s = cur.value();
    if (s.state() != FailoverState.FAILED) {
      throw new IllegalTransitionException("service '" + service + "' is " + s.state()
          + ": only a FAILED service can be retried");
    }
    String failed = s.attributes().getOrDefault(ATTR_FAILED_PHASE, "");
    Trigger t = switch (failed) {
      case "FAILING_OVER" -> Trigger.RETRY_FAILOVER;
      case "VALIDATING" -> Trigger.RETRY_VALIDATION;
      case "FAILING_BACK" -> Trigger.RETRY_FAILBACK;
      case "REBUILDING" -> Trigger.RETRY_REBUILD;
      default -> throw new IllegalTransitionException("service '" + service
          + "' is FAILED without a recorded failed phase; resolve it instead");
    };
    // A rolled-back phase cannot continue where it stopped (the old site serves again at a newer
    // epoch): it assigns the roles anew at a new epoch.
    Map<String, String> extra = done(s).contains(STEP_ROLLBACK) ? Map.of(ATTR_REASSIGN, "true") : Map.of();
    state.transition(cur, t, "retry by " + by + ": " + why, extra);
    runner.drive();
    return state.state();
  }

  /** An operator declares which state is true. */
  ServiceState resolve(FailoverState target, String by, String why) {
    Trigger t = switch (target) {
      case PRIMARY_ACTIVE -> Trigger.RESOLVE_PRIMARY;
      case BACKUP_ACTIVE -> Trigger.RESOLVE_BACKUP;
      case PRIMARY_DEGRADED, FAILING_OVER, VALIDATING, FAILING_BACK, REBUILDING, FAILED ->
          throw new IllegalArgumentException("resolve target must be PRIMARY_ACTIVE or BACKUP_ACTIVE but was " + target);
    };
    state.transition(null, t, "resolved to " + target + " by " + by + ": " + why, Map.of(ATTR_BY, by, ATTR_WHY, why,
        ATTR_MODE, "resolved"));
    return state.state();
  }

  /** Picks the snapshot, enters REBUILDING with the choice persisted, and runs the rebuild. */
  ServiceState rebuild(RebuildRequest request, String by, String why) {
    RebuildSources src = ctx.requireRebuildSources();
    Versioned<ServiceState> cur = state.current();
    TransitionTable.require(service, cur.value().state(), Trigger.REBUILD);
    List<SnapshotRef> all;
    try {
      all = src.catalog().snapshots(service);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new RebuildRefusedException("rebuild of '" + service + "' refused: the snapshot catalogue cannot be"
          + " read: " + e);
    }
    SnapshotRef snap;
    try {
      snap = SnapshotChooser.choose(service, all, request);
    } catch (RebuildRefusedException e) {
      ctx.refused(cur.value(), "snapshot", String.valueOf(e.getMessage()), Map.of("request", request, "by", by));
      throw e;
    }
    Map<String, String> extra = new TreeMap<>();
    extra.put(ATTR_MODE, "manual");
    extra.put(ATTR_BY, by);
    extra.put(ATTR_WHY, why);
    extra.put(Replayer.ATTR_SNAPSHOT_SPEC, request.snapshotSpec());
    extra.put(Replayer.ATTR_TARGET_SPEC, request.targetSpec());
    extra.put(Replayer.ATTR_SNAPSHOT_ID, snap.id());
    extra.put(Replayer.ATTR_SNAPSHOT_TIME, snap.time().toString());
    extra.put(Replayer.ATTR_SNAPSHOT_SIZE, Long.toString(snap.sizeBytes()));
    LogPosition pos = snap.logPosition();
    if (pos != null) {
      extra.put(Replayer.ATTR_FROM_OFFSET, Long.toString(pos.offset()));
      extra.put(Replayer.ATTR_FROM_EPOCH, Long.toString(pos.epoch()));
    }
    extra.put(Replayer.ATTR_FROM_SITE, siteName(servingAfter(cur.value())));
    state.transition(cur, Trigger.REBUILD, "rebuild by " + by + " from snapshot " + SnapshotChooser.describe(snap)
        + " (" + request + "): " + why, extra);
    runner.drive();
    return state.state();
  }

  /** Continues the phase the stored state is in. */
  ServiceState resume() {
    ServiceState s = state.reload();
    if (TransitionTable.isPhase(s.state())) {
      ctx.publish(Severity.INFO, "resumed", "resuming " + s.state() + " of '" + service + "' at epoch " + s.epoch()
          + " (steps done: " + s.attributes().getOrDefault(ATTR_DONE, "none") + ")", s,
          Map.of("done", s.attributes().getOrDefault(ATTR_DONE, "")));
    }
    runner.drive();
    return state.state();
  }
}
