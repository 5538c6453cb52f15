package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public command and verdict applied to an engine resumed in every state: the resulting state
 * and epoch, or IllegalTransitionException with nothing persisted. The seeded states carry no
 * leadership term, so resuming a phase re-assigns its roles at a new epoch first (a phase is never
 * continued at an epoch another term may have acted under).
 */
class FailoverEngineCommandTableTest {
  private static final List<String> COMMANDS = List.of("failover", "force", "switchover", "failback", "abort", "retry",
      "resolvePrimary", "resolveBackup", "HEALTHY", "SUSPECT", "DOWN", "resume", "rebuild");

  /** Rows: state, then per command "STATE@epoch" or "illegal". */
  private static final FakeRebuild REBUILD = new FakeRebuild().puts(4).snapshot("aaaa1111", 2,
      FakeRebuild.T0.plusSeconds(2));

  private static final Map<FailoverState, String> TABLE = Map.of(
      FailoverState.PRIMARY_ACTIVE,
      "BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 illegal illegal illegal illegal illegal "
          + "PRIMARY_ACTIVE@1 PRIMARY_DEGRADED@1 BACKUP_ACTIVE@2 PRIMARY_ACTIVE@1 PRIMARY_ACTIVE@2",
      FailoverState.PRIMARY_DEGRADED,
      "BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 illegal PRIMARY_ACTIVE@1 illegal illegal illegal "
          + "PRIMARY_ACTIVE@1 PRIMARY_DEGRADED@1 BACKUP_ACTIVE@2 PRIMARY_DEGRADED@1 PRIMARY_ACTIVE@2",
      FailoverState.FAILING_OVER,
      "illegal illegal illegal illegal FAILED@2 illegal illegal illegal "
          + "FAILING_OVER@2 FAILING_OVER@2 FAILING_OVER@2 BACKUP_ACTIVE@3 illegal",
      FailoverState.VALIDATING,
      "illegal illegal illegal illegal FAILED@2 illegal illegal illegal "
          + "VALIDATING@2 VALIDATING@2 VALIDATING@2 BACKUP_ACTIVE@3 illegal",
      FailoverState.BACKUP_ACTIVE,
      "illegal illegal PRIMARY_ACTIVE@3 PRIMARY_ACTIVE@3 illegal illegal illegal illegal "
          + "BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 BACKUP_ACTIVE@2 PRIMARY_ACTIVE@3",
      FailoverState.FAILING_BACK,
      "illegal illegal illegal illegal FAILED@2 illegal illegal illegal "
          + "FAILING_BACK@2 FAILING_BACK@2 FAILING_BACK@2 PRIMARY_ACTIVE@4 illegal",
      FailoverState.FAILED,
      "illegal illegal illegal illegal illegal BACKUP_ACTIVE@2 PRIMARY_ACTIVE@3 BACKUP_ACTIVE@3 "
          + "FAILED@2 FAILED@2 FAILED@2 FAILED@2 PRIMARY_ACTIVE@3",
      FailoverState.REBUILDING,
      "illegal illegal illegal illegal FAILED@2 illegal illegal illegal "
          + "REBUILDING@2 REBUILDING@2 REBUILDING@2 PRIMARY_ACTIVE@3 illegal");

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (FailoverState s : FailoverState.values()) {
      String[] cells = TABLE.get(s).split(" ");
      assertThat(cells).hasSize(COMMANDS.size());
      for (int i = 0; i < COMMANDS.size(); i++) {
        all.add(Arguments.of(s, COMMANDS.get(i), cells[i]));
      }
    }
    return all.stream();
  }

  private static ServiceState seed(FailoverState s) {
    boolean primary = s == FailoverState.PRIMARY_ACTIVE || s == FailoverState.PRIMARY_DEGRADED;
    Map<String, String> attrs = s == FailoverState.FAILED
        ? Map.of(FailoverEngine.ATTR_FAILED_PHASE, "FAILING_OVER")
        : s == FailoverState.REBUILDING ? Map.of(Replayer.ATTR_SNAPSHOT_ID, "aaaa1111", Replayer.ATTR_SNAPSHOT_TIME,
            FakeRebuild.T0.plusSeconds(2).toString(), Replayer.ATTR_FROM_OFFSET, "2") : Map.of();
    return new ServiceState("orders", s, primary ? 1 : 2,
        primary || s == FailoverState.REBUILDING ? Site.PRIMARY : Site.BACKUP,
        Instant.parse("2026-11-24T00:00:00Z"), "seeded", attrs);
  }

  private static Function<FailoverEngine, ServiceState> command(String name) {
    return switch (name) {
      case "failover" -> e -> e.failover("alice", "test");
      case "force" -> e -> e.forceFailover("alice", "test");
      case "switchover" -> e -> e.switchover("alice", "test");
      case "failback" -> e -> e.failback("alice", "test");
      case "abort" -> e -> e.abort("alice", "test");
      case "retry" -> e -> e.retry("alice", "test");
      case "resolvePrimary" -> e -> e.resolve(FailoverState.PRIMARY_ACTIVE, "alice", "test");
      case "resolveBackup" -> e -> e.resolve(FailoverState.BACKUP_ACTIVE, "alice", "test");
      case "resume" -> FailoverEngine::resume;
      case "rebuild" -> e -> e.rebuild(RebuildRequest.latest(), "alice", "test");
      default -> e -> e.onVerdict(HealthVerdict.valueOf(name), "external detector");
    };
  }

  @ParameterizedTest(name = "{0} + {1} -> {2}")
  @MethodSource("cases")
  void commandLeadsToTheExpectedStateAndEpoch(FailoverState start, String cmd, String expected) {
    InMemoryStateStore backing = new InMemoryStateStore();
    backing.compareAndSet("orders", 0, seed(start));
    Harness h = new Harness(backing);
    FailoverEngine engine = h.builder().rebuildSources(new RebuildSources(REBUILD, REBUILD, REBUILD)).build();
    if (expected.equals("illegal")) {
      assertThatThrownBy(() -> command(cmd).apply(engine)).isInstanceOf(IllegalTransitionException.class)
          .hasMessageContaining("orders").hasMessageContaining(start.name());
      assertThat(h.store.history()).as("nothing persisted").isEmpty();
      assertThat(h.sites.calls).as("no side effect").isEmpty();
      assertThat(engine.state()).isEqualTo(seed(start));
      return;
    }
    String[] e = expected.split("@");
    ServiceState after = command(cmd).apply(engine);
    assertThat(after.state()).isEqualTo(FailoverState.valueOf(e[0]));
    assertThat(after.epoch()).isEqualTo(Long.parseLong(e[1]));
    assertThat(h.store.load("orders").orElseThrow()).isEqualTo(engine.versionedState());
    long epoch = 0;
    for (Versioned<ServiceState> v : h.store.history()) {
      assertThat(v.value().epoch()).as("epochs never shrink").isGreaterThanOrEqualTo(epoch);
      epoch = v.value().epoch();
    }
    assertThat(h.sites.violations).isEmpty();
  }
}
