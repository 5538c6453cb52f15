package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.CheckResult;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.testing.LoopbackHttp;
import dev.drkit.validation.testing.StartConfirmingExecutor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ValidatorTest {
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<DrEvent> events = new CopyOnWriteArrayList<>();
  private final CheckRegistry registry = CheckRegistry.withBuiltIns();
  private final Clock clock = Clock.fixed(Instant.parse("2026-11-24T00:00:00Z"), ZoneOffset.UTC);

  @AfterEach
  void release() {
    release.countDown();
  }

  private ServiceValidator validator(boolean failFast) {
    return Validator.builder(registry).clock(clock).eventBus(EventBus.of(events::add)).failFast(failFast)
        .runner(r -> r.retryPolicy(StepRunner.noRetries())).build();
  }

  @Test
  void runsTheStepsInOrderAgainstARealSiteAndReportsEveryCheck() throws Exception {
    try (LoopbackHttp site = new LoopbackHttp(ex -> LoopbackHttp.respond(ex, 200, "{\"status\":\"UP\"}"))) {
      List<String> order = new CopyOnWriteArrayList<>();
      registry.registerCheck("warm-cache", ctx -> {
        order.add("warm-cache@" + ctx.site() + "#" + ctx.epoch());
        return HealthResult.healthy("warm");
      });
      RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5))
          // generous timeouts: they only bound a hang (a loaded machine can be slow to open an HTTP client)
          .validation(ValidationStep.allOf("reachable", Duration.ofSeconds(60),
              CheckSpec.of("tcp", Map.of("host", "127.0.0.1", "port", site.port())),
              CheckSpec.of("http", Map.of("url", site.url("/health").toString(), "bodyContains", "UP"))))
          .validation(ValidationStep.allOf("warm", Duration.ofSeconds(60), CheckSpec.of("warm-cache")))
          .build();
      ValidationReport report = validator(false).validate(config, Site.BACKUP, 9);
      assertThat(report.passed()).isTrue();
      assertThat(report.service()).isEqualTo("orders");
      assertThat(report.site()).isEqualTo(Site.BACKUP);
      assertThat(report.epoch()).isEqualTo(9);
      assertThat(report.started()).isEqualTo(clock.instant());
      assertThat(report.steps()).extracting(StepResult::name).containsExactly("reachable", "warm");
      assertThat(report.steps().get(0).checks()).extracting(CheckResult::name)
          .containsExactly("tcp 127.0.0.1:" + site.port(), "http " + site.url("/health"));
      assertThat(order).containsExactly("warm-cache@BACKUP#9");
      assertThat(events).extracting(DrEvent::type).containsExactly("validation.check.passed",
          "validation.check.passed", "validation.step.passed", "validation.check.passed", "validation.step.passed",
          "validation.passed");
    }
  }

  @Test
  @Timeout(120) // a validator that waited for the hung checks would never return: fail instead of hanging
  void failingGateStillRunsEveryStepAndDoesNotWaitForHungChecks() throws Exception {
    AtomicInteger hanging = new AtomicInteger();
    registry.registerCheck("hang", ctx -> {
      hanging.incrementAndGet();
      try {
        while (release.getCount() > 0) {
          try {
            release.await();
          } catch (InterruptedException e) {
            // ignores interruption, as a stuck driver call does
          }
        }
      } finally {
        hanging.decrementAndGet();
      }
      return HealthResult.healthy("never in time");
    });
    registry.registerCheck("ok", ctx -> HealthResult.healthy("fine"));
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5))
        .validation(ValidationStep.allOf("db", Duration.ofMillis(200), CheckSpec.of("hang"), CheckSpec.of("ok")))
        .validation(ValidationStep.allOf("api", Duration.ofMillis(200), CheckSpec.of("hang")))
        .validation(ValidationStep.allOf("smoke", Duration.ofMillis(200), CheckSpec.of("ok")))
        .build();
    // each check has begun running before its step starts counting the timeout
    ServiceValidator validator = Validator.builder(registry).clock(clock).eventBus(EventBus.of(events::add))
        .runner(r -> r.retryPolicy(StepRunner.noRetries()).executor(new StartConfirmingExecutor())).build();
    ValidationReport report = validator.validate(config, Site.BACKUP, 2);
    // both hung checks were cut off at their step's timeout and are still hanging: the report came
    // back without waiting for them (release is only counted down after the test)
    assertThat(hanging).hasValue(2);
    assertThat(report.steps().get(1).checks()).extracting(CheckResult::duration)
        .containsExactly(Duration.ofMillis(200));
    assertThat(report.passed()).isFalse();
    assertThat(report.steps()).extracting(StepResult::passed).containsExactly(false, false, true);
    assertThat(report.steps().get(0).checks().get(0).status()).isEqualTo(CheckResult.Status.TIMED_OUT);
    DrEvent last = events.get(events.size() - 1);
    assertThat(last.type()).isEqualTo("validation.failed");
    assertThat(last.severity()).isEqualTo(DrEvent.Severity.ERROR);
    assertThat(last.attributes()).containsEntry("passedSteps", "1");
  }

  @Test
  void failFastStopsAtTheFirstFailedStep() throws Exception {
    registry.registerCheck("bad", ctx -> HealthResult.unhealthy("no"));
    registry.registerCheck("ok", ctx -> HealthResult.healthy("fine"));
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5))
        .validation(ValidationStep.allOf("first", Duration.ofSeconds(1), CheckSpec.of("bad")))
        .validation(ValidationStep.allOf("second", Duration.ofSeconds(1), CheckSpec.of("ok")))
        .build();
    ValidationReport report = validator(true).validate(config, Site.PRIMARY, 3);
    assertThat(report.passed()).isFalse();
    assertThat(report.steps()).extracting(StepResult::name).containsExactly("first");
  }

  @Test
  void serviceWithoutStepsPasses() throws Exception {
    RecoveryConfig config = RecoveryConfig.builder("cache").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).build();
    assertThat(validator(false).validate(config, Site.BACKUP, 1).passed()).isTrue();
  }

  @Test
  void interruptedValidationThrowsInterruptedException() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    registry.registerCheck("wait", ctx -> {
      started.countDown();
      release.await();
      return HealthResult.healthy("done");
    });
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5))
        .validation(ValidationStep.allOf("slow", Duration.ofMinutes(1), CheckSpec.of("wait"))).build();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        validator(false).validate(config, Site.BACKUP, 1);
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    t.start();
    assertThat(started.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    t.interrupt();
    t.join(5_000);
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
  }
}
