package dev.drkit.core.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.CheckResult;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.MutableClock;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RecoveryOrchestratorTest {
  /** Hook before every action: (service, op) -> may throw or wait. */
  interface Hook {
    void before(String service, String op) throws Exception;
  }

  final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T01:00:00Z"));
  final EventBus bus = new EventBus();
  final InMemoryStateStore store = new InMemoryStateStore();
  final LocalCoordinator coordinator = new LocalCoordinator();
  final List<String> log = Collections.synchronizedList(new ArrayList<>());
  final Map<String, Duration> loss = new ConcurrentHashMap<>();
  volatile Hook hook = (s, op) -> {};

  RecoveryOrchestratorTest() {
    coordinator.awaitLeadership(Duration.ZERO);
  }

  final FailoverActions actions = new FailoverActions() {
    @Override
    public void fence(String service, Site site, long epoch) throws Exception {
      hook.before(service, "fence");
      log.add(service + " fence " + site + "@" + epoch);
    }

    @Override
    public void promote(String service, Site site, long epoch) throws Exception {
      hook.before(service, "promote");
      log.add(service + " promote " + site + "@" + epoch);
    }

    @Override
    public void redirect(String service, Site site, long epoch) throws Exception {
      hook.before(service, "redirect");
      log.add(service + " redirect " + site + "@" + epoch);
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) throws Exception {
      hook.before(service, "resync");
      log.add(service + " resync " + target + "@" + epoch);
    }
  };

  FailoverEngine engine(RecoveryConfig c) {
    return FailoverEngine.builder(c).stateStore(store).actions(actions).coordinator(coordinator)
        .dataLossEstimator((s, t) -> loss.getOrDefault(s, Duration.ZERO)).eventBus(bus).clock(clock)
        .sleeper(clock::advance).retries(2, Duration.ofSeconds(1))
        .validator((cfg, site, epoch) -> new ValidationReport(cfg.name(), site, epoch, clock.instant(),
            Duration.ofMillis(40), List.of(new StepResult("smoke", true, 1.0, 1.0, Duration.ofMillis(40),
                List.of(new CheckResult("tcp", CheckResult.Status.PASSED, Duration.ofMillis(40), "connected", null,
                    Map.of("port", "5432", "host", "127.0.0.1")))))))
        .build();
  }

  static RecoveryConfig svc(String name, Priority p, String... deps) {
    return RecoveryConfig.builder(name).rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30)).priority(p)
        .dependsOn(deps).validation(ValidationStep.allOf("smoke", Duration.ofSeconds(5), CheckSpec.of("tcp")))
        .build();
  }

  final List<RecoveryConfig> plan = List.of(
      svc("web", Priority.MEDIUM, "api"),
      svc("cache", Priority.LOW),
      svc("api", Priority.CRITICAL, "db", "auth"),
      svc("auth", Priority.HIGH),
      svc("db", Priority.CRITICAL));

  RecoveryOrchestrator orchestrator(int parallelism) {
    return RecoveryOrchestrator.builder(plan, this::engine).parallelism(parallelism).clock(clock).eventBus(bus).build();
  }

  private List<String> fenceOrder() {
    synchronized (log) {
      return log.stream().filter(l -> l.contains(" fence ")).map(l -> l.substring(0, l.indexOf(' '))).toList();
    }
  }

  @Test
  void recoversInDependencyWavesHigherPriorityFirst() throws Exception {
    List<String> progress = Collections.synchronizedList(new ArrayList<>());
    RecoveryReport r = RecoveryOrchestrator.builder(plan, this::engine).parallelism(1).clock(clock).eventBus(bus)
        .progress(s -> progress.add(s.name())).build().run(RecoveryAction.FORCED_FAILOVER, "ops", "region down");
    assertThat(fenceOrder()).containsExactly("db", "auth", "cache", "api", "web");
    assertThat(r.waves()).containsExactly(List.of("db", "auth", "cache"), List.of("api"), List.of("web"));
    assertThat(r.services()).extracting(ServiceReport::name).containsExactly("db", "auth", "cache", "api", "web");
    assertThat(progress).containsExactly("db", "auth", "cache", "api", "web");
    assertThat(r.succeeded()).isTrue();
    assertThat(r.count(ServiceOutcome.RECOVERED)).isEqualTo(5);
    ServiceReport web = r.service("web").orElseThrow();
    assertThat(web.wave()).isEqualTo(2);
    assertThat(web.finalState()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(web.epoch()).isEqualTo(2);
    assertThat(web.phases()).extracting(PhaseReport::phase)
        .containsExactly(FailoverState.FAILING_OVER, FailoverState.VALIDATING);
    assertThat(web.validation().passed()).isTrue();
    assertThat(web.events()).extracting(DrEvent::type).contains("failover.transition", "failover.validation")
        .allMatch(t -> t.startsWith("failover.") || t.startsWith("recovery."));
    assertThat(web.events()).allMatch(e -> "web".equals(e.service()));
  }

  @Test
  void servicesOfOneWaveRunInParallelButNeverMoreThanTheBound() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    CountDownLatch bothStarted = new CountDownLatch(2);
    hook = (s, op) -> {
      if (op.equals("fence")) {
        int n = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(n, Math::max);
        bothStarted.countDown();
        // Wait (bounded) until a second service is in flight at the same time.
        bothStarted.await(10, TimeUnit.SECONDS);
        inFlight.decrementAndGet();
      }
    };
    RecoveryReport r = orchestrator(2).run(RecoveryAction.FORCED_FAILOVER, "ops", "test");
    assertThat(r.succeeded()).isTrue();
    assertThat(maxInFlight.get()).isEqualTo(2);
  }

  @Test
  void aFailedDependencyBlocksItsDependentsWithTheReason() throws Exception {
    hook = (s, op) -> {
      if (s.equals("db") && op.equals("promote")) {
        throw new IOException("db backup site unreachable");
      }
    };
    RecoveryReport r = orchestrator(2).run(RecoveryAction.FORCED_FAILOVER, "ops", "test");
    assertThat(r.succeeded()).isFalse();
    ServiceReport db = r.service("db").orElseThrow();
    assertThat(db.outcome()).isEqualTo(ServiceOutcome.FAILED);
    assertThat(db.finalState()).isEqualTo(FailoverState.FAILED);
    assertThat(db.reason()).contains("promote").contains("db backup site unreachable");
    assertThat(db.measuredRto()).isNull();
    assertThat(db.phases()).extracting(PhaseReport::outcome).containsExactly("failed");
    ServiceReport api = r.service("api").orElseThrow();
    assertThat(api.outcome()).isEqualTo(ServiceOutcome.BLOCKED);
    assertThat(api.reason()).startsWith("dependency 'db' failed:").contains("db backup site unreachable");
    assertThat(api.finalState()).isNull();
    assertThat(api.events()).extracting(DrEvent::type).containsExactly("recovery.blocked");
    ServiceReport web = r.service("web").orElseThrow();
    assertThat(web.outcome()).isEqualTo(ServiceOutcome.BLOCKED);
    assertThat(web.reason()).startsWith("dependency 'api' blocked: dependency 'db' failed");
    assertThat(r.service("auth").orElseThrow().outcome()).isEqualTo(ServiceOutcome.RECOVERED);
    assertThat(r.service("cache").orElseThrow().outcome()).isEqualTo(ServiceOutcome.RECOVERED);
    synchronized (log) {
      assertThat(log).noneMatch(l -> l.startsWith("api ") || l.startsWith("web "));
    }
  }

  @Test
  void theRpoGateFailsAServiceWhoseLossIsTooLargeAndBlocksItsDependents() throws Exception {
    loss.put("auth", Duration.ofMinutes(20));
    RecoveryReport r = orchestrator(2).run(RecoveryAction.FAILOVER, "ops", "test");
    ServiceReport auth = r.service("auth").orElseThrow();
    assertThat(auth.outcome()).isEqualTo(ServiceOutcome.FAILED);
    assertThat(auth.reason()).contains("FailoverRefusedException").contains("PT20M");
    assertThat(auth.finalState()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(r.service("api").orElseThrow().outcome()).isEqualTo(ServiceOutcome.BLOCKED);
    assertThat(r.service("db").orElseThrow().outcome()).isEqualTo(ServiceOutcome.RECOVERED);
  }

  @Test
  void measuresRtoAndRpoAgainstTheObjectives() throws Exception {
    loss.put("db", Duration.ofMinutes(2));
    loss.put("cache", Duration.ofMinutes(7));
    hook = (s, op) -> {
      if (op.equals("promote")) {
        clock.advance(s.equals("web") ? Duration.ofMinutes(10) : Duration.ofMinutes(1));
      }
    };
    RecoveryReport r = orchestrator(1).run(RecoveryAction.FORCED_FAILOVER, "ops", "test");
    ServiceReport db = r.service("db").orElseThrow();
    assertThat(db.measuredRto()).isEqualTo(Duration.ofMinutes(1));
    assertThat(db.rtoMet()).isTrue();
    assertThat(db.measuredRpo()).isEqualTo(Duration.ofMinutes(2));
    assertThat(db.rpoMet()).isTrue();
    ServiceReport cache = r.service("cache").orElseThrow();
    assertThat(cache.measuredRpo()).isEqualTo(Duration.ofMinutes(7));
    assertThat(cache.rpoMet()).isFalse();
    ServiceReport web = r.service("web").orElseThrow();
    assertThat(web.measuredRto()).as("from the run's start, waiting for dependencies included")
        .isEqualTo(Duration.ofMinutes(14));
    assertThat(web.rtoMet()).isTrue();
    assertThat(web.phases().get(0).budget()).isEqualTo(Duration.ofMinutes(15));
    assertThat(web.phases().get(0).duration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(web.phases().get(0).withinBudget()).isTrue();
    assertThat(r.started()).isEqualTo(Instant.parse("2026-11-24T01:00:00Z"));
    assertThat(Duration.between(r.started(), r.ended())).isEqualTo(Duration.ofMinutes(14));
  }

  @Test
  void aPhaseOverItsBudgetAfterTheFenceCompletesAndTheRtoIsReportedMissed() throws Exception {
    hook = (s, op) -> {
      if (s.equals("web") && op.equals("promote")) {
        clock.advance(Duration.ofMinutes(20));
      }
    };
    RecoveryReport r = orchestrator(1).run(RecoveryAction.FORCED_FAILOVER, "ops", "test");
    ServiceReport web = r.service("web").orElseThrow();
    assertThat(web.outcome()).as("past the fence the phase completes: the backup serves")
        .isEqualTo(ServiceOutcome.RECOVERED);
    assertThat(web.finalState()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(web.phases()).as("the phase's objective is reported missed").filteredOn(p -> p.phase() == FailoverState.FAILING_OVER)
        .singleElement().satisfies(p -> assertThat(p.withinBudget()).isFalse());
    assertThat(web.events()).filteredOn(e -> e.type().equals("failover.budget.breached"))
        .singleElement().satisfies(e -> assertThat(e.attributes()).containsEntry("escalated", "false"));
  }

  @Test
  void servicesAlreadyInTheTargetStateAreLeftAlone() throws Exception {
    engine(plan.get(4)).forceFailover("ops", "earlier");
    log.clear();
    RecoveryReport r = orchestrator(2).run(RecoveryAction.FORCED_FAILOVER, "ops", "test");
    assertThat(r.service("db").orElseThrow().outcome()).isEqualTo(ServiceOutcome.ALREADY_RECOVERED);
    assertThat(fenceOrder()).doesNotContain("db");
    assertThat(r.succeeded()).isTrue();
    RecoveryReport back = orchestrator(2).run(RecoveryAction.FAILBACK, "ops", "primary region back");
    assertThat(back.count(ServiceOutcome.RECOVERED)).isEqualTo(5);
    assertThat(back.services()).allMatch(s -> s.finalState() == FailoverState.PRIMARY_ACTIVE && s.epoch() == 3);
  }

  @Test
  void reportRoundTripsThroughJson() throws Exception {
    hook = (s, op) -> {
      if (s.equals("auth") && op.equals("redirect")) {
        throw new IOException("router says no");
      }
    };
    loss.put("db", Duration.ofSeconds(90));
    RecoveryReport r = orchestrator(2).run(RecoveryAction.FORCED_FAILOVER, "ops", "json test");
    assertThat(r.service("auth").orElseThrow().reason()).as("a FAILED service says which site serves: here none, the router refuses every redirect")
        .contains("(no site serves)").contains("the rollback failed too");
    String json = r.toJson();
    assertThat(json).contains("\"action\" : \"FORCED_FAILOVER\"").contains("\"measuredRpo\" : \"PT1M30S\"")
        .contains("\"outcome\" : \"BLOCKED\"").contains("router says no").contains("2026-11-24T01:00:00Z");
    RecoveryReport back = RecoveryReport.fromJson(json);
    assertThat(back).isEqualTo(r);
    assertThat(back.toJson()).isEqualTo(json);
    String tampered = json.replaceFirst("\\{", "{ \"bogus\" : 1,");
    assertThatThrownBy(() -> RecoveryReport.fromJson(tampered)).isInstanceOf(dev.drkit.core.DrException.class)
        .hasMessageContaining("bogus");
  }

  @Test
  void aDrillRecoversEveryServiceOnIsolatedTargetsAndLeavesProductionUntouched() throws Exception {
    Map<String, dev.drkit.core.spi.Versioned<dev.drkit.core.spi.ServiceState>> before = new java.util.HashMap<>();
    for (RecoveryConfig c : plan) {
      engine(c); // creates the production state
      before.put(c.name(), store.load(c.name()).orElseThrow());
    }
    List<String> isolatedLog = Collections.synchronizedList(new ArrayList<>());
    RecoveryReport r = RecoveryOrchestrator.builder(plan, this::engine).parallelism(2).clock(clock).eventBus(bus)
        .drillActions(c -> new FailoverActions() {
          @Override
          public void fence(String service, Site site, long epoch) throws Exception {
            if (service.equals("auth")) {
              throw new IOException("isolated auth target has no fencing agent");
            }
            isolatedLog.add(service + " fence " + site + "@" + epoch);
          }

          @Override
          public void promote(String service, Site site, long epoch) {
            isolatedLog.add(service + " promote " + site + "@" + epoch);
          }

          @Override
          public void redirect(String service, Site site, long epoch) {
            isolatedLog.add(service + " redirect " + site + "@" + epoch);
          }

          @Override
          public void resync(String service, Site target, Site source, long epoch) {
            isolatedLog.add(service + " resync " + target + "@" + epoch);
          }
        }).build().run(RecoveryAction.DRILL, "carol", "quarterly drill");
    assertThat(log).as("production actions never called").isEmpty();
    for (RecoveryConfig c : plan) {
      assertThat(store.load(c.name()).orElseThrow()).as("production state of %s", c.name())
          .isEqualTo(before.get(c.name()));
    }
    assertThat(r.service("db").orElseThrow().outcome()).isEqualTo(ServiceOutcome.RECOVERED);
    assertThat(r.service("db").orElseThrow().finalState()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(r.service("db").orElseThrow().events()).extracting(DrEvent::type).contains("drill.transition");
    assertThat(r.service("auth").orElseThrow().outcome()).isEqualTo(ServiceOutcome.FAILED);
    assertThat(r.service("auth").orElseThrow().reason()).contains("no fencing agent");
    assertThat(r.service("api").orElseThrow().outcome()).isEqualTo(ServiceOutcome.BLOCKED);
    assertThat(isolatedLog).contains("db fence PRIMARY@2", "db promote BACKUP@2", "cache redirect BACKUP@2");
    assertThat(RecoveryReport.fromJson(r.toJson())).isEqualTo(r);
  }

  @Test
  void aDrillWithoutIsolatedActionsIsRefused() {
    assertThatThrownBy(() -> orchestrator(1).run(RecoveryAction.DRILL, "carol", "x"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("drillActions");
  }

  @Test
  void invalidReportJsonIsAClearError() {
    assertThatThrownBy(() -> RecoveryReport.fromJson("{\"bogus\": 1}"))
        .isInstanceOf(dev.drkit.core.DrException.class).hasMessageContaining("action").hasMessageContaining("line 1");
    assertThatThrownBy(() -> RecoveryReport.fromJson("{\"action\": \"FAILOVER\"}"))
        .isInstanceOf(dev.drkit.core.DrException.class).hasMessageContaining("by");
    assertThatThrownBy(() -> RecoveryReport.fromJson("{\"action\": "))
        .isInstanceOf(dev.drkit.core.DrException.class).hasMessageContaining("not a valid recovery report");
  }

  @Test
  void aPlanWithACycleIsRejectedNamingIt() {
    List<RecoveryConfig> cyclic = List.of(svc("a", Priority.LOW, "b"), svc("b", Priority.LOW, "a"));
    assertThatThrownBy(() -> RecoveryOrchestrator.builder(cyclic, this::engine)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("a -> b -> a");
  }

  @Test
  void runEventsFrameTheRun() throws Exception {
    List<DrEvent> seen = Collections.synchronizedList(new ArrayList<>());
    bus.register(seen::add);
    orchestrator(2).run(RecoveryAction.SWITCHOVER, "ops", "maintenance");
    assertThat(seen.get(0).type()).isEqualTo("recovery.started");
    assertThat(seen.get(seen.size() - 1).type()).isEqualTo("recovery.finished");
    assertThat(seen.get(seen.size() - 1).attributes()).containsEntry("recovered", "5");
    assertThat(Set.copyOf(seen.stream().map(DrEvent::service).filter(s -> s != null).toList()))
        .containsExactlyInAnyOrder("db", "auth", "cache", "api", "web");
  }
}
