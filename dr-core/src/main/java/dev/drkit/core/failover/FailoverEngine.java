package dev.drkit.core.failover;

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
import static dev.drkit.core.failover.PhaseSteps.committed;
import static dev.drkit.core.failover.PhaseSteps.done;
import static dev.drkit.core.failover.PhaseSteps.reassignment;
import static dev.drkit.core.failover.PhaseSteps.servingAfter;
import static dev.drkit.core.failover.PhaseSteps.siteName;
import static dev.drkit.core.failover.PhaseSteps.target;
import static dev.drkit.core.failover.PhaseSteps.withDone;

import dev.drkit.core.DetectionPolicy;
import dev.drkit.core.DrTimeoutException;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.RecoveryConfig;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.failover.PhaseSteps.Reassignment;
import dev.drkit.core.failover.TransitionTable.Transition;
import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.spi.Coordinator;
import dev.drkit.spi.DataLossEstimator;
import dev.drkit.spi.DrEvent;
import dev.drkit.spi.DrEvent.Severity;
import dev.drkit.spi.FailoverActions;
import dev.drkit.spi.Lease;
import dev.drkit.spi.LogPosition;
import dev.drkit.spi.ServiceState;
import dev.drkit.spi.ServiceValidator;
import dev.drkit.spi.Site;
import dev.drkit.spi.SnapshotRef;
import dev.drkit.spi.StateStore;
import dev.drkit.spi.Versioned;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.NullUnmarked;
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
 * process died. Each step is retried by a Failsafe {@link RetryPolicy} (the waits go through the
 * injected {@link Sleeper}).
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
@NullUnmarked // left unchecked while it is split on another branch: NullAway runs on it after the merge
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

  private static final Set<String> OPERATION_ATTRS = Set.of(ATTR_MODE, ATTR_BY, ATTR_WHY, ATTR_PLANNED,
      ATTR_ESTIMATED_LOSS, ATTR_MEASURED_LOSS, ATTR_BUDGET_BREACHED);

  private final RecoveryConfig config;
  private final String service;
  private final StateStore store;
  private final FailoverActions actions;
  private final Coordinator coordinator;
  private final ServiceValidator validator;
  private final DataLossEstimator estimator;
  private final EventBus events;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  private final DetectionPolicy detection;
  private final Duration minTimeBetweenFailovers;
  private final PhaseBudgets budgets;
  private final int maxAttempts;
  private final Duration retryDelay;
  private final Duration drainPollInterval;
  private final boolean automaticFailover;
  private final String eventPrefix;
  private final @Nullable RebuildSources rebuildSources;
  private final Builder origin;

  private final AtomicReference<Versioned<ServiceState>> current = new AtomicReference<>();
  private final ReentrantLock transitionLock = new ReentrantLock();
  private final ReentrantLock runner = new ReentrantLock();
  private final List<PhaseRecord> phases = new CopyOnWriteArrayList<>();
  private final AtomicReference<ValidationReport> lastValidation = new AtomicReference<>();
  private final AtomicReference<HealthVerdict> lastVerdict = new AtomicReference<>(HealthVerdict.HEALTHY);
  private final AtomicReference<@Nullable Deferred> deferredVerdict = new AtomicReference<>();
  private final LeadershipLoop leadership;

  private FailoverEngine(Builder b) {
    this.origin = b.copy();
    this.config = b.config;
    this.service = b.config.name();
    this.store = Objects.requireNonNull(b.store, "stateStore");
    this.actions = Objects.requireNonNull(b.actions, "actions");
    this.coordinator = Objects.requireNonNull(b.coordinator, "coordinator");
    if (b.validator == null && !b.config.validation().isEmpty()) {
      throw new IllegalStateException("service '" + service + "' has " + b.config.validation().size()
          + " validation steps but no ServiceValidator was given");
    }
    this.validator = b.validator != null ? b.validator
        : (c, site, epoch) -> new ValidationReport(c.name(), site, epoch, b.clock.instant(), Duration.ZERO, List.of());
    this.estimator = b.estimator;
    this.events = b.events;
    this.clock = b.clock;
    this.nanoTime = b.nanoTime;
    this.sleeper = b.sleeper;
    this.detection = b.detection != null ? b.detection : ConsecutiveFailuresPolicy.ofDefaults();
    this.minTimeBetweenFailovers = b.minTimeBetweenFailovers;
    this.budgets = b.budgets;
    this.maxAttempts = b.maxAttempts;
    this.retryDelay = b.retryDelay;
    this.drainPollInterval = b.drainPollInterval;
    this.automaticFailover = b.automaticFailover;
    this.eventPrefix = b.eventPrefix;
    this.leadership = new LeadershipLoop(coordinator, b.leadershipPoll, b.threadFactory,
        "drkit-leadership-" + service, new LeadershipEvents());
    this.rebuildSources = b.rebuildSources;
    Optional<Versioned<ServiceState>> stored = store.load(service);
    if (stored.isPresent()) {
      current.set(stored.get());
    } else {
      ServiceState initial = ServiceState.initial(service, clock.instant());
      try {
        long v = store.compareAndSet(service, 0, initial);
        current.set(new Versioned<>(initial, v));
        publish(Severity.INFO, "initialized", "service '" + service + "' starts PRIMARY_ACTIVE at epoch 1", initial,
            Map.of("state", initial.state()));
      } catch (VersionConflictException e) {
        current.set(store.load(service).orElseThrow(() -> e));
      }
    }
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
    return config;
  }

  /** @return the current state as this engine last stored or loaded it */
  public ServiceState state() {
    return current.get().value();
  }

  /** @return the current state with its store version */
  public Versioned<ServiceState> versionedState() {
    return current.get();
  }

  /**
   * Reloads the state from the store (after another process changed it).
   *
   * @return the stored state
   */
  public ServiceState reload() {
    store.load(service).ifPresent(current::set);
    return state();
  }

  /** @return the phases this engine ran, oldest first */
  public List<PhaseRecord> phaseHistory() {
    return List.copyOf(phases);
  }

  /**
   * @param phase FAILING_OVER, VALIDATING or FAILING_BACK
   * @return the phase's time budget for this service
   * @throws IllegalArgumentException for a state that is not a phase
   */
  public Duration phaseBudget(FailoverState phase) {
    return budgets.budget(phase, config.rto());
  }

  /** @return the latest validation report this engine produced */
  public Optional<ValidationReport> lastValidation() {
    return Optional.ofNullable(lastValidation.get());
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
    HealthVerdict v = detection.record(healthy, nanoTime.getAsLong());
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
   * @param verdict the verdict
   * @param source who reached it (for the events)
   * @return the state afterwards
   * @throws LeadershipLostException when the engine was not started and this instance holds no
   *     lease (a {@code failover.verdict.refused} event is published too)
   */
  public ServiceState onVerdict(HealthVerdict verdict, String source) {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(source, "source");
    HealthVerdict before = lastVerdict.getAndSet(verdict);
    Versioned<ServiceState> cur = current.get();
    if (before != verdict) {
      publish(verdict == HealthVerdict.HEALTHY ? Severity.INFO : Severity.WARN, "detection",
          "primary of '" + service + "' is " + verdict + " (was " + before + ") according to " + source,
          cur.value(), Map.of("verdict", verdict, "previous", before, "source", source));
    }
    deferredVerdict.set(null);
    try {
      act(cur, verdict, source);
    } catch (LeadershipLostException e) {
      if (leadership.status() == LeadershipStatus.NOT_STARTED) {
        // the host manages the lease itself (no start()): it learns of the refusal from the exception
        publish(Severity.WARN, "verdict.refused", "verdict " + verdict + " from " + source + " about '" + service
            + "' not acted on: " + e.getMessage(), state(), Map.of("verdict", verdict, "source", source));
        throw e;
      }
      deferredVerdict.set(new Deferred(verdict, source));
      publish(Severity.WARN, "verdict.deferred", "verdict " + verdict + " from " + source + " about '" + service
          + "' kept until this engine leads: " + e.getMessage(), state(), Map.of("verdict", verdict, "source", source,
          "leadership", leadership.status()));
    }
    return state();
  }

  /** A verdict that could not be acted on without the lease; applied when leadership is gained. */
  private record Deferred(HealthVerdict verdict, String source) {}

  private void act(Versioned<ServiceState> cur, HealthVerdict verdict, String source) {
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
      transition(seen, trigger, reason, Map.of());
    } catch (VersionConflictException | IllegalTransitionException e) {
      LOG.debug("service {}: {} lost a race and was dropped: {}", service, trigger, e.getMessage());
    }
  }

  private void automaticFailover(String source) {
    Versioned<ServiceState> cur = current.get();
    ServiceState s = cur.value();
    if (s.state() != FailoverState.PRIMARY_DEGRADED && s.state() != FailoverState.PRIMARY_ACTIVE) {
      return;
    }
    if (!automaticFailover) {
      refused(s, "automatic-disabled", "primary of '" + service + "' is DOWN but automatic failover is disabled;"
          + " an operator must fail over", Map.of());
      return;
    }
    Instant now = clock.instant();
    String last = s.attributes().get(ATTR_LAST_FAILOVER_AT);
    if (last != null) {
      Instant allowed = Instant.parse(last).plus(minTimeBetweenFailovers);
      if (now.isBefore(allowed)) {
        refused(s, "damping", "automatic failover of '" + service + "' refused: the last failover started at " + last
            + ", less than " + minTimeBetweenFailovers + " ago (next allowed at " + allowed + ")",
            Map.of("lastFailoverAt", last, "minTimeBetweenFailovers", minTimeBetweenFailovers));
        return;
      }
    }
    Duration estimate = estimator.estimate(service, Site.BACKUP);
    if (estimate.compareTo(config.rpo()) > 0) {
      refused(s, "rpo", "automatic failover of '" + service + "' refused: estimated data loss " + estimate
          + " exceeds the RPO " + config.rpo() + "; an operator may force it",
          Map.of("estimatedLoss", estimate, "rpo", config.rpo()));
      return;
    }
    try {
      transition(cur, Trigger.FAILOVER, "automatic failover: primary DOWN according to " + source,
          Map.of(ATTR_MODE, "automatic", ATTR_BY, "drkit", ATTR_WHY, "primary DOWN according to " + source,
              ATTR_ESTIMATED_LOSS, Long.toString(estimate.toMillis())));
    } catch (VersionConflictException | IllegalTransitionException e) {
      LOG.debug("service {}: automatic failover lost a race: {}", service, e.getMessage());
      return;
    }
    drive();
  }

  private void refused(ServiceState s, String gate, String message, Map<String, Object> attrs) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("gate", gate);
    a.putAll(attrs);
    publish(Severity.WARN, "refused", message, s, a);
  }

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
    return coordinator.currentLease().filter(Lease::isValid).isPresent();
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
      publish(Severity.INFO, "leadership.acquired", "this engine leads '" + service + "' in leadership term "
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
      publish(Severity.WARN, "leadership.lost", "this engine no longer leads '" + service + "': leadership term "
          + lease.token() + " ended", state(), Map.of("term", lease.token()));
    }

    @Override
    public void waiting() {
      LOG.warn("service {}: the failover engine is started but does not lead: it waits for the lease of {};"
          + " commands are refused and verdicts are kept until it leads", service, coordinator);
      publish(Severity.WARN, "leadership.waiting", "the engine of '" + service + "' waits for the coordinator's"
          + " lease; commands are refused and verdicts are kept until it leads", state(),
          Map.of("coordinator", coordinator));
    }
  }

  // ---------------------------------------------------------------- commands

  /**
   * An operator's failover: from PRIMARY_ACTIVE or PRIMARY_DEGRADED, subject to the RPO gate (not
   * to flap damping). Runs FAILING_OVER and VALIDATING.
   *
   * @param by who orders it
   * @param why why
   * @return the state afterwards (BACKUP_ACTIVE, or FAILED)
   * @throws FailoverRefusedException when the estimated data loss exceeds the RPO
   * @throws IllegalTransitionException when the service is not in a state that can fail over
   * @throws LeadershipLostException when this instance does not hold the coordinator's lease
   */
  public ServiceState failover(String by, String why) {
    return manualFailover(by, why, false);
  }

  /**
   * A forced failover: like {@link #failover} but past the RPO gate; recorded (mode {@code forced},
   * who, why, the estimate) in the state and in a WARN {@code failover.forced} event.
   *
   * @param by who orders it
   * @param why why
   * @return the state afterwards
   * @throws IllegalTransitionException when the service is not in a state that can fail over
   * @throws LeadershipLostException when this instance does not hold the coordinator's lease
   */
  public ServiceState forceFailover(String by, String why) {
    return manualFailover(by, why, true);
  }

  private ServiceState manualFailover(String by, String why, boolean force) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    Versioned<ServiceState> cur = current.get();
    TransitionTable.require(service, cur.value().state(), Trigger.FAILOVER);
    Duration estimate = estimator.estimate(service, Site.BACKUP);
    if (estimate.compareTo(config.rpo()) > 0) {
      if (!force) {
        String msg = "failover of '" + service + "' refused: estimated data loss " + estimate + " exceeds the RPO "
            + config.rpo() + "; force it to accept the loss";
        refused(cur.value(), "rpo", msg, Map.of("estimatedLoss", estimate, "rpo", config.rpo(), "by", by));
        throw new FailoverRefusedException("rpo", msg);
      }
    }
    if (force) {
      publish(Severity.WARN, "forced", "failover of '" + service + "' forced by " + by + ": " + why
          + " (estimated data loss " + estimate + ", RPO " + config.rpo() + ")", cur.value(),
          Map.of("by", by, "why", why, "estimatedLoss", estimate, "rpo", config.rpo()));
    }
    transition(cur, Trigger.FAILOVER, (force ? "forced" : "manual") + " failover by " + by + ": " + why,
        Map.of(ATTR_MODE, force ? "forced" : "manual", ATTR_BY, by, ATTR_WHY, why,
            ATTR_ESTIMATED_LOSS, Long.toString(estimate.toMillis())));
    drive();
    return state();
  }

  /**
   * A planned switch without data loss. From PRIMARY_ACTIVE or PRIMARY_DEGRADED: fence the primary
   * at epoch+1, wait until the estimated loss is zero, promote the backup, redirect, demote the
   * primary, validate. From BACKUP_ACTIVE: a failback (which always drains).
   *
   * @param by who orders it
   * @param why why
   * @return the state afterwards
   * @throws IllegalTransitionException from any other state
   */
  public ServiceState switchover(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    transition(null, Trigger.SWITCHOVER, "switchover by " + by + ": " + why,
        Map.of(ATTR_MODE, "planned", ATTR_PLANNED, "true", ATTR_BY, by, ATTR_WHY, why));
    drive();
    return state();
  }

  /**
   * Returns to the primary from BACKUP_ACTIVE: resync the primary from the backup, validate it,
   * switch roles at epoch+1 (fence the backup, drain, promote the primary, redirect, demote the
   * backup).
   *
   * @param by who orders it
   * @param why why
   * @return the state afterwards
   * @throws IllegalTransitionException from any other state
   */
  public ServiceState failback(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    transition(null, Trigger.FAILBACK, "failback by " + by + ": " + why,
        Map.of(ATTR_MODE, "manual", ATTR_PLANNED, "true", ATTR_BY, by, ATTR_WHY, why));
    drive();
    return state();
  }

  /**
   * Stops what is in progress: PRIMARY_DEGRADED returns to PRIMARY_ACTIVE; a phase goes to FAILED
   * (the thread driving it stops at its next step boundary; the step it is running completes).
   *
   * @param by who orders it
   * @param why why
   * @return the state afterwards
   * @throws IllegalTransitionException in a steady state or FAILED
   */
  public ServiceState abort(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    ServiceState s = state();
    Map<String, String> extra = TransitionTable.isPhase(s.state())
        ? Map.of(ATTR_ERROR, "aborted by " + by + ": " + why, ATTR_SERVING_SITE, siteName(servingAfter(s)))
        : Map.of();
    transition(null, Trigger.ABORT, "aborted by " + by + ": " + why, extra);
    return state();
  }

  /**
   * Re-runs the phase that failed, from its first step not yet done, with a fresh time budget. A
   * phase that was rolled back (the old site serves again) is re-run with its roles assigned anew
   * at a new epoch: every fence, promote and redirect is done again.
   *
   * @param by who orders it
   * @param why why
   * @return the state afterwards
   * @throws IllegalTransitionException when the service is not FAILED
   */
  public ServiceState retry(String by, String why) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    ServiceState s = state();
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
    transition(null, t, "retry by " + by + ": " + why, extra);
    drive();
    return state();
  }

  /**
   * An operator declares which state is true after repairing by hand: PRIMARY_ACTIVE (the primary
   * serves) or BACKUP_ACTIVE (the backup serves). Recorded at a new epoch so that anything still
   * acting under the old one is stale; no action is run.
   *
   * @param target PRIMARY_ACTIVE or BACKUP_ACTIVE
   * @param by who declares it
   * @param why why
   * @return the state afterwards
   * @throws IllegalArgumentException for another target
   * @throws IllegalTransitionException when the service is not FAILED
   */
  public ServiceState resolve(FailoverState target, String by, String why) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    Trigger t = switch (target) {
      case PRIMARY_ACTIVE -> Trigger.RESOLVE_PRIMARY;
      case BACKUP_ACTIVE -> Trigger.RESOLVE_BACKUP;
      case PRIMARY_DEGRADED, FAILING_OVER, VALIDATING, FAILING_BACK, REBUILDING, FAILED ->
          throw new IllegalArgumentException("resolve target must be PRIMARY_ACTIVE or BACKUP_ACTIVE but was " + target);
    };
    transition(null, t, "resolved to " + target + " by " + by + ": " + why, Map.of(ATTR_BY, by, ATTR_WHY, why,
        ATTR_MODE, "resolved"));
    return state();
  }

  /**
   * Rebuilds the service from a snapshot and its replication log (both copies lost, or the data
   * damaged): picks the snapshot the request names (refusing, before anything changes, when none
   * fits or the target lies before it), then enters REBUILDING at a new epoch with the choice
   * persisted, and runs its steps: fence both sites at that epoch, load the snapshot into the
   * primary site ({@link dev.drkit.spi.RebuildTarget#loadSnapshot}), replay the log from the
   * snapshot's {@link LogPosition} up to the target, promote, redirect and validate. From any
   * steady state or FAILED. The outcome is in the state ({@link RebuildReport#of}); a rebuild that
   * stopped on a gap or a damaged record is FAILED with an error naming the offset and what was
   * recovered. Past its fence the phase is not rolled back (no site had good data to roll back to)
   * and its budget (the whole RTO) is recorded, not enforced.
   *
   * @param request which snapshot and how far to replay
   * @param by who orders it
   * @param why why
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
    RebuildSources src = requireRebuildSources();
    Versioned<ServiceState> cur = current.get();
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
      refused(cur.value(), "snapshot", e.getMessage(), Map.of("request", request, "by", by));
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
    transition(cur, Trigger.REBUILD, "rebuild by " + by + " from snapshot " + SnapshotChooser.describe(snap) + " ("
        + request + "): " + why, extra);
    drive();
    return state();
  }

  private RebuildSources requireRebuildSources() {
    if (rebuildSources == null) {
      throw new IllegalStateException("service '" + service + "': rebuild needs RebuildSources (a snapshot"
          + " catalogue, a replay log and a rebuild target); give them to the builder");
    }
    return rebuildSources;
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
    ServiceState s = reload();
    if (TransitionTable.isPhase(s.state())) {
      publish(Severity.INFO, "resumed", "resuming " + s.state() + " of '" + service + "' at epoch " + s.epoch()
          + " (steps done: " + s.attributes().getOrDefault(ATTR_DONE, "none") + ")", s,
          Map.of("done", s.attributes().getOrDefault(ATTR_DONE, "")));
    }
    drive();
    return state();
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
    EventBus drillBus = EventBus.of(drillEvents::add, events::publish);
    Builder b = origin.copy();
    b.store = InMemoryStateStore.copyOf(store, List.of(service));
    b.actions = isolated;
    b.events = drillBus;
    b.detection = new ConsecutiveFailuresPolicy(1, 1);
    b.eventPrefix = "drill";
    FailoverEngine drill = new FailoverEngine(b);
    Instant start = clock.instant();
    drill.publish(Severity.INFO, "started", "drill of '" + service + "' by " + by + " from " + s
        + " against an isolated target", production, Map.of("by", by));
    ServiceState result = s == FailoverState.BACKUP_ACTIVE ? drill.failback(by, "drill")
        : drill.forceFailover(by, "drill");
    Instant end = clock.instant();
    String loss = result.attributes().get(ATTR_MEASURED_LOSS);
    drill.publish(result.state() == FailoverState.FAILED ? Severity.ERROR : Severity.INFO, "finished",
        "drill of '" + service + "' ended " + result.state(), result, Map.of("duration", Duration.between(start, end)));
    return new DrillResult(service, production, result, drill.phaseHistory(), drill.lastValidation().orElse(null),
        Duration.between(start, end), loss == null ? null : Duration.ofMillis(Long.parseLong(loss)), drillEvents);
  }

  // ---------------------------------------------------------------- transitions

  private Lease requireLease(String what) {
    Optional<Lease> lease = coordinator.currentLease().filter(Lease::isValid);
    if (lease.isEmpty()) {
      throw new LeadershipLostException("service '" + service + "': " + what + " refused: " + notLeaderAdvice());
    }
    return lease.get();
  }

  private String notLeaderAdvice() {
    return switch (leadership.status()) {
      case NOT_STARTED -> "this engine is not the leader: call start() and wait for leadership (isLeader(),"
          + " see docs/embedding.md), or use LocalCoordinator for one process";
      case WAITING -> "this engine is not the leader: it is started and waits for the coordinator's lease"
          + " (another instance leads, or the coordinator cannot grant one yet); send the command to the leader"
          + " or wait until isLeader()";
      case LEADING -> "the leadership term of this engine has just ended; it waits for the next term";
      case CLOSED -> "this engine is closed; build and start a new one";
    };
  }

  /**
   * Validates {@code trigger} against the table, persists the new state with compare-and-set,
   * swaps it in and publishes it.
   *
   * @param seen the state the caller decided on, or null for "whatever is current"
   */
  private Versioned<ServiceState> transition(@Nullable Versioned<ServiceState> seen, Trigger trigger, String reason,
      Map<String, String> extra) {
    return transition(seen, trigger, reason, extra, null);
  }

  /**
   * @param pinned the lease of the phase run making the transition (it must still be valid), or
   *     null for the coordinator's current lease
   */
  private Versioned<ServiceState> transition(@Nullable Versioned<ServiceState> seen, Trigger trigger, String reason,
      Map<String, String> extra, @Nullable Lease pinned) {
    Lease lease = pinned != null ? pinned : requireLease(trigger.name());
    lease.ensureValid();
    Versioned<ServiceState> before;
    Versioned<ServiceState> after;
    Transition t;
    transitionLock.lock();
    try {
      before = current.get();
      if (seen != null && seen.version() != before.version()) {
        throw new VersionConflictException(service, seen.version(), before.version());
      }
      ServiceState s = before.value();
      t = TransitionTable.require(service, s.state(), trigger);
      long epoch = t.roleChange() ? s.epoch() + 1 : s.epoch();
      Site active = t.activeSite() == null ? s.activeSite() : t.activeSite();
      Instant now = clock.instant();
      Map<String, String> attrs = carry(s, t, now);
      attrs.putAll(extra);
      attrs.put(ATTR_TERM, Long.toString(lease.token()));
      ServiceState next = new ServiceState(service, t.to(), epoch, active, now, reason, attrs);
      long v;
      try {
        v = store.compareAndSet(service, before.version(), next);
      } catch (VersionConflictException e) {
        reload();
        throw e;
      }
      after = new Versioned<>(next, v);
      current.set(after);
    } finally {
      transitionLock.unlock();
    }
    if (t.roleChange() || t.to() == FailoverState.PRIMARY_ACTIVE) {
      detection.reset();
      lastVerdict.set(HealthVerdict.HEALTHY);
    }
    ServiceState n = after.value();
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("from", before.value().state());
    a.put("to", n.state());
    a.put("trigger", trigger);
    a.put("activeSite", n.activeSite());
    a.put("previousEpoch", before.value().epoch());
    a.put("version", after.version());
    a.put("leaseToken", lease.token());
    publish(n.state() == FailoverState.FAILED ? Severity.ERROR : Severity.INFO, "transition",
        "service '" + service + "' " + before.value().state() + " -> " + n.state() + " at epoch " + n.epoch()
            + ": " + reason, n, a);
    LOG.info("service {} {} -> {} (trigger {}, epoch {}): {}", service, before.value().state(), n.state(), trigger,
        n.epoch(), reason);
    return after;
  }

  private static Map<String, String> carry(ServiceState s, Transition t, Instant now) {
    Map<String, String> a = new TreeMap<>(s.attributes());
    Trigger trig = t.trigger();
    boolean newOperation = trig == Trigger.FAILOVER || trig == Trigger.SWITCHOVER || trig == Trigger.FAILBACK
        || trig == Trigger.RESOLVE_PRIMARY || trig == Trigger.RESOLVE_BACKUP || trig == Trigger.REBUILD;
    if (newOperation) {
      a.keySet().removeAll(OPERATION_ATTRS);
      a.keySet().removeIf(k -> k.startsWith(Replayer.ATTR_PREFIX));
    }
    a.remove(ATTR_PREVIOUS_EPOCH);
    a.remove(ATTR_REASSIGN);
    if (t.to() == FailoverState.FAILED) {
      a.put(ATTR_FAILED_PHASE, s.state().name());
    } else {
      a.remove(ATTR_FAILED_PHASE);
      a.remove(ATTR_ERROR);
      a.remove(ATTR_SERVING_SITE);
      boolean retry = trig == Trigger.RETRY_FAILOVER || trig == Trigger.RETRY_VALIDATION
          || trig == Trigger.RETRY_FAILBACK || trig == Trigger.RETRY_REBUILD;
      if (!retry) {
        a.remove(ATTR_DONE);
      }
    }
    if (t.to() == FailoverState.FAILING_OVER && !s.state().equals(FailoverState.FAILED)) {
      a.put(ATTR_LAST_FAILOVER_AT, now.toString());
    }
    return a;
  }

  /** Persists a bookkeeping change within the same state; null when the state moved on meanwhile. */
  private @Nullable Versioned<ServiceState> update(Versioned<ServiceState> seen, UnaryOperator<ServiceState> change) {
    transitionLock.lock();
    try {
      Versioned<ServiceState> cur = current.get();
      if (cur.version() != seen.version()) {
        return null;
      }
      ServiceState next = change.apply(cur.value());
      long v;
      try {
        v = store.compareAndSet(service, cur.version(), next);
      } catch (VersionConflictException e) {
        reload();
        return null;
      }
      Versioned<ServiceState> after = new Versioned<>(next, v);
      current.set(after);
      return after;
    } finally {
      transitionLock.unlock();
    }
  }


  // ---------------------------------------------------------------- phases

  /** Drives phases until a steady state, FAILED, or another thread/process takes over. */
  private void drive() {
    while (TransitionTable.isPhase(state().state()) && !Thread.currentThread().isInterrupted()) {
      if (!runner.tryLock()) {
        return; // another thread drives; it re-checks the state after releasing
      }
      try {
        while (TransitionTable.isPhase(state().state())) {
          if (!runPhase(current.get())) {
            return;
          }
        }
      } finally {
        runner.unlock();
      }
    }
  }

  /** Thrown inside a phase when the stored state moved on (abort, another process). */
  private static final class PhaseStopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PhaseStopped() {
      super(null, null, false, false);
    }
  }

  /** Thrown inside a phase when a step failed past its retries. */
  private static final class StepFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailed(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** Thrown by the engine's own budget check, which runs only before a phase's point of no return. */
  private static final class BudgetExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BudgetExceeded(String message) {
      super(message, null, false, false);
    }
  }

  @FunctionalInterface
  private interface StepAction {
    Map<String, String> run() throws Exception;
  }

  /**
   * One run of a phase by this engine: the leadership term it acts under (pinned: a term that ends
   * is never replaced by a later one mid-run), its budget, and whether the phase has passed its
   * point of no return (the fence of the serving site), after which budgets no longer abort.
   */
  private static final class Run {
    final Lease lease;
    final Instant entered;
    final Duration budget;
    boolean committed;

    Run(Lease lease, Instant entered, Duration budget) {
      this.lease = lease;
      this.entered = entered;
      this.budget = budget;
    }
  }

  private boolean runPhase(Versioned<ServiceState> start) {
    ServiceState s = start.value();
    FailoverState phase = s.state();
    Duration budget = budgets.budget(phase, config.rto());
    Lease lease = requireLease("drive " + phase);
    Run run = new Run(lease, s.since(), budget);
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
          case FAILING_OVER -> cur = failingOver(cur, run);
          case VALIDATING -> cur = validating(cur, run);
          case FAILING_BACK -> cur = failingBack(cur, run);
          case REBUILDING -> cur = rebuilding(cur, run);
          case PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED -> {
            return false;
          }
          default -> throw new IllegalStateException("unknown state " + phase);
        }
      } catch (BudgetExceeded e) {
        return fail(current.get(), run, phase, e.getMessage());
      } catch (StepFailed e) {
        Versioned<ServiceState> now = current.get();
        if (!run.committed || phase == FailoverState.REBUILDING) {
          // A rebuild past its fence has no site with good data to roll back to: it fails, saying so.
          return fail(now, run, phase, e.getMessage());
        }
        return failAfterCommit(now, run, phase, e.getMessage(), false);
      }
      Instant now = clock.instant();
      Duration took = Duration.between(run.entered, now);
      boolean breached = took.compareTo(budget) > 0;
      Map<String, String> extra = Map.of();
      if (breached) {
        publish(Severity.WARN, "budget.breached", phase + " of '" + service + "' completed after " + took
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
      phases.add(done);
      try {
        transition(cur, Trigger.PHASE_SUCCEEDED, phase + " completed in " + took, extra, run.lease);
      } catch (VersionConflictException | LeadershipLostException e) {
        phases.remove(done);
        phases.add(new PhaseRecord(phase, cur.value().epoch(), run.entered, now, "interrupted", e.getMessage(),
            budget, breached, servingAfter(state())));
        if (e instanceof LeadershipLostException lost) {
          throw lost;
        }
        return false;
      }
      return true;
    } catch (PhaseStopped e) {
      ServiceState now = state();
      String detail = Thread.currentThread().isInterrupted()
          ? "thread interrupted; state left for resume()"
          : "state moved to " + now.state() + ": " + now.reason();
      Instant ended = clock.instant();
      phases.add(new PhaseRecord(phase, now.epoch(), run.entered, ended,
          now.state() == FailoverState.FAILED ? "aborted" : "interrupted", detail, budget,
          Duration.between(run.entered, ended).compareTo(budget) > 0, servingAfter(now)));
      return false;
    }
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
  private boolean failAfterCommit(Versioned<ServiceState> cur, Run run, FailoverState phase, String error,
      boolean resumingRollback) {
    ServiceState s = cur.value();
    boolean rollingBack = resumingRollback || done(s).contains(STEP_ROLLBACK);
    if (!rollingBack && servingAfter(s) == target(s)) {
      return fail(cur, run, phase, error);
    }
    String msg = error;
    try {
      cur = rollback(cur, run, error);
      msg = error + "; rolled back: " + cur.value().activeSite() + " serves again at epoch " + cur.value().epoch();
    } catch (StepFailed rollbackFailed) {
      cur = current.get();
      msg = error + "; the rollback failed too, no site serves: " + rollbackFailed.getMessage();
    }
    return fail(cur, run, phase, msg);
  }

  /**
   * Restores the old site after a committed phase failed before the new site received traffic: at
   * a new epoch (persisted first, with the old site as active), fence the new site, promote the old
   * one (which unfences it: the new epoch is above its fence), redirect to it, and demote the new
   * site. Every step is recorded like a phase step, so a crash or a change of leader resumes it.
   */
  private Versioned<ServiceState> rollback(Versioned<ServiceState> cur, Run run, String error) {
    ServiceState s = cur.value();
    Site newSite = target(s);
    Site oldSite = newSite.other();
    if (!done(s).contains(STEP_ROLLBACK)) {
      run.lease.ensureValid();
      long e = s.epoch() + 1;
      Versioned<ServiceState> marked = update(cur, st -> withDone(st, STEP_ROLLBACK, Map.of(ATTR_ERROR, error), e,
          oldSite, "rolling back to " + oldSite + " at epoch " + e + ": " + error));
      if (marked == null) {
        throw new PhaseStopped();
      }
      cur = marked;
      publish(Severity.WARN, "rollback", s.state() + " of '" + service + "' failed after the fence (" + error
          + "); restoring " + oldSite + " at epoch " + e, cur.value(), Map.of("site", oldSite, "previousEpoch",
          s.epoch()));
    }
    long epoch = cur.value().epoch();
    cur = step(cur, STEP_ROLLBACK_FENCE, run, () -> {
      actions.fence(service, newSite, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_ROLLBACK_PROMOTE, run, () -> {
      actions.promote(service, oldSite, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_ROLLBACK_REDIRECT, run, () -> {
      actions.redirect(service, oldSite, epoch);
      return Map.of();
    });
    try {
      cur = step(cur, STEP_ROLLBACK_DEMOTE, run, () -> {
        actions.demote(service, newSite, epoch);
        return Map.of();
      });
    } catch (StepFailed e) {
      // The old site serves; the stepped-down one is not a replica yet. Said in an event, not fatal.
      publish(Severity.WARN, "rollback.demote.failed", "rollback of '" + service + "': " + oldSite + " serves at"
          + " epoch " + epoch + " but " + newSite + " could not be demoted: " + e.getMessage(), cur().value(),
          Map.of("site", newSite));
    }
    return cur;
  }

  /** Moves a phase to FAILED, recording which site serves. */
  private boolean fail(Versioned<ServiceState> cur, Run run, FailoverState phase, String msg) {
    Instant ended = clock.instant();
    Site serving = servingAfter(cur.value());
    PhaseRecord failed = new PhaseRecord(phase, cur.value().epoch(), run.entered, ended, "failed", msg, run.budget,
        Duration.between(run.entered, ended).compareTo(run.budget) > 0, serving);
    phases.add(failed);
    try {
      transition(cur, Trigger.PHASE_FAILED, phase + " failed (" + (serving == null ? "no site serves"
          : serving + " serves") + "): " + msg, Map.of(ATTR_ERROR, msg, ATTR_SERVING_SITE, siteName(serving)),
          run.lease);
    } catch (VersionConflictException | IllegalTransitionException | LeadershipLostException lost) {
      phases.remove(failed);
      phases.add(new PhaseRecord(phase, cur.value().epoch(), run.entered, ended, "interrupted", msg, run.budget,
          failed.budgetBreached(), servingAfter(state())));
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
  private Versioned<ServiceState> reassignIfNeeded(Versioned<ServiceState> cur, Run run) {
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
    Versioned<ServiceState> next = update(cur, st -> {
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
      throw new PhaseStopped();
    }
    publish(Severity.WARN, "reassigned", s.state() + " of '" + service + "' moves from epoch " + s.epoch() + " to "
        + e + " before acting again (" + why + "); steps redone: everything after " + keep, next.value(),
        Map.of("previousEpoch", s.epoch(), "term", myTerm, "previousTerm", term == null ? "" : term));
    return next;
  }

  private Versioned<ServiceState> failingOver(Versioned<ServiceState> cur, Run run) {
    ServiceState s = cur.value();
    long epoch = s.epoch();
    boolean planned = "true".equals(s.attributes().get(ATTR_PLANNED));
    Site old = Site.PRIMARY;
    Site target = Site.BACKUP;
    cur = step(cur, STEP_FENCE, run, () -> {
      actions.fence(service, old, epoch);
      return Map.of();
    });
    if (planned) {
      cur = step(cur, STEP_DRAIN, run, () -> drain(target, run));
    } else {
      cur = step(cur, STEP_MEASURE_LOSS, run, () -> measureLoss(target));
    }
    cur = step(cur, STEP_PROMOTE, run, () -> {
      actions.promote(service, target, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_REDIRECT, run, () -> {
      actions.redirect(service, target, epoch);
      return Map.of();
    });
    if (planned) {
      cur = step(cur, STEP_DEMOTE, run, () -> {
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
      loss = estimator.estimate(service, target);
    } catch (RuntimeException e) {
      publish(Severity.WARN, "rpo.unknown", "failover of '" + service + "': the data loss could not be measured: "
          + e, cur().value(), Map.of("error", String.valueOf(e)));
      return Map.of();
    }
    if (loss.compareTo(config.rpo()) > 0) {
      publish(Severity.WARN, "rpo.exceeded", "failover of '" + service + "' loses " + loss + ", over the RPO "
          + config.rpo(), cur().value(), Map.of("measuredLoss", loss, "rpo", config.rpo()));
    }
    return Map.of(ATTR_MEASURED_LOSS, Long.toString(loss.toMillis()));
  }

  private Versioned<ServiceState> validating(Versioned<ServiceState> cur, Run run) {
    ServiceState s = cur.value();
    return step(cur, STEP_VALIDATE, run, () -> {
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
  private Versioned<ServiceState> rebuilding(Versioned<ServiceState> cur, Run run) {
    RebuildSources src = requireRebuildSources();
    ServiceState s = cur.value();
    long epoch = s.epoch();
    Site site = s.activeSite();
    SnapshotRef snap = persistedSnapshot(s);
    RebuildRequest request = RebuildRequest.parse(s.attributes().getOrDefault(Replayer.ATTR_SNAPSHOT_SPEC, "latest"),
        s.attributes().getOrDefault(Replayer.ATTR_TARGET_SPEC, "end"));
    cur = step(cur, STEP_FENCE, run, () -> {
      actions.fence(service, site.other(), epoch);
      actions.fence(service, site, epoch);
      return Map.of();
    });
    run.committed = true;
    // Replay must start from a freshly loaded snapshot: an attempt (or a resumed run) that finds the
    // store possibly touched by an earlier replay attempt reloads first, so no record is applied twice.
    AtomicBoolean fresh = new AtomicBoolean();
    cur = step(cur, STEP_LOAD_SNAPSHOT, run, () -> {
      Instant t0 = clock.instant();
      src.target().loadSnapshot(service, site, snap, epoch);
      fresh.set(true);
      long ms = Duration.between(t0, clock.instant()).toMillis();
      publish(Severity.INFO, "rebuild.loaded", "rebuild of '" + service + "': snapshot "
          + SnapshotChooser.describe(snap) + " loaded into " + site + " in " + ms + " ms", cur().value(),
          Map.of("snapshot", snap.id(), "site", site, "millis", ms));
      return Map.of(Replayer.ATTR_LOAD_MILLIS, Long.toString(ms));
    });
    cur = step(cur, STEP_REPLAY, run, () -> {
      if (!fresh.getAndSet(false)) {
        src.target().loadSnapshot(service, site, snap, epoch);
      }
      Map<String, String> out = new Replayer(service, site, snap, request, epoch, src.log(), src.target(), clock,
          Replayer.BATCH).run();
      ServiceState now = cur().value();
      Map<String, String> merged = new TreeMap<>(now.attributes());
      merged.putAll(out);
      RebuildReport.of(new ServiceState(service, now.state(), now.epoch(), now.activeSite(), now.since(),
          now.reason(), merged)).ifPresent(r -> publish(Severity.INFO, "rebuild.replayed", r.summary(), now,
          Map.of("applied", r.applied(), "stop", String.valueOf(r.stop()), "notReplayed", r.notReplayed())));
      return out;
    });
    cur = step(cur, STEP_PROMOTE, run, () -> {
      actions.promote(service, site, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_REDIRECT, run, () -> {
      actions.redirect(service, site, epoch);
      return Map.of();
    });
    // As after a failover, the service's checks run against the site that serves (they probe it
    // through the host's routing); a failure leaves it FAILED with the rebuilt site serving.
    cur = step(cur, STEP_VALIDATE, run, () -> {
      validateOrThrow(site, epoch);
      return Map.of();
    });
    return cur;
  }

  private static SnapshotRef persistedSnapshot(ServiceState s) {
    Map<String, String> a = s.attributes();
    String from = a.get(Replayer.ATTR_FROM_OFFSET);
    LogPosition pos = from == null ? null : new LogPosition(Long.parseLong(from),
        Long.parseLong(a.getOrDefault(Replayer.ATTR_FROM_EPOCH, "0")));
    return new SnapshotRef(a.get(Replayer.ATTR_SNAPSHOT_ID), Instant.parse(a.get(Replayer.ATTR_SNAPSHOT_TIME)), pos,
        Long.parseLong(a.getOrDefault(Replayer.ATTR_SNAPSHOT_SIZE, "0")));
  }

  private Versioned<ServiceState> failingBack(Versioned<ServiceState> cur, Run run) {
    long oldEpoch = cur.value().epoch();
    if (!done(cur.value()).contains(STEP_SWITCH)) {
      cur = step(cur, STEP_RESYNC, run, () -> {
        actions.resync(service, Site.PRIMARY, Site.BACKUP, oldEpoch);
        return Map.of();
      });
      cur = step(cur, STEP_VALIDATE_PRIMARY, run, () -> {
        validateOrThrow(Site.PRIMARY, oldEpoch);
        return Map.of();
      });
      // The last budget check: past the switch the backup is fenced, and the phase completes or rolls back.
      checkBudget(cur.value(), run);
      run.lease.ensureValid();
      long newEpoch = oldEpoch + 1;
      Versioned<ServiceState> switched = update(cur, st -> withDone(st, STEP_SWITCH, Map.of(), newEpoch, Site.PRIMARY,
          "failback: roles switch to the primary at epoch " + newEpoch));
      if (switched == null) {
        throw new PhaseStopped();
      }
      cur = switched;
      run.committed = true;
      publish(Severity.INFO, "epoch", "service '" + service + "' moves to epoch " + newEpoch
          + ": the primary becomes active again", cur.value(), Map.of("previousEpoch", oldEpoch));
    }
    long epoch = cur.value().epoch();
    cur = step(cur, STEP_FENCE, run, () -> {
      actions.fence(service, Site.BACKUP, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_DRAIN, run, () -> drain(Site.PRIMARY, run));
    cur = step(cur, STEP_PROMOTE, run, () -> {
      actions.promote(service, Site.PRIMARY, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_REDIRECT, run, () -> {
      actions.redirect(service, Site.PRIMARY, epoch);
      return Map.of();
    });
    cur = step(cur, STEP_DEMOTE, run, () -> {
      actions.demote(service, Site.BACKUP, epoch);
      return Map.of();
    });
    return cur;
  }

  private Versioned<ServiceState> cur() {
    return current.get();
  }

  /**
   * Waits until the estimated loss of promoting {@code target} is zero. Runs after the fence, so it
   * is bounded by the phase's budget measured from the start of the drain (not from the phase's
   * start): past it the drain fails, and the phase rolls back rather than promote with a loss.
   */
  private Map<String, String> drain(Site target, Run run) throws InterruptedException {
    Instant started = clock.instant();
    while (true) {
      Duration loss = estimator.estimate(service, target);
      if (loss.isZero() || loss.isNegative()) {
        return Map.of(ATTR_MEASURED_LOSS, "0");
      }
      Duration waited = Duration.between(started, clock.instant());
      if (waited.compareTo(run.budget) > 0) {
        throw new DrTimeoutException("replication to " + target + " of service '" + service + "' did not drain"
            + " within " + run.budget + " (still " + loss + " behind)", run.budget);
      }
      run.lease.ensureValid();
      LOG.debug("service {}: waiting for replication to {} to drain ({} behind)", service, target, loss);
      sleeper.sleep(drainPollInterval);
    }
  }

  private void validateOrThrow(Site site, long epoch) throws InterruptedException {
    ValidationReport report = validator.validate(config, site, epoch);
    lastValidation.set(report);
    publish(report.passed() ? Severity.INFO : Severity.WARN, "validation", "validation of '" + service + "' on "
        + site + " " + (report.passed() ? "passed" : "failed"), state(), Map.of("site", site, "passed",
        report.passed(), "steps", report.steps().size(), "duration", report.duration()));
    if (!report.passed()) {
      throw new ValidationFailedException(report);
    }
  }

  /** The budget check; called only before a phase's point of no return. */
  private void checkBudget(ServiceState s, Run run) {
    Duration elapsed = Duration.between(run.entered, clock.instant());
    if (elapsed.compareTo(run.budget) > 0) {
      publish(Severity.ERROR, "budget.breached", s.state() + " of '" + service + "' ran " + elapsed
          + ", past its budget " + run.budget + " (derived from RTO " + config.rto() + ") before its point of no"
          + " return; escalating to FAILED while " + servingAfter(s) + " still serves", s,
          Map.of("phase", s.state(), "budget", run.budget, "elapsed", elapsed, "escalated", true));
      throw new BudgetExceeded(s.state() + " of service '" + service + "' exceeded its time budget " + run.budget
          + " before its point of no return (ran " + elapsed + ")");
    }
  }

  private Versioned<ServiceState> step(Versioned<ServiceState> cur, String name, Run run, StepAction action) {
    if (done(cur.value()).contains(name)) {
      return cur;
    }
    ServiceState s = cur.value();
    RetryPolicy<Object> policy = RetryPolicy.builder()
        .handle(Exception.class)
        .abortOn(LeadershipLostException.class, DrTimeoutException.class, StaleEpochException.class,
            InterruptedException.class, PhaseStopped.class, BudgetExceeded.class)
        .withMaxAttempts(maxAttempts)
        .onRetry(ev -> publish(Severity.WARN, "step.retry", "step " + name + " of " + s.state() + " for '" + service
            + "' failed (attempt " + ev.getAttemptCount() + " of " + maxAttempts + "), retrying: "
            + ev.getLastException(), s, Map.of("step", name, "attempt", ev.getAttemptCount())))
        .build();
    AtomicReference<Map<String, String>> extra = new AtomicReference<>(Map.of());
    try {
      Failsafe.with(policy).run(ctx -> {
        if (ctx.getAttemptCount() > 0 && !retryDelay.isZero()) {
          sleeper.sleep(retryDelay);
        }
        if (!run.committed) {
          checkBudget(s, run);
        }
        if (current.get().version() != cur.version()) {
          throw new PhaseStopped();
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
        throw new PhaseStopped();
      }
      throw new StepFailed("step " + name + " failed after retries: " + cause, cause);
    } catch (BudgetExceeded | LeadershipLostException | PhaseStopped e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StepFailed("step " + name + " failed after retries: " + e, e);
    }
    Versioned<ServiceState> next = update(cur, st -> withDone(st, name, extra.get(), st.epoch(), st.activeSite(),
        st.reason()));
    if (next == null) {
      throw new PhaseStopped();
    }
    publish(Severity.INFO, "step", "step " + name + " of " + s.state() + " done for '" + service + "'", next.value(),
        Map.of("step", name, "phase", s.state()));
    return next;
  }

  // ---------------------------------------------------------------- events

  private void publish(Severity severity, String type, String message, ServiceState s, Map<String, ?> attrs) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("state", s.state().name());
    attrs.forEach((k, v) -> a.put(k, String.valueOf(v)));
    events.publish(new DrEvent(clock.instant(), eventPrefix + "." + type, severity, service, s.epoch(), message, a));
  }

  @Override
  public String toString() {
    Versioned<ServiceState> v = current.get();
    return "FailoverEngine{" + service + " " + v.value().state() + " epoch " + v.value().epoch() + " v"
        + v.version() + "}";
  }

  /** Builds a {@link FailoverEngine}; not thread-safe. */
  public static final class Builder {
    private final RecoveryConfig config;
    private StateStore store;
    private FailoverActions actions;
    private Coordinator coordinator;
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
     * Loads the service's state from the store (creating PRIMARY_ACTIVE at epoch 1 when absent).
     * Does not take leadership nor resume a phase in progress: call {@link FailoverEngine#start()}
     * (which does both, now and in every later leadership term), or, when the host manages the
     * lease itself, {@link FailoverEngine#resume()}.
     *
     * @return the engine
     * @throws NullPointerException when the store, actions or coordinator are missing
     * @throws IllegalStateException when the config has validation steps but no validator was given
     */
    public FailoverEngine build() {
      return new FailoverEngine(this);
    }
  }
}
