package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.DrTimeoutException;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's rule, checked against a model of the sites built from the calls it makes: once a
 * phase has fenced the serving site, nothing leaves the service without a serving site. For every
 * call of every phase (every action, every validation, every data-loss estimate, in failover,
 * automatic failover, switchover, failback and switchover back), in a run that is otherwise clean,
 * one fault is injected at that call: it runs past every budget ({@code SLOW}), it throws on every
 * attempt ({@code THROWS}), it times out on every attempt ({@code TIMES_OUT}), or the engine's
 * leadership term ends while it runs ({@code LEASE_LOST}; a new leader then resumes). At the end a
 * site serves (unfenced, promoted and receiving traffic at the newest epoch), no receiver ever saw
 * an epoch older than one it had seen (epochs only grow), every persisted epoch is at least the one
 * before, and a FAILED state names the site that really serves. Deterministic: a fake clock, an
 * in-memory store, a scripted double.
 */
class FailoverSafetyModelTest {
  enum Scenario { FORCED_FAILOVER, AUTOMATIC_FAILOVER, SWITCHOVER, FAILBACK, SWITCHOVER_BACK }

  enum Fault { SLOW, THROWS, TIMES_OUT, LEASE_LOST }

  private static final RecoveryConfig CONFIG = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
      .rto(Duration.ofMinutes(10)).build();

  /** One engine's surroundings; the model sites outlive engines, as real sites outlive a leader. */
  static final class World {
    final MutableClock clock = new MutableClock();
    final RecordingStore store = new RecordingStore(new InMemoryStateStore());
    final LocalCoordinator coordinator = new LocalCoordinator();
    final SiteModel sites = new SiteModel();

    World() {
      coordinator.awaitLeadership(Duration.ZERO);
    }

    FailoverEngine engine() {
      return FailoverEngine.builder(CONFIG).stateStore(store).actions(sites).coordinator(coordinator)
          .validator(sites.validator(clock)).dataLossEstimator(sites.estimator()).clock(clock)
          .nanoTime(clock::nanos).sleeper(clock.sleeper()).retries(3, Duration.ofSeconds(1))
          .drainPollInterval(Duration.ofSeconds(1)).detectionPolicy(new ConsecutiveFailuresPolicy(3, 2)).build();
    }
  }

  /** A world in the scenario's starting state, its call log cleared. */
  static World world(Scenario s) {
    World w = new World();
    if (s == Scenario.FAILBACK || s == Scenario.SWITCHOVER_BACK) {
      assertThat(w.engine().forceFailover("setup", "start from the backup").state())
          .isEqualTo(FailoverState.BACKUP_ACTIVE);
    }
    w.sites.resetCalls();
    return w;
  }

  static ServiceState command(Scenario s, FailoverEngine e) {
    return switch (s) {
      case FORCED_FAILOVER -> e.forceFailover("alice", "model test");
      case AUTOMATIC_FAILOVER -> e.onVerdict(HealthVerdict.DOWN, "model test");
      case SWITCHOVER, SWITCHOVER_BACK -> e.switchover("alice", "model test");
      case FAILBACK -> e.failback("alice", "model test");
    };
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Scenario s : Scenario.values()) {
      World clean = world(s);
      ServiceState end = command(s, clean.engine());
      assertThat(TransitionTable.isPhase(end.state()) || end.state() == FailoverState.FAILED).isFalse();
      List<String> calls = clean.sites.calls();
      for (int i = 0; i < calls.size(); i++) {
        for (Fault f : Fault.values()) {
          all.add(Arguments.of(s, i, calls.get(i), f));
        }
      }
    }
    assertThat(all).as("every scenario has calls to break").hasSizeGreaterThan(4 * 25);
    return all.stream();
  }

  @ParameterizedTest(name = "{0}: {3} at call {1} ({2})")
  @MethodSource("cases")
  void aSiteServesAtTheEndAndEpochsOnlyGrow(Scenario scenario, int at, String label, Fault fault) {
    World w = world(scenario);
    Set<String> failing = ConcurrentHashMap.newKeySet();
    w.sites.script((i, l) -> {
      if (i == at) {
        assertThat(l).as("the faulty run makes the same calls as the clean one up to the fault").isEqualTo(label);
        switch (fault) {
          case SLOW -> w.clock.advance(Duration.ofHours(1));
          case THROWS, TIMES_OUT -> failing.add(l);
          case LEASE_LOST -> w.coordinator.relinquish();
        }
      }
      if (failing.contains(l)) {
        if (fault == Fault.TIMES_OUT) {
          throw new DrTimeoutException(l + " timed out", Duration.ofSeconds(30));
        }
        throw new IOException(l + " failed");
      }
    });
    FailoverEngine engine = w.engine();
    RuntimeException thrown = null;
    try {
      command(scenario, engine);
    } catch (RuntimeException e) {
      thrown = e;
    }
    if (fault == Fault.LEASE_LOST) {
      // A new leadership term: a new engine resumes whatever the old one left.
      w.sites.script((i, l) -> {});
      w.coordinator.awaitLeadership(Duration.ZERO);
      engine = w.engine();
      engine.resume();
    } else if (thrown != null) {
      // Only a failover's RPO gate, before any transition, may throw to the caller.
      assertThat(label).as("thrown: %s", thrown).isEqualTo("estimate BACKUP");
      assertThat(at).isZero();
    }
    Versioned<ServiceState> stored = w.store.load("orders").orElseThrow();
    ServiceState end = stored.value();
    String ctx = scenario + " " + fault + " at " + at + " (" + label + "): " + end + " " + w.sites + " calls "
        + w.sites.calls();

    assertThat(w.sites.violations()).as(ctx).isEmpty();
    assertThat(w.sites.refused()).as("no receiver got an epoch older than one it had seen: " + ctx).isEmpty();
    long epoch = 0;
    for (Versioned<ServiceState> v : w.store.history()) {
      assertThat(v.value().epoch()).as("persisted epochs only grow: " + ctx).isGreaterThanOrEqualTo(epoch);
      epoch = v.value().epoch();
    }
    assertThat(TransitionTable.isPhase(end.state())).as("no phase left running: " + ctx).isFalse();
    Site serving = w.sites.serving().orElse(null);
    assertThat(serving).as("a site serves: " + ctx).isNotNull();
    assertThat(w.sites.promotedAt(serving)).as(ctx).isLessThanOrEqualTo(end.epoch());
    if (end.state() == FailoverState.FAILED) {
      assertThat(end.attributes()).as("FAILED names the serving site: " + ctx)
          .containsEntry(FailoverEngine.ATTR_SERVING_SITE, serving.name());
    } else {
      assertThat(end.activeSite()).as(ctx).isEqualTo(serving);
    }

    // Before its switch (persisted just before the backup is fenced) a failback may still abort.
    boolean preCommit = label.startsWith("resync") || label.startsWith("validate PRIMARY");
    // The RPO gate of a failover runs before the transition into FAILING_OVER: nothing to breach yet.
    boolean gate = at == 0 && label.equals("estimate BACKUP");
    if (fault == Fault.SLOW && !gate) {
      if (preCommit) {
        assertThat(end.state()).as("a failback past its budget before the fence aborts: " + ctx)
            .isEqualTo(FailoverState.FAILED);
        assertThat(serving).isEqualTo(Site.BACKUP);
      } else {
        assertThat(end.state()).as("past the fence a slow step never fails the phase: " + ctx)
            .isNotEqualTo(FailoverState.FAILED);
        assertThat(engine.phaseHistory()).as(ctx).anyMatch(PhaseRecord::budgetBreached);
        assertThat(end.attributes()).as("the missed objective is persisted: " + ctx)
            .containsKey(FailoverEngine.ATTR_BUDGET_BREACHED);
      }
    }
    if (fault == Fault.LEASE_LOST) {
      assertThat(thrown).as(ctx).isInstanceOf(LeadershipLostException.class);
    }
  }
}
