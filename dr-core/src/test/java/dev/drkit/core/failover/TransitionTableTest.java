package dev.drkit.core.failover;

import static dev.drkit.core.FailoverState.BACKUP_ACTIVE;
import static dev.drkit.core.FailoverState.FAILED;
import static dev.drkit.core.FailoverState.FAILING_BACK;
import static dev.drkit.core.FailoverState.FAILING_OVER;
import static dev.drkit.core.FailoverState.PRIMARY_ACTIVE;
import static dev.drkit.core.FailoverState.PRIMARY_DEGRADED;
import static dev.drkit.core.FailoverState.VALIDATING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.failover.TransitionTable.Transition;
import dev.drkit.core.spi.Site;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every (state, trigger) pair against the expected table, written out independently here. */
class TransitionTableTest {
  /** Expected legal transitions: "FROM TRIGGER" -> "TO roleChange activeSite|keep". */
  private static final Map<String, String> EXPECTED = Map.ofEntries(
      Map.entry("PRIMARY_ACTIVE SUSPECTED", "PRIMARY_DEGRADED false PRIMARY"),
      Map.entry("PRIMARY_ACTIVE FAILOVER", "FAILING_OVER true BACKUP"),
      Map.entry("PRIMARY_ACTIVE SWITCHOVER", "FAILING_OVER true BACKUP"),
      Map.entry("PRIMARY_DEGRADED RECOVERED", "PRIMARY_ACTIVE false PRIMARY"),
      Map.entry("PRIMARY_DEGRADED ABORT", "PRIMARY_ACTIVE false PRIMARY"),
      Map.entry("PRIMARY_DEGRADED FAILOVER", "FAILING_OVER true BACKUP"),
      Map.entry("PRIMARY_DEGRADED SWITCHOVER", "FAILING_OVER true BACKUP"),
      Map.entry("FAILING_OVER PHASE_SUCCEEDED", "VALIDATING false BACKUP"),
      Map.entry("FAILING_OVER PHASE_FAILED", "FAILED false keep"),
      Map.entry("FAILING_OVER ABORT", "FAILED false keep"),
      Map.entry("VALIDATING PHASE_SUCCEEDED", "BACKUP_ACTIVE false BACKUP"),
      Map.entry("VALIDATING PHASE_FAILED", "FAILED false keep"),
      Map.entry("VALIDATING ABORT", "FAILED false keep"),
      Map.entry("BACKUP_ACTIVE FAILBACK", "FAILING_BACK false BACKUP"),
      Map.entry("BACKUP_ACTIVE SWITCHOVER", "FAILING_BACK false BACKUP"),
      Map.entry("FAILING_BACK PHASE_SUCCEEDED", "PRIMARY_ACTIVE false PRIMARY"),
      Map.entry("FAILING_BACK PHASE_FAILED", "FAILED false keep"),
      Map.entry("FAILING_BACK ABORT", "FAILED false keep"),
      Map.entry("FAILED RETRY_FAILOVER", "FAILING_OVER false keep"),
      Map.entry("FAILED RETRY_VALIDATION", "VALIDATING false keep"),
      Map.entry("FAILED RETRY_FAILBACK", "FAILING_BACK false keep"),
      Map.entry("FAILED RESOLVE_PRIMARY", "PRIMARY_ACTIVE true PRIMARY"),
      Map.entry("FAILED RESOLVE_BACKUP", "BACKUP_ACTIVE true BACKUP"),
      Map.entry("PRIMARY_ACTIVE REBUILD", "REBUILDING true PRIMARY"),
      Map.entry("PRIMARY_DEGRADED REBUILD", "REBUILDING true PRIMARY"),
      Map.entry("BACKUP_ACTIVE REBUILD", "REBUILDING true PRIMARY"),
      Map.entry("FAILED REBUILD", "REBUILDING true PRIMARY"),
      Map.entry("REBUILDING PHASE_SUCCEEDED", "PRIMARY_ACTIVE false PRIMARY"),
      Map.entry("REBUILDING PHASE_FAILED", "FAILED false keep"),
      Map.entry("REBUILDING ABORT", "FAILED false keep"),
      Map.entry("FAILED RETRY_REBUILD", "REBUILDING false keep"));

  static Stream<Arguments> everyPair() {
    List<Arguments> all = new ArrayList<>();
    for (FailoverState s : FailoverState.values()) {
      for (Trigger t : Trigger.values()) {
        all.add(Arguments.of(s, t));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} x {1}")
  @MethodSource("everyPair")
  void matchesTheDesignedTable(FailoverState from, Trigger trigger) {
    String expected = EXPECTED.get(from + " " + trigger);
    if (expected == null) {
      assertThat(TransitionTable.lookup(from, trigger)).isEmpty();
      assertThatThrownBy(() -> TransitionTable.require("orders", from, trigger))
          .isInstanceOf(IllegalTransitionException.class)
          .hasMessageContaining("orders").hasMessageContaining(from.name()).hasMessageContaining(trigger.name());
      assertThat(TransitionTable.triggersFrom(from)).doesNotContain(trigger);
    } else {
      String[] e = expected.split(" ");
      Transition t = TransitionTable.require("orders", from, trigger);
      assertThat(t.from()).isEqualTo(from);
      assertThat(t.trigger()).isEqualTo(trigger);
      assertThat(t.to()).isEqualTo(FailoverState.valueOf(e[0]));
      assertThat(t.roleChange()).isEqualTo(Boolean.parseBoolean(e[1]));
      assertThat(t.activeSite()).isEqualTo(e[2].equals("keep") ? null : Site.valueOf(e[2]));
      assertThat(TransitionTable.triggersFrom(from)).contains(trigger);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void everyStateIsReachableAndLeavable(FailoverState s) {
    assertThat(TransitionTable.all()).anyMatch(t -> t.to() == s);
    assertThat(TransitionTable.triggersFrom(s)).isNotEmpty();
  }

  static Stream<FailoverState> states() {
    return Stream.of(FailoverState.values());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void phasesAreExactlyTheDrivenStates(FailoverState s) {
    assertThat(TransitionTable.isPhase(s)).isEqualTo(s == FAILING_OVER || s == VALIDATING || s == FAILING_BACK
        || s == FailoverState.REBUILDING);
    assertThat(List.of(PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED).contains(s))
        .isNotEqualTo(TransitionTable.isPhase(s));
  }

  @org.junit.jupiter.api.Test
  void tableHasExactlyTheExpectedNumberOfTransitions() {
    assertThat(TransitionTable.all()).hasSize(EXPECTED.size());
  }
}
