package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.CheckResult;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.testing.ManualScheduler;
import java.util.concurrent.TimeUnit;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The validation gates of the failover engine (dr-core) run through the real {@link Validator} of this
 * module against real HTTP servers on loopback: a failing gate sends the service to FAILED with the
 * check results attached; a passing gate completes the phase.
 */
class ValidationGatesTest {
  private final Map<Site, HttpServer> servers = new EnumMap<>(Site.class);
  private final Map<Site, AtomicInteger> status = new EnumMap<>(Site.class);
  private final List<String> actions = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startSites() throws IOException {
    for (Site site : Site.values()) {
      AtomicInteger code = new AtomicInteger(200);
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/health", exchange -> {
        byte[] body = (site + " " + code.get()).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(code.get(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      servers.put(site, server);
      status.put(site, code);
    }
  }

  @AfterEach
  void stopSites() {
    servers.values().forEach(s -> s.stop(0));
  }

  private String url(Site site) {
    return "http://127.0.0.1:" + servers.get(site).getAddress().getPort() + "/health";
  }

  private CheckSpec healthSpec() {
    return CheckSpec.of("http", Map.of(
        "url", url(Site.PRIMARY),
        "expectedStatus", 200,
        "sites", Map.of("backup", Map.of("url", url(Site.BACKUP)))));
  }

  private FailoverEngine engine() throws InterruptedException {
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);
    CheckSpec health = healthSpec();
    RecoveryConfig config = RecoveryConfig.builder("orders")
        .rpo(Duration.ofMinutes(5))
        .rto(Duration.ofMinutes(10))
        .validation(new ValidationStep("healthy", List.of(health), 1.0, Duration.ofSeconds(5)))
        .build();
    FailoverActions recording = new FailoverActions() {
      @Override
      public void fence(String service, Site site, long epoch) {
        actions.add("fence " + site + "@" + epoch);
      }

      @Override
      public void promote(String service, Site site, long epoch) {
        actions.add("promote " + site + "@" + epoch);
      }

      @Override
      public void redirect(String service, Site site, long epoch) {
        actions.add("redirect " + site + "@" + epoch);
      }

      @Override
      public void resync(String service, Site target, Site source, long epoch) {
        actions.add("resync " + target + "<-" + source + "@" + epoch);
      }
    };
    Validator validator = Validator.builder(CheckRegistry.withBuiltIns())
        .runner(r -> r.retryPolicy(StepRunner.noRetries()))
        .build();
    return FailoverEngine.builder(config)
        .stateStore(new InMemoryStateStore())
        .coordinator(coordinator)
        .actions(recording)
        .validator(validator)
        .retries(1, Duration.ZERO)
        .build();
  }

  @Test
  void failoverPassesTheGateWhenTheBackupIsHealthy() throws InterruptedException {
    FailoverEngine engine = engine();
    ServiceState after = engine.failover("test", "site loss");

    assertThat(after.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(after.activeSite()).isEqualTo(Site.BACKUP);
    ValidationReport report = engine.lastValidation().orElseThrow();
    assertThat(report.site()).isEqualTo(Site.BACKUP);
    assertThat(report.passed()).isTrue();
    assertThat(report.steps().get(0).checks()).extracting(CheckResult::status).containsExactly(CheckResult.Status.PASSED);
    assertThat(actions).contains("promote BACKUP@2", "redirect BACKUP@2");
  }

  @Test
  void failingGateAfterFailoverSendsTheServiceToFailedWithTheResults() throws InterruptedException {
    status.get(Site.BACKUP).set(503);
    FailoverEngine engine = engine();
    ServiceState after = engine.failover("test", "site loss");

    assertThat(after.state()).isEqualTo(FailoverState.FAILED);
    ValidationReport report = engine.lastValidation().orElseThrow();
    assertThat(report.passed()).isFalse();
    assertThat(report.site()).isEqualTo(Site.BACKUP);
    CheckResult check = report.steps().get(0).checks().get(0);
    assertThat(check.status()).isEqualTo(CheckResult.Status.FAILED);
    assertThat(check.detail()).contains("503");
  }

  @Test
  void failbackIsRefusedWhileThePrimaryFailsItsValidation() throws InterruptedException {
    FailoverEngine engine = engine();
    assertThat(engine.failover("test", "site loss").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    status.get(Site.PRIMARY).set(500);

    ServiceState after = engine.failback("test", "primary repaired");

    assertThat(after.state()).isEqualTo(FailoverState.FAILED);
    ValidationReport report = engine.lastValidation().orElseThrow();
    assertThat(report.site()).isEqualTo(Site.PRIMARY);
    assertThat(report.passed()).isFalse();
    // traffic never went back to the unvalidated primary
    assertThat(actions).doesNotContain("redirect PRIMARY@3", "promote PRIMARY@3");
  }

  @Test
  void failbackCompletesOnceThePrimaryValidates() throws InterruptedException {
    FailoverEngine engine = engine();
    engine.failover("test", "site loss");

    ServiceState after = engine.failback("test", "primary repaired");

    assertThat(after.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(after.activeSite()).isEqualTo(Site.PRIMARY);
    assertThat(after.epoch()).isEqualTo(3);
    assertThat(engine.lastValidation().orElseThrow().site()).isEqualTo(Site.PRIMARY);
    assertThat(actions).contains("resync PRIMARY<-BACKUP@2", "promote PRIMARY@3", "redirect PRIMARY@3");
  }

  @Test
  void theFailureDetectorDrivesDegradationAndFailoverOfTheEngine() throws InterruptedException {
    FailoverEngine engine = engine();
    FakeClock time = new FakeClock();
    time.advance(Duration.ofNanos(1_000_000_000_000L)); // monotonic time starts far from zero
    ManualScheduler scheduler = new ManualScheduler(time);
    HealthCheck primaryHealth = CheckRegistry.withBuiltIns().create(healthSpec(), Site.PRIMARY);
    List<FailoverState> seen = new CopyOnWriteArrayList<>();
    try (FailureDetector detector = FailureDetector.builder("orders", Site.PRIMARY, primaryHealth,
            new ConsecutiveFailuresPolicy(3, 2))
        .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofMillis(200)).build()) {
      detector.addListener((service, site, previous, current, cause) -> seen.add(engine.onVerdict(current, "detector").state()));
      detector.start();
      scheduler.advance(1, TimeUnit.SECONDS);
      assertThat(engine.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);

      status.get(Site.PRIMARY).set(503);          // the primary starts failing its health endpoint
      scheduler.advance(200, TimeUnit.MILLISECONDS);
      assertThat(engine.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);
      scheduler.advance(1, TimeUnit.SECONDS);
    }
    assertThat(seen).containsExactly(FailoverState.PRIMARY_DEGRADED, FailoverState.BACKUP_ACTIVE);
    assertThat(engine.state().activeSite()).isEqualTo(Site.BACKUP);
    assertThat(engine.lastValidation().orElseThrow().passed()).isTrue();
  }
}
