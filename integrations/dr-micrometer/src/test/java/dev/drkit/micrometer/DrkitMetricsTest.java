package dev.drkit.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.InMemoryBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.PhaseRecord;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.replication.LagBounds;
import dev.drkit.replication.LagTracker;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.StepRunner;
import dev.drkit.validation.Validator;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real engine fails a service over and back (in-memory state store, LocalCoordinator, scripted
 * actions that take a known time on a fake clock, dr-validation running a registered check), a real
 * repository backs up, and a real lag tracker lags, while the binder feeds a real SimpleMeterRegistry.
 */
class DrkitMetricsTest {
  /** Each action takes a scripted time on the fake clock and succeeds. */
  static final class ScriptedSites implements FailoverActions {
    final FakeClock clock;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, Duration> takes = Map.of("fence", Duration.ofSeconds(2), "promote", Duration.ofSeconds(3),
        "redirect", Duration.ofSeconds(1), "resync", Duration.ofSeconds(20));

    ScriptedSites(FakeClock clock) {
      this.clock = clock;
    }

    private void act(String what, Site site, long epoch) {
      clock.advance(takes.get(what));
      calls.add(what + " " + site + " @" + epoch);
    }

    @Override
    public void fence(String service, Site site, long epoch) {
      act("fence", site, epoch);
    }

    @Override
    public void promote(String service, Site site, long epoch) {
      act("promote", site, epoch);
    }

    @Override
    public void redirect(String service, Site site, long epoch) {
      act("redirect", site, epoch);
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) {
      act("resync", target, epoch);
    }
  }

  private final FakeClock clock = new FakeClock(Instant.parse("2026-06-01T12:00:00Z"));
  private final EventBus bus = new EventBus();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  private Timer timer(String name, String... tags) {
    return registry.get(name).tags(tags).timer();
  }

  @Test
  void aFailoverAndFailbackShowUpInTheMeters() throws Exception {
    CheckRegistry checks = CheckRegistry.withBuiltIns().registerCheck("orders-ready", ctx -> {
      clock.advance(Duration.ofMillis(250));
      return HealthResult.healthy("ready on " + ctx.site());
    });
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
        .validation(ValidationStep.allOf("ready", Duration.ofMinutes(1), CheckSpec.of("orders-ready"))).build();
    Validator validator = Validator.builder(checks).clock(clock).nanoTime(clock::nanoTime).eventBus(bus)
        .runner(r -> r.clock(clock).nanoTime(clock::nanoTime).retryPolicy(StepRunner.noRetries()).eventBus(bus)).build();
    LagTracker lag = new LagTracker("orders", Site.BACKUP, clock, bus, LagBounds.unbounded());
    ScriptedSites sites = new ScriptedSites(clock);
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);

    DrkitMetrics metrics = DrkitMetrics.of(bus, Tags.of("app", "shop"));
    metrics.bindTo(registry);
    FailoverEngine engine = FailoverEngine.builder(config).stateStore(new InMemoryStateStore()).actions(sites)
        .coordinator(coordinator).validator(validator).dataLossEstimator(lag).eventBus(bus).clock(clock)
        .nanoTime(clock::nanoTime).sleeper(clock::advance).build();
    metrics.engine(engine).replicationLag("orders", lag).rpoEstimate("orders", Site.BACKUP, lag);

    // before: primary active, objectives and lag as configured
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "PRIMARY_ACTIVE", "app", "shop")).isEqualTo(1);
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "BACKUP_ACTIVE")).isZero();
    assertThat(registry.get("drkit.rpo.objective").tags("service", "orders").timeGauge().value(TimeUnit.MINUTES))
        .isEqualTo(5);
    lag.committed(0, 100, clock.millis());
    lag.committed(1, 150, clock.millis());
    clock.advance(Duration.ofMillis(1500));
    assertThat(gauge("drkit.replication.lag.records", "service", "orders")).isEqualTo(2);
    assertThat(gauge("drkit.replication.lag.bytes", "service", "orders")).isEqualTo(250);
    assertThat(registry.get("drkit.replication.lag.time").tags("service", "orders").timeGauge()
        .value(TimeUnit.MILLISECONDS)).isEqualTo(1500);
    assertThat(registry.get("drkit.rpo.estimate").tags("service", "orders", "site", "backup").timeGauge()
        .value(TimeUnit.MILLISECONDS)).isEqualTo(1500);
    lag.acknowledged(1);
    assertThat(gauge("drkit.replication.lag.records", "service", "orders")).isZero();

    engine.failover("ops", "primary site lost");

    assertThat(sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2");
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "BACKUP_ACTIVE")).isEqualTo(1);
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "PRIMARY_ACTIVE")).isZero();
    assertThat(gauge("drkit.service.epoch", "service", "orders")).isEqualTo(2);
    assertThat(registry.get("drkit.failover.transitions").tags("service", "orders", "from", "FAILING_OVER",
        "to", "VALIDATING").counter().count()).isEqualTo(1);
    Timer failingOver = timer("drkit.failover.phase.duration", "service", "orders", "phase", "FAILING_OVER",
        "outcome", "VALIDATING", "app", "shop");
    assertThat(failingOver.count()).isEqualTo(1);
    assertThat(failingOver.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(6000);
    Timer validating = timer("drkit.failover.phase.duration", "service", "orders", "phase", "VALIDATING",
        "outcome", "BACKUP_ACTIVE");
    assertThat(validating.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
    Timer check = timer("drkit.validation.check.duration", "service", "orders", "step", "ready",
        "check", "orders-ready", "site", "backup", "status", "PASSED");
    assertThat(check.count()).isEqualTo(1);
    assertThat(check.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
    assertThat(timer("drkit.validation.step.duration", "service", "orders", "step", "ready", "site", "backup",
        "result", "passed").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);

    engine.failback("ops", "primary repaired");

    assertThat(engine.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "PRIMARY_ACTIVE")).isEqualTo(1);
    assertThat(gauge("drkit.service.epoch", "service", "orders")).isEqualTo(engine.state().epoch());
    PhaseRecord failback = engine.phaseHistory().stream().filter(p -> p.phase() == FailoverState.FAILING_BACK)
        .findFirst().orElseThrow();
    assertThat(failback.duration()).isGreaterThanOrEqualTo(Duration.ofSeconds(20)); // the scripted resync
    assertThat(registry.find("drkit.failover.phase.duration").tags("service", "orders", "phase", "FAILING_BACK")
        .timers()).singleElement().satisfies(t -> {
          assertThat(t.count()).isEqualTo(1);
          assertThat(t.totalTime(TimeUnit.MILLISECONDS)).isEqualTo((double) failback.duration().toMillis());
        });
    assertThat(registry.get("drkit.failover.transitions").tags("service", "orders").counters())
        .allSatisfy(c -> assertThat(c.getId().getTag("app")).isEqualTo("shop"));
    metrics.close();
  }

  @Test
  void aBackupShowsItsSizeDurationAndLastSuccess(@TempDir Path tmp) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.write(src.resolve("a.bin"), new byte[12_345]);
    DrkitMetrics metrics = DrkitMetrics.of(bus);
    metrics.bindTo(registry);
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null,
        RepositoryOptions.builder().clock(clock).eventBus(bus).build())) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      String id = repo.id().substring(0, 8);
      assertThat(registry.get("drkit.backup.size").tags("repository", id, "type", "full").summary().totalAmount())
          .isEqualTo(12_345);
      assertThat(registry.get("drkit.backup.stored").tags("repository", id).summary().count()).isEqualTo(1);
      assertThat(registry.get("drkit.backup.duration").tags("repository", id).timer().count()).isEqualTo(1);
      assertThat(gauge("drkit.backup.last.success", "repository", id))
          .isCloseTo(clock.instant().toEpochMilli() / 1000.0, within(0.001));
    }
    metrics.close();
  }

  @Test
  void aRegistryBoundLaterGetsTheGaugesAndAClosedBinderStopsCounting() {
    DrkitMetrics metrics = DrkitMetrics.of(bus);
    LagTracker lag = new LagTracker("orders", Site.BACKUP, clock, bus, LagBounds.ofAge(Duration.ofSeconds(1)));
    metrics.replicationLag("orders", lag);
    SimpleMeterRegistry late = new SimpleMeterRegistry();
    metrics.bindTo(late);
    lag.committed(0, 10, clock.millis());
    clock.advance(Duration.ofSeconds(5));
    lag.check();
    assertThat(late.get("drkit.replication.lag.records").tags("service", "orders").gauge().value()).isEqualTo(1);
    assertThat(late.get("drkit.replication.lag.exceeded").tags("service", "orders").counter().count()).isEqualTo(1);
    metrics.close();
    lag.acknowledged(0);
    lag.committed(1, 10, clock.millis());
    clock.advance(Duration.ofSeconds(5));
    lag.check();
    assertThat(late.get("drkit.replication.lag.exceeded").tags("service", "orders").counter().count()).isEqualTo(1);
  }
}
