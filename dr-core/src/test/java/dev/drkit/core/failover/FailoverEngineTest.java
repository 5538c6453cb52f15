package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.EventBus;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FailoverEngineTest {
  private final Harness h = new Harness();

  @Test
  void startsPrimaryActiveAtEpochOneAndPersistsIt() {
    FailoverEngine e = h.engine();
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(e.state().epoch()).isEqualTo(1);
    assertThat(h.store.load("orders").orElseThrow().version()).isEqualTo(1);
    assertThat(h.eventTypes()).containsExactly("failover.initialized");
  }

  @Test
  void failsOverAfterThreeConsecutiveFailures() {
    FailoverEngine e = h.engine();
    assertThat(e.recordProbe(false)).isEqualTo(HealthVerdict.SUSPECT);
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);
    assertThat(e.recordProbe(false)).isEqualTo(HealthVerdict.SUSPECT);
    assertThat(h.sites.calls).isEmpty();
    assertThat(e.recordProbe(false)).isEqualTo(HealthVerdict.DOWN);
    ServiceState s = e.state();
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(s.epoch()).isEqualTo(2);
    assertThat(s.activeSite()).isEqualTo(Site.BACKUP);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_MODE, "automatic")
        .containsEntry(FailoverEngine.ATTR_MEASURED_LOSS, "0");
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2");
    assertThat(h.validations).containsExactly("BACKUP@2");
    assertThat(h.writable()).containsExactly(Site.BACKUP);
    assertThat(h.sites.routedTo()).isEqualTo(Site.BACKUP);
    assertThat(h.sites.violations).isEmpty();
    assertThat(e.phaseHistory()).extracting(PhaseRecord::phase, PhaseRecord::outcome).containsExactly(
        org.assertj.core.groups.Tuple.tuple(FailoverState.FAILING_OVER, "succeeded"),
        org.assertj.core.groups.Tuple.tuple(FailoverState.VALIDATING, "succeeded"));
  }

  @Test
  void whoeverSeesTheNextStateAlsoSeesTheRecordOfThePhaseThatLedToIt() {
    AtomicReference<FailoverEngine> engine = new AtomicReference<>();
    Map<FailoverState, List<FailoverState>> seen = new ConcurrentHashMap<>();
    EventBus bus = EventBus.of(h.events::add, ev -> {
      FailoverEngine e = engine.get();
      if (e != null && ev.type().endsWith("transition")) {
        seen.put(FailoverState.valueOf(ev.attributes().get("to")),
            e.phaseHistory().stream().map(PhaseRecord::phase).toList());
      }
    });
    engine.set(h.builder().eventBus(bus).build());
    FailoverEngine e = engine.get();
    e.recordProbe(false);
    e.recordProbe(false);
    e.recordProbe(false);
    assertThat(e.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(seen.get(FailoverState.VALIDATING)).containsExactly(FailoverState.FAILING_OVER);
    assertThat(seen.get(FailoverState.BACKUP_ACTIVE)).containsExactly(FailoverState.FAILING_OVER,
        FailoverState.VALIDATING);
  }

  @Test
  void recoversFromDegradedWhenProbesPassAgain() {
    FailoverEngine e = h.engine();
    e.recordProbe(false);
    e.recordProbe(true);
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);
    e.recordProbe(true);
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(e.state().epoch()).isEqualTo(1);
    assertThat(h.sites.calls).isEmpty();
  }

  @Test
  void everyTransitionIsPublishedWithReasonEpochAndTime() {
    FailoverEngine e = h.engine();
    e.onVerdict(HealthVerdict.DOWN, "dr-validation detector");
    List<DrEvent> transitions = h.events("failover.transition");
    assertThat(transitions).extracting(ev -> ev.attributes().get("from") + "->" + ev.attributes().get("to"))
        .containsExactly("PRIMARY_ACTIVE->PRIMARY_DEGRADED", "PRIMARY_DEGRADED->FAILING_OVER",
            "FAILING_OVER->VALIDATING", "VALIDATING->BACKUP_ACTIVE");
    assertThat(transitions).allSatisfy(ev -> {
      assertThat(ev.service()).isEqualTo("orders");
      assertThat(ev.time()).isEqualTo(h.clock.instant());
      assertThat(ev.message()).isNotBlank();
      assertThat(ev.attributes()).containsKeys("trigger", "version", "leaseToken", "previousEpoch");
    });
    assertThat(transitions.get(1).epoch()).isEqualTo(2);
    assertThat(transitions.get(1).message()).contains("dr-validation detector");
    assertThat(h.eventTypes()).contains("failover.detection", "failover.step", "failover.validation");
  }

  @Test
  void rpoGateRefusesAutomaticFailoverWithAnEventAndChangesNothing() {
    FailoverEngine e = h.engine();
    h.loss.set(Duration.ofMinutes(5));
    e.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);
    assertThat(h.sites.calls).isEmpty();
    DrEvent refused = h.events("failover.refused").get(0);
    assertThat(refused.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(refused.attributes()).containsEntry("gate", "rpo").containsEntry("estimatedLoss", "PT5M")
        .containsEntry("rpo", "PT1M");
    h.loss.set(Duration.ofSeconds(30));
    e.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(e.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(e.state().attributes()).containsEntry(FailoverEngine.ATTR_ESTIMATED_LOSS, "30000");
  }

  @Test
  void manualFailoverOverTheRpoIsRefusedButAForcedOneIsRecorded() {
    FailoverEngine e = h.engine();
    h.loss.set(Duration.ofMinutes(5));
    assertThatThrownBy(() -> e.failover("alice", "primary rack on fire"))
        .isInstanceOfSatisfying(FailoverRefusedException.class, ex -> assertThat(ex.gate()).isEqualTo("rpo"))
        .hasMessageContaining("PT5M").hasMessageContaining("PT1M");
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    ServiceState s = e.forceFailover("alice", "primary rack on fire");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_MODE, "forced").containsEntry("by", "alice")
        .containsEntry("why", "primary rack on fire").containsEntry(FailoverEngine.ATTR_ESTIMATED_LOSS, "300000");
    DrEvent forced = h.events("failover.forced").get(0);
    assertThat(forced.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(forced.attributes()).containsEntry("by", "alice").containsEntry("why", "primary rack on fire");
    assertThat(h.events("failover.rpo.exceeded")).hasSize(1);
  }

  @Test
  void flapDampingRefusesASecondAutomaticFailoverTooSoon() {
    FailoverEngine e = h.engine();
    e.onVerdict(HealthVerdict.DOWN, "detector");
    e.failback("bob", "primary repaired");
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    h.clock.advance(Duration.ofMinutes(10));
    e.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);
    assertThat(h.events("failover.refused").get(0).attributes()).containsEntry("gate", "damping");
    h.clock.advance(Duration.ofMinutes(21));
    e.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(e.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(e.state().epoch()).isEqualTo(4);
  }

  @Test
  void automaticFailoverCanBeDisabled() {
    FailoverEngine e = h.builder().automaticFailover(false).build();
    e.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);
    assertThat(h.events("failover.refused").get(0).attributes()).containsEntry("gate", "automatic-disabled");
    assertThat(e.failover("carol", "confirmed outage").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
  }

  @Test
  void failbackResyncsValidatesAndSwitchesRolesAtTheNextEpoch() {
    FailoverEngine e = h.engine();
    e.forceFailover("alice", "test");
    h.sites.calls.clear();
    h.validations.clear();
    ServiceState s = e.failback("bob", "primary repaired");
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(s.epoch()).isEqualTo(3);
    assertThat(s.activeSite()).isEqualTo(Site.PRIMARY);
    assertThat(h.sites.calls).containsExactly("resync PRIMARY @2", "fence BACKUP @3", "promote PRIMARY @3",
        "redirect PRIMARY @3", "demote BACKUP @3");
    assertThat(h.validations).containsExactly("PRIMARY@2");
    assertThat(h.writable()).containsExactly(Site.PRIMARY);
    assertThat(h.sites.violations).isEmpty();
    assertThat(h.events("failover.epoch")).hasSize(1);
  }

  @Test
  void switchoverFencesFirstAndWaitsForReplicationToDrain() {
    FailoverEngine e = h.engine();
    h.loss.set(Duration.ofSeconds(3));
    AtomicInteger polls = new AtomicInteger();
    FailoverEngine draining = h.builder().dataLossEstimator((svc, site) -> {
      if (h.sites.calls.contains("fence PRIMARY @2") && polls.incrementAndGet() >= 3) {
        return Duration.ZERO;
      }
      return h.loss.get();
    }).build();
    assertThat(e.state()).isEqualTo(draining.state());
    java.time.Instant before = h.clock.instant();
    ServiceState s = draining.switchover("ops", "maintenance");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2",
        "demote PRIMARY @2");
    assertThat(polls.get()).isEqualTo(3);
    assertThat(Duration.between(before, h.clock.instant())).as("two drain polls waited on the fake clock")
        .isEqualTo(Duration.ofSeconds(2));
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_MEASURED_LOSS, "0")
        .containsEntry(FailoverEngine.ATTR_PLANNED, "true");
  }

  @Test
  void switchoverThatNeverDrainsRollsBackToThePrimaryAtANewEpoch() {
    FailoverEngine e = h.engine();
    h.loss.set(Duration.ofSeconds(1));
    ServiceState s = e.switchover("ops", "maintenance");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_FAILED_PHASE, "FAILING_OVER")
        .containsEntry(FailoverEngine.ATTR_SERVING_SITE, "PRIMARY");
    assertThat(s.attributes().get(FailoverEngine.ATTR_ERROR)).contains("did not drain").contains("rolled back");
    assertThat(s.epoch()).isEqualTo(3);
    assertThat(s.activeSite()).isEqualTo(Site.PRIMARY);
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @2", "fence BACKUP @3", "promote PRIMARY @3",
        "redirect PRIMARY @3", "demote BACKUP @3");
    assertThat(h.writable()).containsExactly(Site.PRIMARY);
    assertThat(h.sites.routedTo()).isEqualTo(Site.PRIMARY);
    assertThat(h.events("failover.budget.breached")).as("the drain's limit is not an escalating budget check")
        .allSatisfy(ev -> assertThat(ev.attributes()).containsEntry("escalated", "false"));
    assertThat(h.events("failover.rollback")).hasSize(1);
    assertThat(e.phaseHistory().get(0).outcome()).isEqualTo("failed");
    assertThat(e.phaseHistory().get(0).servingSite()).isEqualTo(Site.PRIMARY);
    h.loss.set(Duration.ZERO);
    h.sites.calls.clear();
    ServiceState retried = e.retry("ops", "replication fixed");
    assertThat(retried.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(retried.epoch()).as("a rolled-back phase is retried at a new epoch").isEqualTo(4);
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @4", "promote BACKUP @4", "redirect BACKUP @4",
        "demote PRIMARY @4");
    assertThat(h.sites.violations).isEmpty();
  }

  @Test
  void aStepThatFailsIsRetriedThenSucceeds() {
    FailoverEngine e = h.engine();
    AtomicInteger failures = new AtomicInteger(2);
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("promote") && failures.getAndDecrement() > 0) {
        throw new IOException("backup not reachable yet");
      }
    });
    ServiceState s = e.forceFailover("alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(h.events("failover.step.retry")).hasSize(2);
    assertThat(h.clock.instant()).as("retry delays waited on the fake clock")
        .isEqualTo(java.time.Instant.parse("2026-11-24T00:00:02Z"));
  }

  @Test
  void aStepFailingPastItsRetriesAfterTheFenceRollsBackAndRetryAssignsTheRolesAnew() {
    FailoverEngine e = h.engine();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("redirect") && site == Site.BACKUP) {
        throw new IOException("no route to the backup");
      }
    });
    ServiceState failed = e.forceFailover("alice", "test");
    assertThat(failed.state()).isEqualTo(FailoverState.FAILED);
    assertThat(failed.attributes().get(FailoverEngine.ATTR_ERROR)).contains("redirect")
        .contains("no route to the backup").contains("rolled back");
    assertThat(failed.attributes()).containsEntry(FailoverEngine.ATTR_SERVING_SITE, "PRIMARY");
    assertThat(h.sites.calls).endsWith("fence BACKUP @3", "promote PRIMARY @3", "redirect PRIMARY @3",
        "demote BACKUP @3");
    assertThat(h.writable()).containsExactly(Site.PRIMARY);
    assertThat(h.events("failover.transition").get(h.events("failover.transition").size() - 1).severity())
        .isEqualTo(DrEvent.Severity.ERROR);
    h.sites.fault((op, site, epoch) -> {});
    h.sites.calls.clear();
    ServiceState s = e.retry("bob", "route fixed");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(s.epoch()).isEqualTo(4);
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @4", "promote BACKUP @4", "redirect BACKUP @4");
    assertThat(h.sites.violations).isEmpty();
  }

  @Test
  void whenEvenTheRollbackCannotRedirectFailedSaysNoSiteServesAndRetryRecovers() {
    FailoverEngine e = h.engine();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("redirect")) {
        throw new IOException("router unreachable");
      }
    });
    ServiceState failed = e.forceFailover("alice", "test");
    assertThat(failed.state()).isEqualTo(FailoverState.FAILED);
    assertThat(failed.attributes()).containsEntry(FailoverEngine.ATTR_SERVING_SITE, FailoverEngine.NO_SITE);
    assertThat(failed.attributes().get(FailoverEngine.ATTR_ERROR)).contains("the rollback failed too");
    assertThat(e.phaseHistory().get(0).servingSite()).isNull();
    h.sites.fault((op, site, epoch) -> {});
    h.sites.calls.clear();
    ServiceState s = e.retry("bob", "router fixed");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(s.epoch()).isEqualTo(4);
    assertThat(h.sites.routedTo()).isEqualTo(Site.BACKUP);
    assertThat(h.writable()).containsExactly(Site.BACKUP);
    assertThat(h.sites.violations).isEmpty();
  }

  @Test
  void failedValidationFailsThePhase() {
    FailoverEngine e = h.engine();
    h.validationPasses.set(false);
    ServiceState s = e.forceFailover("alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_FAILED_PHASE, "VALIDATING");
    assertThat(h.validations).hasSize(3);
    assertThat(e.lastValidation().orElseThrow().passed()).isFalse();
    h.validationPasses.set(true);
    assertThat(e.retry("bob", "cache warmed").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
  }

  @Test
  void resolveRecordsTheOperatorsChoiceAtANewEpochWithoutActions() {
    FailoverEngine e = h.engine();
    h.validationPasses.set(false);
    e.forceFailover("alice", "test");
    h.sites.calls.clear();
    ServiceState s = e.resolve(FailoverState.PRIMARY_ACTIVE, "bob", "rolled back by hand");
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(s.epoch()).isEqualTo(3);
    assertThat(s.activeSite()).isEqualTo(Site.PRIMARY);
    assertThat(s.reason()).contains("bob").contains("rolled back by hand");
    assertThat(h.sites.calls).isEmpty();
    assertThatThrownBy(() -> e.resolve(FailoverState.VALIDATING, "bob", "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void abortFromAnotherThreadStopsThePhaseAtTheNextStep() {
    FailoverEngine e = h.engine();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("promote")) {
        // The operator aborts while promote runs; promote completes, nothing after it runs.
        Thread t = new Thread(() -> e.abort("bob", "wrong service"));
        t.start();
        t.join();
      }
    });
    ServiceState s = e.forceFailover("alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.reason()).contains("aborted by bob");
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2");
    assertThat(e.phaseHistory().get(0).outcome()).isEqualTo("aborted");
  }

  @Test
  void anInterruptedPhaseLeavesTheStateForResumeInsteadOfFailing() throws Exception {
    FailoverEngine e = h.engine();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("redirect")) {
        throw new InterruptedException("host shutting down");
      }
    });
    ServiceState s = e.forceFailover("alice", "test");
    assertThat(Thread.interrupted()).as("interrupt kept visible (and cleared here)").isTrue();
    assertThat(s.state()).isEqualTo(FailoverState.FAILING_OVER);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_DONE, "fence,measure-loss,promote");
    assertThat(e.phaseHistory().get(0).outcome()).isEqualTo("interrupted");
    h.sites.fault((op, site, epoch) -> {});
    assertThat(e.resume().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    DrEvent resumed = h.events("failover.resumed").get(0);
    assertThat(resumed.attributes()).containsEntry("done", "fence,measure-loss,promote");
  }

  @Test
  void withoutTheLeaseNothingIsPersistedAndNoActionRuns() {
    FailoverEngine e = h.engine();
    h.coordinator.relinquish();
    assertThatThrownBy(() -> e.forceFailover("alice", "test")).isInstanceOf(LeadershipLostException.class);
    assertThat(h.store.load("orders").orElseThrow().version()).isEqualTo(1);
    assertThat(h.sites.calls).isEmpty();
  }

  @Test
  void losingTheLeaseMidPhaseStopsBeforeTheNextActionAndANewLeaderResumes() {
    FailoverEngine e = h.engine();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("promote")) {
        h.coordinator.relinquish();
      }
    });
    assertThatThrownBy(() -> e.forceFailover("alice", "test")).isInstanceOf(LeadershipLostException.class);
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2");
    assertThat(h.store.load("orders").orElseThrow().value().state()).isEqualTo(FailoverState.FAILING_OVER);
    h.sites.fault((op, site, epoch) -> {});
    h.coordinator.awaitLeadership(Duration.ZERO);
    ServiceState s = h.engine().resume();
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(s.epoch()).as("the new term never acts at the epoch the old one acted under").isEqualTo(3);
    assertThat(h.sites.calls).as("the new leader re-fences and re-promotes at a new epoch")
        .containsExactly("fence PRIMARY @2", "promote BACKUP @2", "fence PRIMARY @3", "promote BACKUP @3",
            "redirect BACKUP @3");
    assertThat(h.events("failover.reassigned")).hasSize(1);
  }

  @Test
  void aCrashBeforeEveryActionOfEveryPhaseResumesToTheSameEndOnAFreshEngine() {
    String[] ops = {"fence", "promote", "redirect", "resync", "demote"};
    for (String crashAt : ops) {
      for (boolean failback : new boolean[] {false, true}) {
        for (boolean after : new boolean[] {false, true}) {
          InMemoryStateStore backing = new InMemoryStateStore();
          Harness hh = new Harness(backing);
          FailoverEngine first = hh.engine();
          if (failback) {
            first.forceFailover("alice", "setup");
          }
          AtomicInteger crashes = new AtomicInteger(1);
          // Crash before the action runs, or after it ran but before the engine recorded it.
          SimulatedSites.Fault crash = (op, site, epoch) -> {
            if (op.equals(crashAt) && crashes.getAndDecrement() > 0) {
              throw new SimulatedCrash((after ? "after " : "before ") + op);
            }
          };
          hh.sites.fault(after ? (op, site, epoch) -> {} : crash);
          RecordingStore store = hh.store;
          if (after) {
            hh.sites.afterEach(crash);
          }
          boolean crashed = false;
          try {
            if (failback) {
              first.failback("bob", "test");
            } else {
              first.switchover("bob", "test");
            }
          } catch (SimulatedCrash expected) {
            crashed = true;
          }
          boolean reachable = failback || !crashAt.equals("resync");
          assertThat(crashed).as("crash at %s reached", crashAt).isEqualTo(reachable);
          hh.sites.fault((op, site, epoch) -> {});
          hh.sites.afterEach((op, site, epoch) -> {});
          ServiceState s = hh.builder().stateStore(store).build().resume();
          FailoverState expected = failback ? FailoverState.PRIMARY_ACTIVE : FailoverState.BACKUP_ACTIVE;
          assertThat(s.state()).as("crash %s %s, failback %s", after ? "after" : "before", crashAt, failback)
              .isEqualTo(expected);
          assertThat(s.epoch()).isEqualTo(failback ? 3 : 2);
          assertThat(hh.sites.violations).isEmpty();
          assertThat(hh.writable()).containsExactly(failback ? Site.PRIMARY : Site.BACKUP);
        }
      }
    }
  }

  @Test
  void aKilledProcessResumesFromTheFileStoreInANewOne(@TempDir Path dir) {
    FileStateStore file = FileStateStore.open(dir);
    Harness first = new Harness(file);
    first.sites.fault((op, site, epoch) -> {
      if (op.equals("redirect")) {
        throw new SimulatedCrash("before redirect");
      }
    });
    assertThatThrownBy(() -> first.engine().forceFailover("alice", "test")).isInstanceOf(SimulatedCrash.class);
    file.close(); // what the OS does for a dead process
    try (FileStateStore reopened = FileStateStore.open(dir)) {
      Versioned<ServiceState> stored = reopened.load("orders").orElseThrow();
      assertThat(stored.value().state()).isEqualTo(FailoverState.FAILING_OVER);
      assertThat(stored.value().attributes()).containsEntry(FailoverEngine.ATTR_DONE, "fence,measure-loss,promote");
      Harness second = new Harness(reopened);
      ServiceState s = second.engine().resume();
      assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
      assertThat(s.epoch()).isEqualTo(2);
      assertThat(second.sites.calls).containsExactly("redirect BACKUP @2");
    }
  }

  @Test
  void drillRunsThePhasesOnAnIsolatedTargetAndLeavesProductionUntouched() {
    RecoveryConfig cfg = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10))
        .validation(ValidationStep.allOf("smoke", Duration.ofSeconds(5), CheckSpec.of("tcp"))).build();
    Harness p = new Harness(new InMemoryStateStore(), cfg);
    FailoverEngine e = p.engine();
    Versioned<ServiceState> before = p.store.load("orders").orElseThrow();
    // The isolated target's own view of the epoch (the drill's store is private to the drill).
    InMemoryStateStore mirror = new InMemoryStateStore();
    mirror.compareAndSet("orders", 0, new ServiceState("orders", FailoverState.FAILING_OVER, 2, Site.BACKUP,
        java.time.Instant.EPOCH, "mirror", java.util.Map.of()));
    SimulatedSites isolated = new SimulatedSites(mirror);
    p.loss.set(Duration.ofMinutes(3));
    DrillResult r = e.drill(isolated, "carol");
    assertThat(r.succeeded()).isTrue();
    assertThat(r.result().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(r.result().epoch()).isEqualTo(2);
    assertThat(isolated.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2");
    assertThat(p.sites.calls).as("production actions never called").isEmpty();
    assertThat(p.store.load("orders").orElseThrow()).as("production state untouched").isEqualTo(before);
    assertThat(e.state()).isEqualTo(before.value());
    assertThat(r.production()).isEqualTo(before.value());
    assertThat(r.validation()).isNotNull();
    assertThat(r.measuredLoss()).isEqualTo(Duration.ofMinutes(3));
    assertThat(r.events()).isNotEmpty().allMatch(ev -> ev.type().startsWith("drill."));
    assertThat(p.eventTypes()).contains("drill.started", "drill.transition", "drill.finished")
        .doesNotContain("failover.transition");
    assertThat(r.phases()).extracting(PhaseRecord::phase)
        .containsExactly(FailoverState.FAILING_OVER, FailoverState.VALIDATING);
  }

  @Test
  void drillIsRefusedWhileAPhaseIsInProgress() {
    InMemoryStateStore backing = new InMemoryStateStore();
    backing.compareAndSet("orders", 0, new ServiceState("orders", FailoverState.FAILING_OVER, 2, Site.BACKUP,
        java.time.Instant.EPOCH, "seeded", java.util.Map.of()));
    Harness p = new Harness(backing);
    assertThatThrownBy(() -> p.engine().drill(p.sites, "carol")).isInstanceOf(IllegalTransitionException.class)
        .hasMessageContaining("FAILING_OVER");
  }

  @Test
  void configWithValidationStepsNeedsAValidator() {
    RecoveryConfig cfg = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10))
        .validation(ValidationStep.allOf("smoke", Duration.ofSeconds(5), CheckSpec.of("tcp"))).build();
    Harness p = new Harness(new InMemoryStateStore(), cfg);
    assertThatThrownBy(() -> FailoverEngine.builder(cfg).stateStore(p.store).actions(p.sites)
        .coordinator(p.coordinator).build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("orders");
  }
}
