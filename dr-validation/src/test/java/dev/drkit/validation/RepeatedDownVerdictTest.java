package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import dev.drkit.testkit.InMemoryFailoverActions;
import dev.drkit.validation.testing.ManualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A DOWN verdict that lasts is reported again: a listener that could not act on the first report
 * (the RPO gate refused, the engine was busy) is told again while the site stays down. Found by the
 * soak: after an RPO refusal, the primary stayed DOWN and nothing ever failed over.
 */
class RepeatedDownVerdictTest {
  private final FakeClock time = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(time);
  private final AtomicBoolean up = new AtomicBoolean(true);
  private final HealthCheck scripted =
      ctx -> up.get() ? HealthResult.healthy("up") : HealthResult.unhealthy("connection refused");
  private final List<String> reports = new CopyOnWriteArrayList<>();
  private final List<DrEvent> events = new CopyOnWriteArrayList<>();

  private FailureDetector.Builder detector() {
    return FailureDetector.builder("orders", Site.PRIMARY, scripted, new ConsecutiveFailuresPolicy(3, 1))
        .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofSeconds(1))
        .eventBus(EventBus.of(events::add));
  }

  private FailureDetector listen(FailureDetector d) {
    d.addListener((service, site, previous, current, cause) -> reports.add(previous + "->" + current));
    return d;
  }

  private long repeatedEvents() {
    return events.stream().filter(e -> e.type().equals("detection.verdict.repeated")).count();
  }

  @Test
  void aLastingDownIsReportedAgainEveryPeriodAndNotSooner() {
    try (FailureDetector d = listen(detector().repeatDownEvery(Duration.ofSeconds(10)).build().start())) {
      scheduler.advance(0, TimeUnit.SECONDS);
      up.set(false);
      scheduler.advance(3, TimeUnit.SECONDS); // probes at 1, 2, 3 s fail: DOWN on the third
      assertThat(reports).containsExactly("HEALTHY->SUSPECT", "SUSPECT->DOWN");
      reports.clear();

      scheduler.advance(9, TimeUnit.SECONDS); // 12 s: nine more failed probes, 9 s since the report
      assertThat(reports).as("not due before the period").isEmpty();
      scheduler.advance(1, TimeUnit.SECONDS); // 13 s: 10 s since the first report
      assertThat(reports).containsExactly("DOWN->DOWN");
      scheduler.advance(10, TimeUnit.SECONDS);
      assertThat(reports).containsExactly("DOWN->DOWN", "DOWN->DOWN");
      assertThat(repeatedEvents()).isEqualTo(2);
      DrEvent last = events.stream().filter(e -> e.type().equals("detection.verdict.repeated")).reduce((a, b) -> b)
          .orElseThrow();
      assertThat(last.severity()).isEqualTo(DrEvent.Severity.ERROR);
      assertThat(last.attributes()).containsEntry("downFor", "PT20S");
      assertThat(last.message()).contains("still DOWN after PT20S", "connection refused");

      // back up, then down again: the period counts from the new first report
      up.set(true);
      scheduler.advance(1, TimeUnit.SECONDS);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.HEALTHY);
      up.set(false);
      scheduler.advance(3, TimeUnit.SECONDS);
      scheduler.advance(9, TimeUnit.SECONDS);
      assertThat(reports).endsWith("DOWN->HEALTHY", "HEALTHY->SUSPECT", "SUSPECT->DOWN");
      scheduler.advance(1, TimeUnit.SECONDS);
      assertThat(reports).endsWith("SUSPECT->DOWN", "DOWN->DOWN");
    }
  }

  @Test
  void zeroTurnsRepeatsOff() {
    try (FailureDetector d = listen(detector().repeatDownEvery(Duration.ZERO).build().start())) {
      scheduler.advance(0, TimeUnit.SECONDS);
      up.set(false);
      scheduler.advance(600, TimeUnit.SECONDS);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.DOWN);
      assertThat(reports).containsExactly("HEALTHY->SUSPECT", "SUSPECT->DOWN");
      assertThat(repeatedEvents()).isZero();
    }
    assertThatThrownBy(() -> detector().repeatDownEvery(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repeatDownEvery");
  }

  @Test
  void theDefaultRepeatsEverySixIntervals() {
    try (FailureDetector d = listen(detector().build().start())) {
      scheduler.advance(0, TimeUnit.SECONDS);
      up.set(false);
      scheduler.advance(3, TimeUnit.SECONDS);
      scheduler.advance(5, TimeUnit.SECONDS);
      assertThat(reports).containsExactly("HEALTHY->SUSPECT", "SUSPECT->DOWN");
      scheduler.advance(1, TimeUnit.SECONDS);
      assertThat(reports).containsExactly("HEALTHY->SUSPECT", "SUSPECT->DOWN", "DOWN->DOWN");
      assertThat(d.verdict()).isEqualTo(HealthVerdict.DOWN);
    }
  }

  /**
   * After a reset the next verdict is reported even when it is HEALTHY, so an engine that a DOWN
   * left degraded just before the reset (the soak: a repeated DOWN landing right after a failback,
   * the failover refused by damping, then the detector reset) hears that the primary is fine.
   */
  @Test
  void afterAResetTheNextVerdictIsReportedEvenWhenHealthySoADegradedEngineRecovers() throws Exception {
    try (FailoverEngine engine = FailoverEngine.builder(
            RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).build())
        .stateStore(new InMemoryStateStore()).actions(new InMemoryFailoverActions("orders", 1))
        .coordinator(new LocalCoordinator()).automaticFailover(false).retries(1, Duration.ZERO).build().start()) {
      assertThat(engine.awaitLeading(Duration.ofSeconds(60))).isTrue();
      try (FailureDetector d = listen(detector().build());
          EngineVerdictBridge bridge = EngineVerdictBridge.connect(d, engine, Runnable::run)) {
        d.start();
        scheduler.advance(0, TimeUnit.SECONDS);
        up.set(false);
        scheduler.advance(3, TimeUnit.SECONDS);
        assertThat(engine.state().state()).as("DOWN, failover refused (automatic failover off)")
            .isEqualTo(FailoverState.PRIMARY_DEGRADED);

        d.reset(); // the host forgets the history; the primary is fine again
        up.set(true);
        reports.clear();
        scheduler.advance(1, TimeUnit.SECONDS);
        assertThat(reports).containsExactly("HEALTHY->HEALTHY");
        assertThat(engine.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
        scheduler.advance(5, TimeUnit.SECONDS);
        assertThat(reports).as("only the first verdict after the reset is forced").containsExactly("HEALTHY->HEALTHY");
        assertThat(bridge.delivered()).isGreaterThanOrEqualTo(3);
      }
    }
  }

  /**
   * The soak's finding end to end: the engine's RPO gate refuses the first DOWN; once the estimated
   * loss is within the RPO, the repeated DOWN fails over. Without repeats the service would stay
   * degraded on a dead primary.
   */
  @Test
  void anEngineThatRefusedOnItsRpoGateFailsOverOnTheRepeatOnceTheEstimateAllowsIt() throws Exception {
    assertThat(failsOverAfterRefusal(Duration.ofSeconds(10))).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(failsOverAfterRefusal(Duration.ZERO)).as("without repeats nothing happens")
        .isEqualTo(FailoverState.PRIMARY_DEGRADED);
  }

  private FailoverState failsOverAfterRefusal(Duration repeat) throws InterruptedException {
    AtomicReference<Duration> estimate = new AtomicReference<>(Duration.ofMinutes(5));
    EventBus bus = new EventBus();
    List<String> refusals = new CopyOnWriteArrayList<>();
    bus.subscribe(e -> {
      if (e.type().endsWith(".refused") && "rpo".equals(e.attributes().get("gate"))) {
        refusals.add(e.message());
      }
    });
    InMemoryFailoverActions actions = new InMemoryFailoverActions("orders", 1);
    try (FailoverEngine engine = FailoverEngine.builder(
            RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).build())
        .stateStore(new InMemoryStateStore()).actions(actions).coordinator(new LocalCoordinator()).eventBus(bus)
        .dataLossEstimator((service, target) -> estimate.get()).retries(1, Duration.ZERO).build().start()) {
      assertThat(engine.awaitLeading(Duration.ofSeconds(60))).isTrue();
      try (FailureDetector d = detector().repeatDownEvery(repeat).build();
          EngineVerdictBridge bridge = EngineVerdictBridge.connect(d, engine, Runnable::run)) {
        d.start();
        scheduler.advance(0, TimeUnit.SECONDS);
        up.set(false);
        scheduler.advance(3, TimeUnit.SECONDS);
        assertThat(engine.state().state()).as("refused: 5 min of loss against a 1 min RPO")
            .isEqualTo(FailoverState.PRIMARY_DEGRADED);
        assertThat(refusals).anySatisfy(m -> assertThat(m).contains("exceeds the RPO"));
        estimate.set(Duration.ofSeconds(2)); // the backup caught up with what the primary shipped
        scheduler.advance(30, TimeUnit.SECONDS);
        assertThat(bridge.received()).isGreaterThanOrEqualTo(1);
        return engine.state().state();
      }
    }
  }
}
