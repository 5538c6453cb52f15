package dev.drkit.core.failover;

/*
 * Why this file is longer than about 600 lines: it is the engine's public surface and nothing
 * else. Each public method here carries its contract (the Javadoc users read) and delegates to the
 * class that does the work: EngineState (the persisted state and its transitions), Commands (what
 * each command and verdict does), FailoverGates (automatic-failover, damping and the one RPO
 * gate), PhaseRunner (driving phases to their end), Phases and StepExecutor (the steps of each
 * phase and how one step runs). The nested Builder stays here because its name,
 * FailoverEngine.Builder, is public API.
 */

import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.internal.config.CheckValidation;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Lease;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failover state machine of one protected service, in the style of Resilience4j's
 * {@code CircuitBreakerStateMachine}: the current state lives in one {@link AtomicReference}; a
 * transition is validated against {@link TransitionTable}, persisted through
 * {@link StateStore#compareAndSet} <b>before</b> any side effect runs, swapped in, and then
 * published as an event.
 *
 * <p><b>Phases.</b> FAILING_OVER, VALIDATING and FAILING_BACK are run as a sequence of named steps
 * (see docs/failover.md). Every completed step is recorded in the persisted state's {@code done}
 * attribute; every {@link FailoverActions} call is idempotent for its epoch. An engine built on a
 * store whose state is in the middle of a phase therefore resumes with {@link #resume()} from the
 * first step not yet recorded, repeating at most the step that was running when the previous
 * process died. Each step is retried by a Failsafe {@link dev.failsafe.RetryPolicy} (the waits go
 * through the injected {@link Sleeper}).
 *
 * <p><b>The rule: never the outage.</b> Once a phase has fenced the serving site (its point of no
 * return: FAILING_OVER and VALIDATING from their start, FAILING_BACK from its {@code switch}),
 * nothing may leave the service without a serving site. The {@linkplain PhaseBudgets time budget}
 * is checked only before that point, where aborting to FAILED leaves the old site serving; after
 * it the phase completes, and a breach is recorded ({@code failover.budget.breached} WARN, the
 * {@link PhaseRecord}, {@link #ATTR_BUDGET_BREACHED}) as a missed objective. A step failing past
 * its retries after that point, before the new site receives traffic, rolls back: the old site is
 * restored at a new epoch (fence the new one, promote and redirect to the old one, demote the new
 * one); FAILED then records in {@link #ATTR_SERVING_SITE} which site serves.
 *
 * <p><b>Epochs.</b> Every role change increments the epoch (entering FAILING_OVER, the switch of
 * roles inside FAILING_BACK, a rollback, an operator's resolve); every action receives the epoch in
 * force, and the old active site is fenced at the new epoch before the other one is promoted, so at
 * most one site is promoted at any epoch. The {@link Coordinator}'s lease is checked before every
 * transition and every action; a phase run is pinned to the lease it started under. A phase driven
 * under a leadership term other than the one its epoch was assigned under ({@link #ATTR_TERM}) is
 * first re-assigned at a new epoch, persisted before any action, so every late action of a paused
 * predecessor carries an older epoch than its receiver has seen and is refused there.
 *
 * <p><b>Threads.</b> Thread-safe. Probe outcomes, verdicts and commands may arrive from any
 * thread. Transitions are serialized; one thread at a time drives a phase (the one whose command
 * or verdict started it); a concurrent {@link #abort} stops it at its next step boundary.
 * Commands return after the phases they started have ended (or were taken over by another
 * thread).
 */
public final class FailoverEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverEngine.class);

  /** Attribute: comma-separated steps of the current phase that are done. */
  public static final String ATTR_DONE = "done";
  /** Attribute: how the operation in progress started: automatic, manual, forced, planned. */
  public static final String ATTR_MODE = "mode";
  /** Attribute: who ordered the operation in progress. */
  public static final String ATTR_BY = "by";
  /** Attribute: why the operation in progress was ordered. */
  public static final String ATTR_WHY = "why";
  /** Attribute: {@code true} for a switchover or failback without data loss (replication drained). */
  public static final String ATTR_PLANNED = "planned";
  /** Attribute: in FAILED, the phase that failed. */
  public static final String ATTR_FAILED_PHASE = "failedPhase";
  /** Attribute: in FAILED, the error. */
  public static final String ATTR_ERROR = "error";
  /** Attribute: when the last failover started (ISO-8601), for flap damping. */
  public static final String ATTR_LAST_FAILOVER_AT = "lastFailoverAt";
  /** Attribute: the data loss estimated when the failover was decided, in milliseconds. */
  public static final String ATTR_ESTIMATED_LOSS = "estimatedLossMillis";
  /** Attribute: the data loss measured after fencing, in milliseconds. */
  public static final String ATTR_MEASURED_LOSS = "measuredLossMillis";

  /**
   * Attribute: in FAILED, the site that serves ({@code PRIMARY} or {@code BACKUP}: unfenced,
   * promoted and receiving traffic at the newest epoch the engine assigned it), or {@code NONE}.
   */
  public static final String ATTR_SERVING_SITE = "servingSite";
  /** Attribute: the leadership term (lease token) under which the current epoch is acted on. */
  public static final String ATTR_TERM = "term";
  /**
   * Attribute: the phases of the operation in progress (or last ended) that ran past their budget
   * after their point of no return, completed anyway, and so missed their objective.
   */
  public static final String ATTR_BUDGET_BREACHED = "budgetBreached";
  /** Attribute: the epoch a phase was re-assigned from (a new term took it over, or a retry after a rollback). */
  public static final String ATTR_PREVIOUS_EPOCH = "previousEpoch";
  /** Attribute: set by a retry of a rolled-back phase; the phase assigns the roles anew at a new epoch. */
  public static final String ATTR_REASSIGN = "reassign";
  /** The value of {@link #ATTR_SERVING_SITE} when no site serves. */
  public static final String NO_SITE = "NONE";

  private final EngineContext ctx;
  private final String service;
  private final LongSupplier nanoTime;
  private final Builder origin;
  private final EngineState state;
  private final Phases phases;
  private final PhaseRunner runner;
  private final Commands commands;
  private final AtomicReference<@Nullable Deferred> deferredVerdict = new AtomicReference<>();
  private final LeadershipLoop leadership;

  private FailoverEngine(Builder b) {
    this.origin = b.copy();
    this.service = b.config.name();
    StateStore store = Objects.requireNonNull(b.store, "stateStore");
    FailoverActions actions = Objects.requireNonNull(b.actions, "actions");
    Coordinator coordinator = Objects.requireNonNull(b.coordinator, "coordinator");
    if (b.validator == null && !b.config.validation().isEmpty()) {
      throw new IllegalStateException("service '" + service + "' has " + b.config.validation().size()
          + " validation steps but no ServiceValidator was given");
    }
    ServiceValidator validator = b.validator != null ? b.validator
        : (c, site, epoch) -> new ValidationReport(c.name(), site, epoch, b.clock.instant(), Duration.ZERO, List.of());
    this.ctx = new EngineContext(b.config, store, actions, coordinator, validator, b.estimator, b.events, b.clock,
        b.sleeper, b.budgets, b.maxAttempts, b.retryDelay, b.drainPollInterval, b.minTimeBetweenFailovers,
        b.automaticFailover, b.eventPrefix, b.rebuildSources);
    this.nanoTime = b.nanoTime;
    this.leadership = new LeadershipLoop(coordinator, b.leadershipPoll, b.threadFactory,
        "drkit-leadership-" + service, new LeadershipEvents());
    DetectionPolicy detection = b.detection != null ? b.detection : ConsecutiveFailuresPolicy.ofDefaults();
    this.state = new EngineState(ctx, detection, leadership::status);
    StepExecutor steps = new StepExecutor(ctx, state);
    this.phases = new Phases(ctx, state, steps);
    this.runner = new PhaseRunner(ctx, state, phases);
    this.commands = new Commands(ctx, state, new FailoverGates(ctx), runner);
  }


  /**
   * @param config the service to protect (name, RPO, RTO, validation steps)
   * @return a builder
   */
  public static Builder builder(RecoveryConfig config) {
    return new Builder(Objects.requireNonNull(config, "config"));
  }

  /** @return the service's config */
  public RecoveryConfig config() {
    return ctx.config;
  }

  /** @return the current state as this engine last stored or loaded it */
  public ServiceState state() {
    return state.state();
  }

  /** @return the current state with its store version */
  public Versioned<ServiceState> versionedState() {
    return state.current();
  }

  /**
   * Reloads the state from the store (after another process changed it).
   *
   * @return the stored state
   */
  public ServiceState reload() {
    return state.reload();
  }

  /** @return the phases this engine ran, oldest first */
  public List<PhaseRecord> phaseHistory() {
    return runner.history();
  }

  /**
   * @param phase FAILING_OVER, VALIDATING or FAILING_BACK
   * @return the phase's time budget for this service
   * @throws IllegalArgumentException for a state that is not a phase
   */
  public Duration phaseBudget(FailoverState phase) {
    return ctx.budgets.budget(phase, ctx.config.rto());
  }

  /** @return the latest validation report this engine produced */
  public Optional<ValidationReport> lastValidation() {
    return phases.lastValidation();
  }

  // ---------------------------------------------------------------- detection

  /**
   * Feeds one probe outcome of the active primary to the service's {@link DetectionPolicy} and acts
   * on the verdict as {@link #onVerdict} does.
   *
   * @param healthy whether the probe passed
   * @return the policy's verdict
   */
  public HealthVerdict recordProbe(boolean healthy) {
    HealthVerdict v = state.detection().record(healthy, nanoTime.getAsLong());
    onVerdict(v, "probe");
    return v;
  }

  /**
   * Acts on a verdict about the primary (from {@link #recordProbe} or an external detector such
   * as dr-validation's). In PRIMARY_ACTIVE, SUSPECT degrades the service; in PRIMARY_DEGRADED,
   * HEALTHY restores it; DOWN in either starts an automatic failover if automatic failover is
   * enabled, the last failover is older than the minimum interval (flap damping) and the
   * estimated data loss is within the RPO; otherwise a {@code failover.refused} event says which
   * gate refused. Verdicts in other states are ignored.
   *
   * <p>Runs on the caller's thread, including a whole failover: a detector should hand verdicts
   * over through dr-validation's {@code EngineVerdictBridge}, which runs them on an executor. A
   * {@linkplain #start() started} engine that does not lead keeps the latest verdict it could not
   * act on ({@code failover.verdict.deferred}) and applies it when it leads.
   *
   * @param verdict the detector's judgement of the primary: HEALTHY, SUSPECT or DOWN
   * @param source who reached it (for the events)
   * @return the state afterwards
   * @throws LeadershipLostException when the engine was not started and this instance holds no
   *     lease (a {@code failover.verdict.refused} event is published too)
   */
  public ServiceState onVerdict(HealthVerdict verdict, String source) {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(source, "source");
    HealthVerdict before = state.swapVerdict(verdict);
    Versioned<ServiceState> cur = state.current();
    if (before != verdict) {
      ctx.publish(verdict == HealthVerdict.HEALTHY ? Severity.INFO : Severity.WARN, "detection",
          "primary of '" + service + "' is " + verdict + " (was " + before + ") according to " + source,
          cur.value(), Map.of("verdict", verdict, "previous", before, "source", source));
    }
    deferredVerdict.set(null);
    try {
      commands.act(cur, verdict, source);
    } catch (LeadershipLostException e) {
      if (leadership.status() == LeadershipStatus.NOT_STARTED) {
        // the host manages the lease itself (no start()): it learns of the refusal from the exception
        ctx.publish(Severity.WARN, "verdict.refused", "verdict " + verdict + " from " + source + " about '" + service
            + "' not acted on: " + e.getMessage(), state(), Map.of("verdict", verdict, "source", source));
        throw e;
      }
      deferredVerdict.set(new Deferred(verdict, source));
      ctx.publish(Severity.WARN, "verdict.deferred", "verdict " + verdict + " from " + source + " about '" + service
          + "' kept until this engine leads: " + e.getMessage(), state(), Map.of("verdict", verdict, "source", source,
          "leadership", leadership.status()));
    }
    return state();
  }

  /** A verdict that could not be acted on without the lease; applied when leadership is gained. */
  private record Deferred(HealthVerdict verdict, String source) {}

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts following the {@link Coordinator}'s leadership on a thread of the builder's
   * {@linkplain Builder#threadFactory thread factory}: when the lease is obtained the engine
   * resumes from the stored state (a phase in progress continues, re-assigned at a new epoch
   * under the new term) and applies the latest verdict that arrived while it waited; when the
   * lease ends it steps down (a phase it drives stops at its next step) and waits for the next
   * term. A coordinator that grants the lease at once ({@link dev.drkit.core.coord.LocalCoordinator})
   * makes the engine lead before this method returns (the stored state is resumed on the
   * leadership thread, which then publishes {@code failover.leadership.acquired}, as after every
   * later acquisition); otherwise it logs a WARN and publishes
   * {@code failover.leadership.waiting}, and {@link #leadership()} says {@code WAITING}. Calling it
   * again while started does nothing.
   *
   * @return this engine
   * @throws IllegalStateException when the engine is closed
   */
  public FailoverEngine start() {
    leadership.start();
    return this;
  }

  /**
   * Stops following leadership. The leadership thread is interrupted, so a phase it drives stops
   * at its next step boundary with the stored state kept for the next leader (as after a crash).
   * The coordinator, store and actions belong to the host and are not closed; the lease is not
   * given up (close the coordinator for that). Idempotent.
   */
  @Override
  public void close() {
    leadership.close();
  }

  /**
   * Waits until this started engine leads and has resumed its stored state in the current term
   * (the moment it publishes {@code failover.leadership.acquired}). Commands sent before that may
   * find the leadership thread driving a resumed phase, and then return before the phase ends.
   *
   * @param timeout how long to wait
   * @return true when the engine leads, false when the timeout passed first, or the engine is not
   *     started or closed
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean awaitLeading(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    if (leadership.status() == LeadershipStatus.NOT_STARTED) {
      return false;
    }
    return leadership.awaitLeading(timeout);
  }

  /** @return whether this instance holds a valid lease of its coordinator now */
  public boolean isLeader() {
    return ctx.coordinator.currentLease().filter(Lease::isValid).isPresent();
  }

  /** @return where this engine stands with its coordinator ({@code NOT_STARTED} until {@link #start()}) */
  public LeadershipStatus leadership() {
    return leadership.status();
  }

  /** What the engine does when its leadership changes (see {@link #start()}). */
  private final class LeadershipEvents implements LeadershipLoop.Listener {
    @Override
    public void acquired(Lease lease) {
      LOG.info("service {}: leadership term {} begins; this engine leads", service, lease.token());
      ServiceState s = state();
      ctx.publish(Severity.INFO, "leadership.acquired", "this engine leads '" + service + "' in leadership term "
          + lease.token() + " (resumed from the stored state: " + s.state() + " at epoch " + s.epoch() + ")", s,
          Map.of("term", lease.token()));
    }

    @Override
    public void lead(Lease lease) {
      resume();
      Deferred d = deferredVerdict.getAndSet(null);
      if (d != null && lease.isValid()) {
        onVerdict(d.verdict(), d.source() + " (kept while waiting for leadership)");
      }
    }

    @Override
    public void lost(Lease lease) {
      LOG.warn("service {}: leadership term {} ended; this engine steps down and waits for the next term", service,
          lease.token());
      ctx.publish(Severity.WARN, "leadership.lost", "this engine no longer leads '" + service + "': leadership term "
          + lease.token() + " ended", state(), Map.of("term", lease.token()));
    }

    @Override
    public void waiting() {
      LOG.warn("service {}: the failover engine is started but does not lead: it waits for the lease of {};"
          + " commands are refused and verdicts are kept until it leads", service, ctx.coordinator);
      ctx.publish(Severity.WARN, "leadership.waiting", "the engine of '" + service + "' waits for the coordinator's"
          + " lease; commands are refused and verdicts are kept until it leads", state(),
          Map.of("coordinator", ctx.coordinator));
    }
  }

  // ---------------------------------------------------------------- commands

  /**
   * An operator's failover: from PRIMARY_ACTIVE or PRIMARY_DEGRADED, subject to the RPO gate (not
   * to flap damping). Runs FAILING_OVER and VALIDATING.
   *
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards (BACKUP_ACTIVE, or FAILED)
   * @throws FailoverRefusedException when the estimated data loss exceeds the RPO
   * @throws IllegalTransitionException when the service is not in a state that can fail over
   * @throws LeadershipLostException when this instance does not hold the coordinator's lease
   */
  public ServiceState failover(String by, String why) {
    return failover(by, why, false);
  }

  /**
   * A forced failover: like {@link #failover} but past the RPO gate; recorded (mode {@code forced},
   * who, why, the estimate) in the state and in a WARN {@code failover.forced} event.
   *
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards
   * @throws IllegalTransitionException when the service is not in a state that can fail over
   * @throws LeadershipLostException when this instance does not hold the coordinator's lease
   */
  public ServiceState forceFailover(String by, String why) {
    return failover(by, why, true);
  }

  private ServiceState failover(String by, String why, boolean force) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.failover(by, why, force);
  }

  /**
   * A planned switch without data loss. From PRIMARY_ACTIVE or PRIMARY_DEGRADED: fence the primary
   * at epoch+1, wait until the estimated loss is zero, promote the backup, redirect, demote the
   * primary, validate. From BACKUP_ACTIVE: a failback (which always drains).
   *
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards
   * @throws IllegalTransitionException from any other state
   */
  public ServiceState switchover(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.switchover(by, why);
  }

  /**
   * Returns to the primary from BACKUP_ACTIVE: resync the primary from the backup, validate it,
   * switch roles at epoch+1 (fence the backup, drain, promote the primary, redirect, demote the
   * backup).
   *
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards
   * @throws IllegalTransitionException from any other state
   */
  public ServiceState failback(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.failback(by, why);
  }

  /**
   * Stops what is in progress: PRIMARY_DEGRADED returns to PRIMARY_ACTIVE; a phase goes to FAILED
   * (the thread driving it stops at its next step boundary; the step it is running completes).
   *
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards
   * @throws IllegalTransitionException in a steady state or FAILED
   * @throws VersionConflictException when the state changed between this command's reading it and
   *     its transition (another command or the driving thread moved it); nothing was done: read the
   *     state again and decide
   */
  public ServiceState abort(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.abort(by, why);
  }

  /**
   * Re-runs the phase that failed, from its first step not yet done, with a fresh time budget. A
   * phase that was rolled back (the old site serves again) is re-run with its roles assigned anew
   * at a new epoch: every fence, promote and redirect is done again.
   *
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards
   * @throws IllegalTransitionException when the service is not FAILED
   * @throws VersionConflictException when the state changed between this command's reading it and
   *     its transition (a concurrent retry, resolve or rebuild); nothing was retried: read the state
   *     again and decide
   */
  public ServiceState retry(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.retry(by, why);
  }

  /**
   * An operator declares which state is true after repairing by hand: PRIMARY_ACTIVE (the primary
   * serves) or BACKUP_ACTIVE (the backup serves). Recorded at a new epoch so that anything still
   * acting under the old one is stale; no action is run.
   *
   * @param target PRIMARY_ACTIVE or BACKUP_ACTIVE
   * @param by who declares it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards
   * @throws IllegalArgumentException for another target
   * @throws IllegalTransitionException when the service is not FAILED
   */
  public ServiceState resolve(FailoverState target, String by, String why) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.resolve(target, by, why);
  }

  /**
   * Rebuilds the service from a snapshot and its replication log (both copies lost, or the data
   * damaged): picks the snapshot the request names (refusing, before anything changes, when none
   * fits or the target lies before it), then enters REBUILDING at a new epoch with the choice
   * persisted, and runs its steps: fence both sites at that epoch, load the snapshot into the
   * primary site ({@link dev.drkit.core.spi.RebuildTarget#loadSnapshot}), replay the log from the
   * snapshot's {@link LogPosition} up to the target, promote, redirect and validate. From any
   * steady state or FAILED. The outcome is in the state ({@link RebuildReport#of}); a rebuild that
   * stopped on a gap or a damaged record is FAILED with an error naming the offset and what was
   * recovered. Past its fence the phase is not rolled back (no site had good data to roll back to)
   * and its budget (the whole RTO) is recorded, not enforced.
   *
   * @param request which snapshot and how far to replay
   * @param by who orders it
   * @param why why it is ordered (recorded in the state and its events)
   * @return the state afterwards (PRIMARY_ACTIVE, or FAILED)
   * @throws RebuildRefusedException when no snapshot fits the request (the message names the
   *     snapshot to use instead)
   * @throws IllegalStateException when the engine was built without {@link RebuildSources}
   * @throws IllegalTransitionException while another phase is in progress
   * @throws LeadershipLostException when this instance does not hold the coordinator's lease
   */
  public ServiceState rebuild(RebuildRequest request, String by, String why) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    return commands.rebuild(request, by, why);
  }

  /**
   * Continues the phase the stored state is in (after this or another process stopped in the
   * middle of it, or a thread driving it was interrupted); does nothing in a steady state. A phase
   * whose epoch was assigned under another leadership term (or a state that records none) is first
   * re-assigned at a new epoch, persisted before any action, so that nothing this instance does can
   * be confused with a late action of the previous leader (see docs/failover.md).
   *
   * @return the state afterwards
   */
  public ServiceState resume() {
    return commands.resume();
  }

  /**
   * Runs the phases the next role change would run against an isolated target: a copy of the
   * current state in a private in-memory store, {@code isolated} as the actions (production's are
   * never called, so nothing in production is fenced), the same validator and estimator. From
   * PRIMARY_ACTIVE or PRIMARY_DEGRADED it drills a failover (the RPO gate is reported, not
   * enforced); from BACKUP_ACTIVE a failback. Events are published with type prefix
   * {@code drill.}. The production state and its version are unchanged.
   *
   * @param isolated the actions acting on the isolated target
   * @param by who runs the drill
   * @return what happened
   * @throws IllegalTransitionException while a phase is in progress or the service is FAILED
   */
  public DrillResult drill(FailoverActions isolated, String by) {
    Objects.requireNonNull(isolated, "isolated");
    Objects.requireNonNull(by, "by");
    ServiceState production = state();
    FailoverState s = production.state();
    if (s != FailoverState.PRIMARY_ACTIVE && s != FailoverState.PRIMARY_DEGRADED && s != FailoverState.BACKUP_ACTIVE) {
      throw new IllegalTransitionException("service '" + service + "' is " + s + ": a drill needs a steady state");
    }
    List<DrEvent> drillEvents = Collections.synchronizedList(new ArrayList<>());
    EventBus drillBus = EventBus.of(drillEvents::add, ctx.events::publish);
    Builder b = origin.copy();
    b.store = InMemoryStateStore.copyOf(ctx.store, List.of(service));
    b.actions = isolated;
    b.events = drillBus;
    b.detection = new ConsecutiveFailuresPolicy(1, 1);
    b.eventPrefix = "drill";
    FailoverEngine drill = new FailoverEngine(b);
    Instant start = ctx.clock.instant();
    drill.ctx.publish(Severity.INFO, "started", "drill of '" + service + "' by " + by + " from " + s
        + " against an isolated target", production, Map.of("by", by));
    ServiceState result = s == FailoverState.BACKUP_ACTIVE ? drill.failback(by, "drill")
        : drill.forceFailover(by, "drill");
    Instant end = ctx.clock.instant();
    String loss = result.attributes().get(ATTR_MEASURED_LOSS);
    drill.ctx.publish(result.state() == FailoverState.FAILED ? Severity.ERROR : Severity.INFO, "finished",
        "drill of '" + service + "' ended " + result.state(), result, Map.of("duration", Duration.between(start, end)));
    return new DrillResult(service, production, result, drill.phaseHistory(), drill.lastValidation().orElse(null),
        Duration.between(start, end), loss == null ? null : Duration.ofMillis(Long.parseLong(loss)), drillEvents);
  }

  @Override
  public String toString() {
    Versioned<ServiceState> v = state.current();
    return "FailoverEngine{" + service + " " + v.value().state() + " epoch " + v.value().epoch() + " v"
        + v.version() + "}";
  }

  /** Builds a {@link FailoverEngine}; not thread-safe. */
  public static final class Builder {
    private final RecoveryConfig config;
    private @Nullable StateStore store;
    private @Nullable FailoverActions actions;
    private @Nullable Coordinator coordinator;
    private @Nullable ServiceValidator validator;
    private DataLossEstimator estimator = DataLossEstimator.none();
    private EventBus events = new EventBus();
    private Clock clock = Clock.systemUTC();
    private LongSupplier nanoTime = System::nanoTime;
    private Sleeper sleeper = Sleeper.SYSTEM;
    private @Nullable DetectionPolicy detection;
    private Duration minTimeBetweenFailovers = Duration.ofMinutes(10);
    private PhaseBudgets budgets = PhaseBudgets.ofDefaults();
    private int maxAttempts = 3;
    private Duration retryDelay = Duration.ofSeconds(1);
    private Duration drainPollInterval = Duration.ofSeconds(1);
    private boolean automaticFailover = true;
    private String eventPrefix = "failover";
    private ThreadFactory threadFactory = DrkitThreads.daemon("drkit-engine");
    private Duration leadershipPoll = Duration.ofSeconds(1);
    private @Nullable RebuildSources rebuildSources;
    private CheckSpecValidator checkValidator = CheckSpecValidator.discovered();

    private Builder(RecoveryConfig config) {
      this.config = config;
    }

    private Builder copy() {
      Builder b = new Builder(config);
      b.store = store;
      b.actions = actions;
      b.coordinator = coordinator;
      b.validator = validator;
      b.estimator = estimator;
      b.events = events;
      b.clock = clock;
      b.nanoTime = nanoTime;
      b.sleeper = sleeper;
      b.detection = detection;
      b.minTimeBetweenFailovers = minTimeBetweenFailovers;
      b.budgets = budgets;
      b.maxAttempts = maxAttempts;
      b.retryDelay = retryDelay;
      b.drainPollInterval = drainPollInterval;
      b.automaticFailover = automaticFailover;
      b.eventPrefix = eventPrefix;
      b.threadFactory = threadFactory;
      b.leadershipPoll = leadershipPoll;
      b.rebuildSources = rebuildSources;
      b.checkValidator = checkValidator;
      return b;
    }

    /**
     * @param store where the state is persisted (required)
     * @return this builder
     */
    public Builder stateStore(StateStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * @param actions the host's fence/promote/redirect/resync/demote (required)
     * @return this builder
     */
    public Builder actions(FailoverActions actions) {
      this.actions = Objects.requireNonNull(actions, "actions");
      return this;
    }

    /**
     * @param coordinator whose lease is checked before every transition and action (required)
     * @return this builder
     */
    public Builder coordinator(Coordinator coordinator) {
      this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
      return this;
    }

    /**
     * @param validator runs the validation steps (required when the config has any)
     * @return this builder
     */
    public Builder validator(ServiceValidator validator) {
      this.validator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * @param estimator the data-loss estimate for the RPO gate (default: no loss)
     * @return this builder
     */
    public Builder dataLossEstimator(DataLossEstimator estimator) {
      this.estimator = Objects.requireNonNull(estimator, "estimator");
      return this;
    }

    /**
     * @param events the shared bus events go to (default: a bus without listeners, so pass the
     *     bus the rest of the application uses)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /**
     * @param threadFactory creates the thread that follows leadership after {@link FailoverEngine#start()}
     *     (default: a daemon thread named {@code drkit-leadership-<service>}; pass your own for
     *     virtual threads or context propagation; the engine names the thread)
     * @return this builder
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
      return this;
    }

    /**
     * @param poll how long one wait for the lease lasts, and how often a held lease is checked, by a
     *     started engine (default 1 s): a lost lease is noticed within this time
     * @return this builder
     * @throws IllegalArgumentException when not positive
     */
    public Builder leadershipPollInterval(Duration poll) {
      if (Objects.requireNonNull(poll, "poll").isNegative() || poll.isZero()) {
        throw new IllegalArgumentException("leadershipPollInterval must be positive but was " + poll);
      }
      this.leadershipPoll = poll;
      return this;
    }

    /**
     * @param clock the time of states, events and budgets (default: UTC system clock)
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param nanoTime the monotonic time given to the detection policy (default:
     *     {@link System#nanoTime()})
     * @return this builder
     */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * @param sleeper how the engine waits between retries and drain polls (default: sleeping)
     * @return this builder
     */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * @param detection the policy fed by {@link FailoverEngine#recordProbe} (default:
     *     {@link ConsecutiveFailuresPolicy#ofDefaults()})
     * @return this builder
     */
    public Builder detectionPolicy(DetectionPolicy detection) {
      this.detection = Objects.requireNonNull(detection, "detection");
      return this;
    }

    /**
     * @param min the least time between two automatic failovers (flap damping; default 10 min)
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder minTimeBetweenFailovers(Duration min) {
      if (Objects.requireNonNull(min, "min").isNegative()) {
        throw new IllegalArgumentException("minTimeBetweenFailovers must not be negative but was " + min);
      }
      this.minTimeBetweenFailovers = min;
      return this;
    }

    /**
     * @param budgets the phases' shares of the RTO (default {@link PhaseBudgets#ofDefaults()})
     * @return this builder
     */
    public Builder phaseBudgets(PhaseBudgets budgets) {
      this.budgets = Objects.requireNonNull(budgets, "budgets");
      return this;
    }

    /**
     * @param maxAttempts attempts per step before the phase fails (default 3)
     * @param delay the wait between attempts (default 1 s)
     * @return this builder
     * @throws IllegalArgumentException when {@code maxAttempts < 1} or {@code delay} is negative
     */
    public Builder retries(int maxAttempts, Duration delay) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1 but was " + maxAttempts);
      }
      if (Objects.requireNonNull(delay, "delay").isNegative()) {
        throw new IllegalArgumentException("retry delay must not be negative but was " + delay);
      }
      this.maxAttempts = maxAttempts;
      this.retryDelay = delay;
      return this;
    }

    /**
     * @param interval how often a planned switch polls the estimator while draining (default 1 s)
     * @return this builder
     * @throws IllegalArgumentException when not positive
     */
    public Builder drainPollInterval(Duration interval) {
      if (Objects.requireNonNull(interval, "interval").isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("drainPollInterval must be positive but was " + interval);
      }
      this.drainPollInterval = interval;
      return this;
    }

    /**
     * @param enabled whether a DOWN verdict may start a failover by itself (default true)
     * @return this builder
     */
    public Builder automaticFailover(boolean enabled) {
      this.automaticFailover = enabled;
      return this;
    }

    /**
     * @param sources the snapshot catalogue, replay log and rebuild target that
     *     {@link FailoverEngine#rebuild} uses (default: none, and rebuild is refused)
     * @return this builder
     */
    public Builder rebuildSources(RebuildSources sources) {
      this.rebuildSources = Objects.requireNonNull(sources, "sources");
      return this;
    }

    /**
     * Sets what checks every {@link dev.drkit.core.config.CheckSpec} of the service's validation steps in
     * {@link #build()}, whatever validator the {@link RecoveryConfig} itself was built with (a
     * config built with {@link CheckSpecValidator#acceptAll()} is checked here again). The default,
     * {@link CheckSpecValidator#discovered()}, knows dr-validation's check types when it is on the
     * class path; pass {@code registry.specValidator()} to also require that the resources the
     * checks name are registered, or {@link CheckSpecValidator#acceptAll()} to check nothing.
     *
     * @param validator the validator; not kept by the built engine
     * @return this builder
     * @throws NullPointerException when {@code validator} is null
     */
    public Builder checkValidator(CheckSpecValidator validator) {
      this.checkValidator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * Loads the service's state from the store (creating PRIMARY_ACTIVE at epoch 1 when absent).
     * Does not take leadership nor resume a phase in progress: call {@link FailoverEngine#start()}
     * (which does both, now and in every later leadership term), or, when the host manages the
     * lease itself, {@link FailoverEngine#resume()}.
     *
     * @return the engine
     * @throws NullPointerException when the store, actions or coordinator are missing
     * @throws IllegalStateException when the config has validation steps but no validator was given
     * @throws ConfigException when the {@linkplain #checkValidator check validator} refuses a check
     *     of the service (an unknown type or an unknown, missing or ill-typed parameter), naming the
     *     service, the step and the parameter at paths such as
     *     {@code validation[0].checks[1].params.urll}, with a "did you mean" hint where one fits;
     *     nothing is loaded or stored then
     */
    public FailoverEngine build() {
      List<ConfigException.Problem> problems = CheckValidation.problems(config.name(), config.validation(),
          checkValidator, "");
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new FailoverEngine(this);
    }
  }
}
