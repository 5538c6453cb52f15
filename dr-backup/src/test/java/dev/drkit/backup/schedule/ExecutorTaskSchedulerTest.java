package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.testkit.FakeClock;
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
  void aCancelledTaskLeavesNothingToRun() {
    java.util.concurrent.ScheduledThreadPoolExecutor pool = new java.util.concurrent.ScheduledThreadPoolExecutor(1);
    pool.setRemoveOnCancelPolicy(true);
    try {
      TaskScheduler s = TaskScheduler.of(pool, Clock.systemUTC());
      AtomicInteger runs = new AtomicInteger();
      TaskScheduler.ScheduledTask t = s.schedule(Clock.systemUTC().instant().plus(Duration.ofHours(1)), runs::incrementAndGet);
      assertThat(pool.getQueue()).hasSize(1);
      assertThat(t.cancel()).isTrue();
      assertThat(pool.getQueue()).isEmpty();
      assertThat(t.cancel()).isFalse();
      assertThat(runs).hasValue(0);
    } finally {
      pool.shutdownNow();
    }
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
