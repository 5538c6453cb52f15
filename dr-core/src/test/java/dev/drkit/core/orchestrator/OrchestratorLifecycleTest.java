package dev.drkit.core.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.LeadershipStatus;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** start()/close() of a plan: every service's engine built once, started, and used by the runs. */
class OrchestratorLifecycleTest {
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final FailoverActions actions = new FailoverActions() {
    @Override
    public void fence(String service, Site site, long epoch) {
      log.add(service + " fence " + site + "@" + epoch);
    }

    @Override
    public void promote(String service, Site site, long epoch) {
      log.add(service + " promote " + site + "@" + epoch);
    }

    @Override
    public void redirect(String service, Site site, long epoch) {
      log.add(service + " redirect " + site + "@" + epoch);
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) {
      log.add(service + " resync " + target + "@" + epoch);
    }
  };

  @Test
  void aStartedOrchestratorLeadsWithTheLocalCoordinatorAndRunsWithoutAwaitingLeadershipByHand()
      throws InterruptedException {
    LocalCoordinator coordinator = new LocalCoordinator();
    InMemoryStateStore store = new InMemoryStateStore();
    EventBus bus = new EventBus();
    AtomicInteger built = new AtomicInteger();
    AtomicInteger threads = new AtomicInteger();
    List<RecoveryConfig> plan = List.of(
        RecoveryConfig.builder("db").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).build(),
        RecoveryConfig.builder("api").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).dependsOn("db").build());
    RecoveryOrchestrator o = RecoveryOrchestrator.builder(plan, c -> {
      built.incrementAndGet();
      return FailoverEngine.builder(c).stateStore(store).actions(actions).coordinator(coordinator).eventBus(bus)
          .retries(1, Duration.ZERO).build();
    }).eventBus(bus).threadFactory(r -> {
      threads.incrementAndGet();
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    }).build();
    try (o) {
      o.start().start();
      assertThat(built).as("one engine per service, built once").hasValue(2);
      assertThat(o.isLeader()).isTrue();
      assertThat(o.awaitLeading(Duration.ofSeconds(60))).isTrue();
      assertThat(o.leadership()).containsValues(LeadershipStatus.LEADING, LeadershipStatus.LEADING);

      RecoveryReport r = o.run(RecoveryAction.FAILOVER, "ops", "region lost");
      assertThat(r.services()).allSatisfy(s -> assertThat(s.outcome()).isEqualTo(ServiceOutcome.RECOVERED));
      assertThat(built).as("the runs use the started engines").hasValue(2);
      assertThat(threads).as("the wave pool runs on the injected factory").hasPositiveValue();
      assertThat(o.engines().get("api").state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
      assertThat(log).containsSubsequence("db fence PRIMARY@2", "api fence PRIMARY@2");
    }
    assertThat(o.leadership()).containsValues(LeadershipStatus.CLOSED, LeadershipStatus.CLOSED);
  }

  private static List<RecoveryConfig> twoServices() {
    return List.of(
        RecoveryConfig.builder("db").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).build(),
        RecoveryConfig.builder("api").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).dependsOn("db").build());
  }

  @Test
  void anEngineFactoryIsHandedTheOrchestratorsBusSoTheReportCarriesEveryEnginesEvents()
      throws InterruptedException {
    LocalCoordinator coordinator = new LocalCoordinator();
    InMemoryStateStore store = new InMemoryStateStore();
    EventBus bus = new EventBus();
    List<EventBus> handed = Collections.synchronizedList(new ArrayList<>());
    List<String> seenByApplication = Collections.synchronizedList(new ArrayList<>());
    bus.subscribe("failover.transition", e -> seenByApplication.add(e.service()));
    try (RecoveryOrchestrator o = RecoveryOrchestrator.builder(twoServices(), (service, b) -> {
      handed.add(b);
      return FailoverEngine.builder(service).stateStore(store).actions(actions).coordinator(coordinator)
          .eventBus(b).build();
    }).eventBus(bus).build()) {
      o.start();
      RecoveryReport r = o.run(RecoveryAction.FAILOVER, "ops", "region lost");
      assertThat(handed).hasSize(2).allSatisfy(b -> assertThat(b).isSameAs(bus));
      assertThat(r.services()).allSatisfy(s -> {
        assertThat(s.outcome()).isEqualTo(ServiceOutcome.RECOVERED);
        assertThat(s.events()).extracting(DrEvent::type).contains("failover.transition")
            .doesNotContain("recovery.events.unseen");
      });
      assertThat(seenByApplication).contains("db", "api");
    }
  }

  @Test
  void anEngineOnAnotherBusIsReportedInsteadOfSilentlyLeavingTheReportWithoutItsEvents()
      throws InterruptedException {
    LocalCoordinator coordinator = new LocalCoordinator();
    InMemoryStateStore store = new InMemoryStateStore();
    EventBus bus = new EventBus();
    List<DrEvent> warnings = Collections.synchronizedList(new ArrayList<>());
    bus.subscribe("recovery.events.unseen", warnings::add);
    // the old mistake: the factory builds engines without the orchestrator's bus
    try (RecoveryOrchestrator o = RecoveryOrchestrator.builder(twoServices(), (RecoveryConfig service) ->
        FailoverEngine.builder(service).stateStore(store).actions(actions).coordinator(coordinator).build())
        .eventBus(bus).build()) {
      o.start();
      RecoveryReport r = o.run(RecoveryAction.FAILOVER, "ops", "region lost");
      assertThat(r.services()).allSatisfy(s -> assertThat(s.outcome()).isEqualTo(ServiceOutcome.RECOVERED));
      assertThat(warnings).extracting(DrEvent::service).containsExactly("db", "api");
      assertThat(warnings.get(0).severity()).isEqualTo(DrEvent.Severity.WARN);
      assertThat(warnings.get(0).message()).contains("service 'db'", ".eventBus(bus)");
      assertThat(r.service("db").orElseThrow().events()).extracting(DrEvent::type).contains("recovery.events.unseen");
    }
  }
}
