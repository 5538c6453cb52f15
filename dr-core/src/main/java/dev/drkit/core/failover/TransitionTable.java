package dev.drkit.core.failover;

import static dev.drkit.core.FailoverState.BACKUP_ACTIVE;
import static dev.drkit.core.FailoverState.FAILED;
import static dev.drkit.core.FailoverState.FAILING_BACK;
import static dev.drkit.core.FailoverState.FAILING_OVER;
import static dev.drkit.core.FailoverState.PRIMARY_ACTIVE;
import static dev.drkit.core.FailoverState.PRIMARY_DEGRADED;
import static dev.drkit.core.FailoverState.REBUILDING;
import static dev.drkit.core.FailoverState.VALIDATING;

import dev.drkit.core.FailoverState;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.spi.Site;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The failover state machine's transitions: the one place that says which {@link Trigger} is
 * legal in which {@link FailoverState}, which state it leads to, whether it is a role change (the
 * epoch grows by one) and which site is active afterwards. Anything not in the table is an
 * {@link IllegalTransitionException}. Immutable and thread-safe.
 *
 * <table>
 *   <caption>Transitions</caption>
 *   <tr><th>from</th><th>trigger</th><th>to</th><th>epoch</th><th>active site</th></tr>
 *   <tr><td>PRIMARY_ACTIVE</td><td>SUSPECTED</td><td>PRIMARY_DEGRADED</td><td></td><td>primary</td></tr>
 *   <tr><td>PRIMARY_ACTIVE, PRIMARY_DEGRADED</td><td>FAILOVER, SWITCHOVER</td><td>FAILING_OVER</td>
 *       <td>+1</td><td>backup</td></tr>
 *   <tr><td>PRIMARY_DEGRADED</td><td>RECOVERED, ABORT</td><td>PRIMARY_ACTIVE</td><td></td><td>primary</td></tr>
 *   <tr><td>FAILING_OVER</td><td>PHASE_SUCCEEDED</td><td>VALIDATING</td><td></td><td>backup</td></tr>
 *   <tr><td>VALIDATING</td><td>PHASE_SUCCEEDED</td><td>BACKUP_ACTIVE</td><td></td><td>backup</td></tr>
 *   <tr><td>BACKUP_ACTIVE</td><td>FAILBACK, SWITCHOVER</td><td>FAILING_BACK</td><td>(+1 inside the phase)</td>
 *       <td>backup, then primary</td></tr>
 *   <tr><td>FAILING_BACK</td><td>PHASE_SUCCEEDED</td><td>PRIMARY_ACTIVE</td><td></td><td>primary</td></tr>
 *   <tr><td>FAILING_OVER, VALIDATING, FAILING_BACK</td><td>PHASE_FAILED, ABORT</td><td>FAILED</td><td></td>
 *       <td>unchanged</td></tr>
 *   <tr><td>FAILED</td><td>RETRY_FAILOVER / RETRY_VALIDATION / RETRY_FAILBACK</td>
 *       <td>FAILING_OVER / VALIDATING / FAILING_BACK</td><td></td><td>unchanged</td></tr>
 *   <tr><td>FAILED</td><td>RESOLVE_PRIMARY / RESOLVE_BACKUP</td><td>PRIMARY_ACTIVE / BACKUP_ACTIVE</td>
 *       <td>+1</td><td>primary / backup</td></tr>
 *   <tr><td>PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED</td><td>REBUILD</td><td>REBUILDING</td>
 *       <td>+1</td><td>primary (the site rebuilt)</td></tr>
 *   <tr><td>REBUILDING</td><td>PHASE_SUCCEEDED</td><td>PRIMARY_ACTIVE</td><td></td><td>primary</td></tr>
 *   <tr><td>REBUILDING</td><td>PHASE_FAILED, ABORT</td><td>FAILED</td><td></td><td>unchanged</td></tr>
 *   <tr><td>FAILED</td><td>RETRY_REBUILD</td><td>REBUILDING</td><td></td><td>unchanged</td></tr>
 * </table>
 */
public final class TransitionTable {
  /**
   * One legal transition.
   *
   * @param from the state it leaves
   * @param trigger what causes it
   * @param to the state it enters
   * @param roleChange whether it assigns roles anew, which increments the epoch
   * @param activeSite the site active after it, or {@code null} to keep the current one
   */
  public record Transition(FailoverState from, Trigger trigger, FailoverState to, boolean roleChange,
      @Nullable Site activeSite) {}

  private static final Map<FailoverState, Map<Trigger, Transition>> TABLE = build();

  private TransitionTable() {}

  private static Map<FailoverState, Map<Trigger, Transition>> build() {
    Map<FailoverState, Map<Trigger, Transition>> t = new EnumMap<>(FailoverState.class);
    for (FailoverState s : FailoverState.values()) {
      t.put(s, new EnumMap<>(Trigger.class));
    }
    add(t, PRIMARY_ACTIVE, Trigger.SUSPECTED, PRIMARY_DEGRADED, false, Site.PRIMARY);
    add(t, PRIMARY_ACTIVE, Trigger.FAILOVER, FAILING_OVER, true, Site.BACKUP);
    add(t, PRIMARY_ACTIVE, Trigger.SWITCHOVER, FAILING_OVER, true, Site.BACKUP);

    add(t, PRIMARY_DEGRADED, Trigger.RECOVERED, PRIMARY_ACTIVE, false, Site.PRIMARY);
    add(t, PRIMARY_DEGRADED, Trigger.ABORT, PRIMARY_ACTIVE, false, Site.PRIMARY);
    add(t, PRIMARY_DEGRADED, Trigger.FAILOVER, FAILING_OVER, true, Site.BACKUP);
    add(t, PRIMARY_DEGRADED, Trigger.SWITCHOVER, FAILING_OVER, true, Site.BACKUP);

    add(t, FAILING_OVER, Trigger.PHASE_SUCCEEDED, VALIDATING, false, Site.BACKUP);
    add(t, FAILING_OVER, Trigger.PHASE_FAILED, FAILED, false, null);
    add(t, FAILING_OVER, Trigger.ABORT, FAILED, false, null);

    add(t, VALIDATING, Trigger.PHASE_SUCCEEDED, BACKUP_ACTIVE, false, Site.BACKUP);
    add(t, VALIDATING, Trigger.PHASE_FAILED, FAILED, false, null);
    add(t, VALIDATING, Trigger.ABORT, FAILED, false, null);

    add(t, BACKUP_ACTIVE, Trigger.FAILBACK, FAILING_BACK, false, Site.BACKUP);
    add(t, BACKUP_ACTIVE, Trigger.SWITCHOVER, FAILING_BACK, false, Site.BACKUP);

    add(t, FAILING_BACK, Trigger.PHASE_SUCCEEDED, PRIMARY_ACTIVE, false, Site.PRIMARY);
    add(t, FAILING_BACK, Trigger.PHASE_FAILED, FAILED, false, null);
    add(t, FAILING_BACK, Trigger.ABORT, FAILED, false, null);

    add(t, FAILED, Trigger.RETRY_FAILOVER, FAILING_OVER, false, null);
    add(t, FAILED, Trigger.RETRY_VALIDATION, VALIDATING, false, null);
    add(t, FAILED, Trigger.RETRY_FAILBACK, FAILING_BACK, false, null);
    add(t, FAILED, Trigger.RESOLVE_PRIMARY, PRIMARY_ACTIVE, true, Site.PRIMARY);
    add(t, FAILED, Trigger.RESOLVE_BACKUP, BACKUP_ACTIVE, true, Site.BACKUP);

    for (FailoverState s : List.of(PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED)) {
      add(t, s, Trigger.REBUILD, REBUILDING, true, Site.PRIMARY);
    }
    add(t, REBUILDING, Trigger.PHASE_SUCCEEDED, PRIMARY_ACTIVE, false, Site.PRIMARY);
    add(t, REBUILDING, Trigger.PHASE_FAILED, FAILED, false, null);
    add(t, REBUILDING, Trigger.ABORT, FAILED, false, null);
    add(t, FAILED, Trigger.RETRY_REBUILD, REBUILDING, false, null);

    Map<FailoverState, Map<Trigger, Transition>> frozen = new EnumMap<>(FailoverState.class);
    t.forEach((k, v) -> frozen.put(k, Collections.unmodifiableMap(v)));
    return Collections.unmodifiableMap(frozen);
  }

  private static void add(Map<FailoverState, Map<Trigger, Transition>> t, FailoverState from, Trigger trigger,
      FailoverState to, boolean roleChange, @Nullable Site active) {
    Objects.requireNonNull(t.get(from)).put(trigger, new Transition(from, trigger, to, roleChange, active));
  }

  /**
   * @param from the current state
   * @param trigger the event or command that asks for the transition
   * @return the transition, or empty when the table does not allow it
   */
  public static Optional<Transition> lookup(FailoverState from, Trigger trigger) {
    return Optional.ofNullable(row(from).get(trigger));
  }

  /**
   * @param service the service (for the message)
   * @param from the current state
   * @param trigger the event or command that asks for the transition
   * @return the transition
   * @throws IllegalTransitionException naming the service, state and trigger when not allowed
   */
  public static Transition require(String service, FailoverState from, Trigger trigger) {
    Transition t = row(from).get(trigger);
    if (t == null) {
      throw new IllegalTransitionException("service '" + service + "' is " + from + ": " + trigger
          + " is not allowed there (allowed: " + row(from).keySet() + ")");
    }
    return t;
  }

  /**
   * @param from a state
   * @return the triggers legal in it
   */
  public static List<Trigger> triggersFrom(FailoverState from) {
    return List.copyOf(row(from).keySet());
  }

  // the table has a row for every state
  private static Map<Trigger, Transition> row(FailoverState from) {
    return Objects.requireNonNull(TABLE.get(from), "no transition row for " + from);
  }

  /** @return every legal transition, grouped by source state */
  public static List<Transition> all() {
    List<Transition> all = new ArrayList<>();
    TABLE.values().forEach(m -> all.addAll(m.values()));
    return List.copyOf(all);
  }

  /**
   * @param state the state to ask about
   * @return whether it is a phase the engine drives through steps (FAILING_OVER, VALIDATING,
   *     FAILING_BACK, REBUILDING)
   */
  public static boolean isPhase(FailoverState state) {
    return state == FAILING_OVER || state == VALIDATING || state == FAILING_BACK || state == REBUILDING;
  }
}
