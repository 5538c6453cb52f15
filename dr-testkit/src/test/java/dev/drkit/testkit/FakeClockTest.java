package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FakeClockTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void movesOnlyWhenAdvanced() {
    FakeClock clock = new FakeClock(T0);
    assertThat(clock.instant()).isEqualTo(T0);
    assertThat(clock.nanoTime()).isZero();
    clock.advance(Duration.ofMillis(1500));
    assertThat(clock.instant()).isEqualTo(T0.plusMillis(1500));
    assertThat(clock.millis()).isEqualTo(T0.toEpochMilli() + 1500);
    assertThat(clock.nanoTime()).isEqualTo(1_500_000_000L);
    assertThat(new FakeClock().instant()).isEqualTo(FakeClock.DEFAULT_START);
  }

  @Test
  void setJumpsTheWallClockOnlyAndMayGoBack() {
    FakeClock clock = new FakeClock(T0);
    clock.advance(Duration.ofSeconds(5));
    clock.set(T0.minusSeconds(60));
    assertThat(clock.instant()).isEqualTo(T0.minusSeconds(60));
    assertThat(clock.nanoTime()).as("monotonic reading ignores wall-clock jumps").isEqualTo(5_000_000_000L);
    clock.advance(Duration.ofSeconds(1));
    assertThat(clock.instant()).isEqualTo(T0.minusSeconds(59));
  }

  @Test
  void refusesToGoBackwards() {
    FakeClock clock = new FakeClock(T0);
    assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-0.001");
    assertThatThrownBy(() -> clock.schedule(Duration.ofMillis(-1), () -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delay");
    assertThat(clock.instant()).isEqualTo(T0);
  }

  @Test
  void zoneViewsShareTheTime() {
    FakeClock clock = new FakeClock(T0);
    FakeClock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    clock.advance(Duration.ofMinutes(3));
    assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    assertThat(paris.instant()).isEqualTo(T0.plusSeconds(180));
    paris.advance(Duration.ofMinutes(1));
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(240));
  }

  @Test
  void runsDueTasksInOrderAtTheirDueTimeIncludingTasksTheyScheduleAndSkipsCancelledOnes() {
    FakeClock clock = new FakeClock(T0);
    List<String> ran = new ArrayList<>();
    clock.schedule(Duration.ofSeconds(30), () -> ran.add("30s@" + clock.instant()));
    clock.schedule(Duration.ofSeconds(10), () -> {
      ran.add("10s@" + clock.instant());
      clock.schedule(Duration.ofSeconds(5), () -> ran.add("15s@" + clock.instant()));
    });
    FakeClock.Scheduled cancelled = clock.schedule(Duration.ofSeconds(20), () -> ran.add("cancelled"));
    clock.schedule(Duration.ofSeconds(90), () -> ran.add("90s"));
    cancelled.cancel();
    clock.advance(Duration.ofSeconds(60));
    assertThat(ran).containsExactly("10s@" + T0.plusSeconds(10), "15s@" + T0.plusSeconds(15), "30s@" + T0.plusSeconds(30));
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(60));
    assertThat(clock.pending()).hasSize(1).first().extracting(FakeClock.Scheduled::dueNanoTime)
        .isEqualTo(90_000_000_000L);
    clock.sleep(Duration.ofSeconds(30));
    assertThat(ran).endsWith("90s");
    assertThat(clock.pending()).isEmpty();
  }

  @Test
  void concurrentAdvancesAreNotLost() throws Exception {
    FakeClock clock = new FakeClock(T0);
    int threads = 4;
    int each = 10_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < each; i++) {
            clock.advance(Duration.ofNanos(1));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(clock.nanoTime()).isEqualTo((long) threads * each);
    assertThat(clock.instant()).isEqualTo(T0.plusNanos((long) threads * each));
  }
}
