package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.core.CheckResult;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.EventBus;
import dev.drkit.core.StepResult;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.testing.ForwardingExecutorService;
import dev.drkit.validation.testing.StartConfirmingExecutor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StepRunnerTest {
  private final CheckRegistry registry = CheckRegistry.withBuiltIns();
  private final List<DrEvent> events = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final StepRunner runner = StepRunner.builder(registry).retryPolicy(StepRunner.noRetries())
      .eventBus(EventBus.of(events::add)).build();

  @AfterEach
  void releaseHungChecks() {
    release.countDown();
  }

  private static ValidationStep step(double threshold, Duration timeout, String... types) {
    List<CheckSpec> specs = new ArrayList<>();
    for (String t : types) {
      specs.add(CheckSpec.of(t));
    }
    return new ValidationStep("step", specs, threshold, timeout);
  }

  @Test
  void passesWhenEveryCheckPasses() throws Exception {
    registry.registerCheck("ok", ctx -> HealthResult.healthy("fine").with("k", 1));
    StepResult r = runner.run("svc", Site.BACKUP, 3, step(1.0, Duration.ofSeconds(5), "ok", "ok"));
    assertThat(r.passed()).isTrue();
    assertThat(r.passedFraction()).isEqualTo(1.0);
    assertThat(r.checks()).extracting(CheckResult::status).containsOnly(CheckResult.Status.PASSED);
    assertThat(r.checks().get(0).data()).containsEntry("k", 1).containsEntry("attempts", 1);
    assertThat(events).extracting(DrEvent::type).containsExactly("validation.check.passed",
        "validation.check.passed", "validation.step.passed");
    assertThat(events.get(0).attributes()).containsEntry("check", "ok").containsEntry("status", "PASSED")
        .containsKey("durationMs");
  }

  @Test
  void passesWhenTheFractionOfPassingChecksReachesTheThreshold() throws Exception {
    registry.registerCheck("ok", ctx -> HealthResult.healthy("fine"));
    registry.registerCheck("bad", ctx -> HealthResult.unhealthy("broken"));
    StepResult twoOfThree = runner.run("svc", Site.BACKUP, 1, step(0.66, Duration.ofSeconds(5), "ok", "ok", "bad"));
    assertThat(twoOfThree.passed()).isTrue();
    assertThat(twoOfThree.passedFraction()).isEqualTo(2.0 / 3);
    StepResult exactly = runner.run("svc", Site.BACKUP, 1, step(2.0 / 3, Duration.ofSeconds(5), "ok", "ok", "bad"));
    assertThat(exactly.passed()).isTrue();
    StepResult notEnough = runner.run("svc", Site.BACKUP, 1, step(0.7, Duration.ofSeconds(5), "ok", "ok", "bad"));
    assertThat(notEnough.passed()).isFalse();
    assertThat(notEnough.checks().get(2).status()).isEqualTo(CheckResult.Status.FAILED);
    assertThat(notEnough.checks().get(2).detail()).isEqualTo("broken");
    assertThat(events).extracting(DrEvent::type).contains("validation.check.failed", "validation.step.failed");
  }

  @Test
  void throwingCheckIsAnErrorCarryingTheExceptionsMessage() throws Exception {
    registry.registerCheck("boom", ctx -> {
      throw new IOException("disk on fire");
    });
    registry.registerCheck("npe", ctx -> {
      throw new IllegalStateException();
    });
    StepResult r = runner.run("svc", Site.PRIMARY, 1, step(1.0, Duration.ofSeconds(5), "boom", "npe"));
    assertThat(r.passed()).isFalse();
    CheckResult boom = r.checks().get(0);
    assertThat(boom.status()).isEqualTo(CheckResult.Status.ERROR);
    assertThat(boom.error()).isEqualTo("disk on fire");
    assertThat(boom.detail()).contains("IOException").contains("disk on fire");
    assertThat(r.checks().get(1).error()).isEqualTo(IllegalStateException.class.getName());
  }

  @Test
  void nullReturningCheckIsAFailureNotACrash() throws Exception {
    registry.registerCheck("nothing", ctx -> null);
    StepResult r = runner.run("svc", Site.PRIMARY, 1, step(1.0, Duration.ofSeconds(5), "nothing"));
    assertThat(r.checks().get(0).status()).isEqualTo(CheckResult.Status.FAILED);
    assertThat(r.checks().get(0).detail()).contains("null");
    assertThat(r.checks().get(0).error()).isNull();
  }

  @Test
  @Timeout(120) // a runner that waited for the hung check would never return: fail instead of hanging the build
  void hangingCheckThatIgnoresInterruptionIsCutOffAtTheTimeout() throws Exception {
    AtomicInteger interrupts = new AtomicInteger();
    AtomicBoolean hanging = new AtomicBoolean();
    registry.registerCheck("hang", ctx -> {
      hanging.set(true);
      try {
        while (true) {
          try {
            if (release.await(10, TimeUnit.SECONDS)) {
              return HealthResult.healthy("released");
            }
          } catch (InterruptedException e) {
            interrupts.incrementAndGet(); // ignores it and keeps hanging
          }
        }
      } finally {
        hanging.set(false);
      }
    });
    registry.registerCheck("ok", ctx -> HealthResult.healthy("fine"));
    // each check has begun running before the runner starts counting its timeout
    StepRunner confirming = StepRunner.builder(registry).retryPolicy(StepRunner.noRetries())
        .executor(new StartConfirmingExecutor()).build();
    long t0 = System.nanoTime();
    StepResult r = confirming.run("svc", Site.BACKUP, 1, step(0.5, Duration.ofMillis(300), "hang", "ok"));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    // the run returned while the check still hangs (release is only counted down after the test):
    // the runner did not wait for it. A lower bound on time cannot flake: it never cuts off early.
    assertThat(hanging).as("the cut-off check is still hanging").isTrue();
    assertThat(tookMs).isGreaterThanOrEqualTo(300);
    assertThat(r.passed()).isTrue();
    CheckResult hung = r.checks().get(0);
    assertThat(hung.status()).isEqualTo(CheckResult.Status.TIMED_OUT);
    assertThat(hung.duration()).isEqualTo(Duration.ofMillis(300));
    assertThat(hung.detail()).contains("300 ms");
    assertThat(r.checks().get(1).status()).isEqualTo(CheckResult.Status.PASSED);
    await("the cut-off check was interrupted").atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(interrupts.get()).isPositive());
  }

  @Test
  void runsChecksConcurrently() throws Exception {
    // every check waits until all twenty are running at once: a runner that ran them one after
    // another would leave the first one waiting until it gives up, and the step would fail
    int n = 20;
    CountDownLatch allRunning = new CountDownLatch(n);
    registry.registerCheck("together", ctx -> {
      allRunning.countDown();
      return allRunning.await(30, TimeUnit.SECONDS) ? HealthResult.healthy("ran beside the others")
          : HealthResult.unhealthy("only " + (n - allRunning.getCount()) + " of " + n + " checks ran at once");
    });
    String[] twenty = new String[n];
    java.util.Arrays.fill(twenty, "together");
    StepResult r = runner.run("svc", Site.BACKUP, 1, step(1.0, Duration.ofSeconds(60), twenty));
    assertThat(r.checks()).extracting(CheckResult::detail).containsOnly("ran beside the others");
    assertThat(r.passed()).isTrue();
  }

  @Test
  void retriesAFlakyCheckPerTheRetryPolicy() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    registry.registerCheck("flaky", ctx -> calls.incrementAndGet() < 3 ? HealthResult.unhealthy("warming up")
        : HealthResult.healthy("warm"));
    StepRunner retrying = StepRunner.builder(registry)
        .retryPolicy(StepRunner.retryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(1))).build();
    StepResult r = retrying.run("svc", Site.BACKUP, 1, step(1.0, Duration.ofSeconds(5), "flaky"));
    assertThat(r.passed()).isTrue();
    assertThat(r.checks().get(0).data()).containsEntry("attempts", 3);
    assertThat(calls).hasValue(3);
  }

  @Test
  void exhaustedRetriesReportTheLastFailure() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    registry.registerCheck("down", ctx -> {
      throw new IOException("refused #" + calls.incrementAndGet());
    });
    StepRunner retrying = StepRunner.builder(registry)
        .retryPolicy(StepRunner.retryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(1))).build();
    CheckResult c = retrying.run("svc", Site.BACKUP, 1, step(1.0, Duration.ofSeconds(5), "down")).checks().get(0);
    assertThat(c.status()).isEqualTo(CheckResult.Status.ERROR);
    assertThat(c.error()).isEqualTo("refused #3");
    assertThat(c.data()).containsEntry("attempts", 3);
  }

  @Test
  void timedOutCheckReportsItsLastAttempt() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    registry.registerCheck("stuck", ctx -> {
      if (calls.incrementAndGet() == 1) {
        return HealthResult.unhealthy("503 on first try");
      }
      release.await();
      return HealthResult.healthy("late");
    });
    StepRunner retrying = StepRunner.builder(registry)
        .retryPolicy(StepRunner.retryPolicy(5, Duration.ofMillis(1), Duration.ofMillis(1))).build();
    CheckResult c = retrying.run("svc", Site.BACKUP, 1, step(1.0, Duration.ofMillis(200), "stuck")).checks().get(0);
    assertThat(c.status()).isEqualTo(CheckResult.Status.TIMED_OUT);
    assertThat(c.detail()).contains("503 on first try");
  }

  @Test
  void checkThatCannotBeBuiltIsAnErrorNamingTheField() throws Exception {
    ValidationStep s = new ValidationStep("net", List.of(CheckSpec.of("tcp", Map.of("host", "127.0.0.1")),
        CheckSpec.of("nosuch")), 0.5, Duration.ofSeconds(1));
    StepResult r = runner.run("svc", Site.BACKUP, 1, s);
    assertThat(r.passed()).isFalse();
    assertThat(r.checks()).extracting(CheckResult::status).containsOnly(CheckResult.Status.ERROR);
    assertThat(r.checks().get(0).error()).contains("params.port");
    assertThat(r.checks().get(1).error()).contains("type").contains("nosuch");
  }

  @Test
  void interruptionPropagatesAndInterruptsTheChecks() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch checkInterrupted = new CountDownLatch(1);
    registry.registerCheck("wait", ctx -> {
      started.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        checkInterrupted.countDown();
        throw e;
      }
      return HealthResult.healthy("done");
    });
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        runner.run("svc", Site.BACKUP, 1, step(1.0, Duration.ofSeconds(30), "wait"));
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    caller.start();
    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
    caller.interrupt();
    await("the interrupted caller returns").atMost(Duration.ofSeconds(60)).until(() -> !caller.isAlive());
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertThat(checkInterrupted.await(60, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void checksNotStartedBeforeTheDeadlineAreTimedOutWithoutRunning() throws Exception {
    // a cold pool on a busy machine: starting each check's thread costs 60 ms of (fake) time
    AtomicLong fakeNanos = new AtomicLong();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
    java.util.concurrent.ExecutorService slowToStart = new ForwardingExecutorService(pool) {
      @Override
      public void execute(Runnable command) {
        fakeNanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(60));
        delegate.execute(command);
      }
    };
    AtomicInteger started = new AtomicInteger();
    registry.registerCheck("hang", ctx -> {
      started.incrementAndGet();
      release.await();
      return HealthResult.healthy("late");
    });
    StepRunner cold = StepRunner.builder(registry).executor(slowToStart).nanoTime(fakeNanos::get)
        .retryPolicy(StepRunner.noRetries()).build();
    try {
      StepResult r = cold.run("svc", Site.BACKUP, 1, step(1.0, Duration.ofMillis(200), "hang", "hang", "hang", "hang",
          "hang", "hang"));
      assertThat(r.checks()).extracting(CheckResult::status).containsOnly(CheckResult.Status.TIMED_OUT);
      assertThat(r.checks().subList(0, 4)).allMatch(c -> c.detail().startsWith("cut off"));
      assertThat(r.checks().subList(4, 6)).allMatch(c -> c.detail().startsWith("not started"));
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void rejectsNegativeRetries() {
    assertThatThrownBy(() -> StepRunner.retryPolicy(-1, Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRetries");
  }
}
