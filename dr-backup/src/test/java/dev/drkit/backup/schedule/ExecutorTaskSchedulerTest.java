package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExecutorTaskSchedulerTest {
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void shutdown() {
    executor.shutdownNow();
  }

  @Test
  void runsATaskWhenItsInstantComesOnTheClock() throws InterruptedException {
    TaskScheduler s = TaskScheduler.of(executor, Clock.systemUTC());
    CountDownLatch ran = new CountDownLatch(1);
    s.schedule(Clock.systemUTC().instant().plusMillis(20), ran::countDown);
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancelledTaskNeverRuns() throws InterruptedException {
    TaskScheduler s = TaskScheduler.of(executor, Clock.systemUTC());
    AtomicInteger runs = new AtomicInteger();
    TaskScheduler.ScheduledTask t = s.schedule(Clock.systemUTC().instant().plusMillis(50), runs::incrementAndGet);
    assertThat(t.cancel()).isTrue();
    CountDownLatch later = new CountDownLatch(1);
    s.schedule(Clock.systemUTC().instant().plusMillis(100), later::countDown);
    assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(runs).hasValue(0);
    assertThat(t.cancel()).isFalse();
  }

  @Test
  void aTaskWhoseInstantHasPassedOnTheClockRunsAtOnce() throws InterruptedException {
    FakeClock clock = new FakeClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
    TaskScheduler s = TaskScheduler.of(executor, clock);
    CountDownLatch ran = new CountDownLatch(1);
    s.schedule(clock.instant().minus(Duration.ofSeconds(5)), ran::countDown);
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
