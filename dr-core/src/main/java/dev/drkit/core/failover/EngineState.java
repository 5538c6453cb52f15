package dev.drkit.core.failover;

import static dev.drkit.core.failover.FailoverEngine.ATTR_DONE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_ERROR;
import static dev.drkit.core.failover.FailoverEngine.ATTR_FAILED_PHASE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_LAST_FAILOVER_AT;
import static dev.drkit.core.failover.FailoverEngine.ATTR_PREVIOUS_EPOCH;
import static dev.drkit.core.failover.FailoverEngine.ATTR_REASSIGN;
import static dev.drkit.core.failover.FailoverEngine.ATTR_SERVING_SITE;
import static dev.drkit.core.failover.FailoverEngine.ATTR_TERM;

import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.failover.TransitionTable.Transition;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.Lease;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's persisted state: the current {@link ServiceState} in one {@link AtomicReference},
 * loaded from the {@link dev.drkit.core.spi.StateStore} (or created PRIMARY_ACTIVE at epoch 1), and the
 * only code that changes it. A {@linkplain #transition transition} is validated against
 * {@link TransitionTable}, persisted with compare-and-set under the coordinator's lease, swapped
 * in and then published; an {@linkplain #update update} persists bookkeeping (steps done, a new
 * epoch) within the same state. Both are serialized by one lock.
 */
final class EngineState {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverEngine.class);

  /** The attributes describing one operation; a new operation starts without them. */
  private static final Set<String> OPERATION_ATTRS = Set.of(FailoverEngine.ATTR_MODE, FailoverEngine.ATTR_BY,
      FailoverEngine.ATTR_WHY, FailoverEngine.ATTR_PLANNED, FailoverEngine.ATTR_ESTIMATED_LOSS,
      FailoverEngine.ATTR_MEASURED_LOSS, FailoverEngine.ATTR_BUDGET_BREACHED);

  private final EngineContext ctx;
  private final String service;
  private final DetectionPolicy detection;
  private final Supplier<LeadershipStatus> leadership;
  private final AtomicReference<Versioned<ServiceState>> current = new AtomicReference<>();
  private final AtomicReference<HealthVerdict> lastVerdict = new AtomicReference<>(HealthVerdict.HEALTHY);
  private final ReentrantLock transitionLock = new ReentrantLock();

  /**
   * Loads the service's state, or stores the initial one (PRIMARY_ACTIVE at epoch 1) when there is
   * none; a concurrent creator's state wins.
   */
  EngineState(EngineContext ctx, DetectionPolicy detection, Supplier<LeadershipStatus> leadership) {
    this.ctx = ctx;
    this.service = ctx.service;
    this.detection = detection;
    this.leadership = leadership;
    Optional<Versioned<ServiceState>> stored = ctx.store.load(service);
    if (stored.isPresent()) {
      current.set(stored.get());
    } else {
      ServiceState initial = ServiceState.initial(service, ctx.clock.instant());
      try {
        long v = ctx.store.compareAndSet(service, 0, initial);
        current.set(new Versioned<>(initial, v));
        ctx.publish(Severity.INFO, "initialized", "service '" + service + "' starts PRIMARY_ACTIVE at epoch 1",
            initial, Map.of("state", initial.state()));
      } catch (VersionConflictException e) {
        current.set(ctx.store.load(service).orElseThrow(() -> e));
      }
    }
  }

  /** The state as loaded or last persisted; set by the constructor, never null afterwards. */
  private Versioned<ServiceState> loaded() {
    return Objects.requireNonNull(current.get(), "the state of the service was not loaded");
  }

  /** The current state with its store version. */
  Versioned<ServiceState> current() {
    return loaded();
  }

  /** The current state. */
  ServiceState state() {
    return loaded().value();
  }

  /** Reloads the state from the store and returns it. */
  ServiceState reload() {
    ctx.store.load(service).ifPresent(current::set);
    return state();
  }

  /** The policy fed by probes; reset by every role change. */
  DetectionPolicy detection() {
    return detection;
  }

  /** Records the latest verdict about the primary and returns the one before it. */
  HealthVerdict swapVerdict(HealthVerdict verdict) {
    return lastVerdict.getAndSet(verdict);
  }

  /** The coordinator's valid lease, or a {@link LeadershipLostException} saying what to do. */
  Lease requireLease(String what) {
    Optional<Lease> lease = ctx.coordinator.currentLease().filter(Lease::isValid);
    if (lease.isEmpty()) {
      throw new LeadershipLostException("service '" + service + "': " + what + " refused: " + notLeaderAdvice());
    }
    return lease.get();
  }

  private String notLeaderAdvice() {
    return switch (leadership.get()) {
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
   * Validates {@code trigger} against the table, persists the new state with compare-and-set
   * under the coordinator's current lease, swaps it in and publishes it.
   *
   * @param seen the state the caller decided on, or null for "whatever is current"
   */
  Versioned<ServiceState> transition(@Nullable Versioned<ServiceState> seen, Trigger trigger, String reason,
      Map<String, String> extra) {
    return transition(seen, trigger, reason, extra, null);
  }

  /**
   * As {@link #transition(Versioned, Trigger, String, Map)}, under {@code pinned}: the lease of
   * the phase run making the transition (it must still be valid), or null for the coordinator's
   * current lease.
   */
  Versioned<ServiceState> transition(@Nullable Versioned<ServiceState> seen, Trigger trigger, String reason,
      Map<String, String> extra, @Nullable Lease pinned) {
    Lease lease = pinned != null ? pinned : requireLease(trigger.name());
    lease.ensureValid();
    Versioned<ServiceState> before;
    Versioned<ServiceState> after;
    Transition t;
    transitionLock.lock();
    try {
      before = loaded();
      if (seen != null && seen.version() != before.version()) {
        throw new VersionConflictException(service, seen.version(), before.version());
      }
      ServiceState s = before.value();
      t = TransitionTable.require(service, s.state(), trigger);
      long epoch = t.roleChange() ? s.epoch() + 1 : s.epoch();
      Site active = t.activeSite() == null ? s.activeSite() : t.activeSite();
      Instant now = ctx.clock.instant();
      Map<String, String> attrs = carry(s, t, now);
      attrs.putAll(extra);
      attrs.put(ATTR_TERM, Long.toString(lease.token()));
      ServiceState next = new ServiceState(service, t.to(), epoch, active, now, reason, attrs);
      long v;
      try {
        v = ctx.store.compareAndSet(service, before.version(), next);
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
    ctx.publish(n.state() == FailoverState.FAILED ? Severity.ERROR : Severity.INFO, "transition",
        "service '" + service + "' " + before.value().state() + " -> " + n.state() + " at epoch " + n.epoch()
            + ": " + reason, n, a);
    LOG.info("service {} {} -> {} (trigger {}, epoch {}): {}", service, before.value().state(), n.state(), trigger,
        n.epoch(), reason);
    return after;
  }

  /** The attributes the state after {@code t} keeps from {@code s}. */
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
  @Nullable Versioned<ServiceState> update(Versioned<ServiceState> seen, UnaryOperator<ServiceState> change) {
    transitionLock.lock();
    try {
      Versioned<ServiceState> cur = loaded();
      if (cur.version() != seen.version()) {
        return null;
      }
      ServiceState next = change.apply(cur.value());
      long v;
      try {
        v = ctx.store.compareAndSet(service, cur.version(), next);
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
}
