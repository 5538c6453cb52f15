package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.core.EventBus;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.checks.TcpCheck;
import dev.drkit.validation.testing.ManualScheduler;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FailureDetectorTest {
  // monotonic time starts far from zero, as System.nanoTime() does
  private final FakeClock time = advanced(new FakeClock(), Duration.ofNanos(1_000_000_000_000L));
  private final ManualScheduler scheduler = new ManualScheduler(time);
  private final List<HealthVerdict> verdicts = new CopyOnWriteArrayList<>();
  private final List<DrEvent> events = new CopyOnWriteArrayList<>();
  private final AtomicBoolean up = new AtomicBoolean(true);
  private final AtomicInteger probes = new AtomicInteger();
  private final HealthCheck scripted = ctx -> {
    probes.incrementAndGet();
    return up.get() ? HealthResult.healthy("up") : HealthResult.unhealthy("connection refused");
  };

  /** A wall clock that can jump. */

  private FailureDetector detector(HealthCheck check, Clock clock) {
    FailureDetector d = FailureDetector.builder("orders", Site.PRIMARY, check,
            FailureRateWindowPolicy.builder().window(Duration.ofSeconds(30)).minSamples(6).failureRate(0.6).build())
        .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofSeconds(5)).clock(clock)
        .eventBus(EventBus.of(events::add)).epoch(() -> 4).build();
    d.addListener((service, site, previous, current, cause) -> {
      if (previous != current) { // changes only; a lasting DOWN is also repeated (RepeatedDownVerdictTest)
        verdicts.add(current);
      }
    });
    return d;
  }

  private FailureDetector detector() {
    return detector(scripted, Clock.systemUTC());
  }

  @Test
  void probesOnTheIntervalOfTheInjectedScheduler() {
    try (FailureDetector d = detector().start()) {
      assertThat(probes).hasValue(0);
      scheduler.advance(0, TimeUnit.SECONDS);
      assertThat(probes).hasValue(1);
      scheduler.advance(60, TimeUnit.SECONDS);
      assertThat(probes).hasValue(13);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.HEALTHY);
      assertThatThrownBy(d::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void noFailoverOnASingleBlip() {
    try (FailureDetector d = detector().start()) {
      scheduler.advance(60, TimeUnit.SECONDS);
      up.set(false);
      scheduler.advance(5, TimeUnit.SECONDS);
      up.set(true);
      scheduler.advance(120, TimeUnit.SECONDS);
      assertThat(verdicts).containsExactly(HealthVerdict.SUSPECT, HealthVerdict.HEALTHY);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.HEALTHY);
    }
  }

  @Test
  void failsOverAfterTheConfiguredWindow() {
    try (FailureDetector d = detector().start()) {
      scheduler.advance(30, TimeUnit.SECONDS);
      up.set(false);
      long downSince = time.nanoTime();
      AtomicLong declaredAt = new AtomicLong(-1);
      d.addListener((s, site, prev, cur, cause) -> {
        if (cur == HealthVerdict.DOWN && prev != cur) {
          declaredAt.set(time.nanoTime());
        }
      });
      scheduler.advance(120, TimeUnit.SECONDS);
      assertThat(verdicts).containsExactly(HealthVerdict.SUSPECT, HealthVerdict.DOWN);
      long after = TimeUnit.NANOSECONDS.toSeconds(declaredAt.get() - downSince);
      // 6 samples in the 30 s window at 60 % failures: the 4th failed probe after 3 good ones,
      // then DOWN once failures make 60 % of the window
      assertThat(after).isBetween(15L, 30L);
      DrEvent down = events.stream().filter(e -> e.attributes().get("verdict").equals("DOWN")).findFirst().orElseThrow();
      assertThat(down.type()).isEqualTo("detection.verdict");
      assertThat(down.severity()).isEqualTo(DrEvent.Severity.ERROR);
      assertThat(down.service()).isEqualTo("orders");
      assertThat(down.epoch()).isEqualTo(4);
      assertThat(down.message()).contains("connection refused");
    }
  }

  @Test
  void noFailoverWhileFlappingBelowTheRateThreshold() {
    try (FailureDetector d = detector().start()) {
      for (int i = 0; i < 100; i++) {
        up.set(i % 2 == 0);
        scheduler.advance(5, TimeUnit.SECONDS);
      }
      assertThat(verdicts).doesNotContain(HealthVerdict.DOWN);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.SUSPECT);
    }
  }

  @Test
  void noFalseFailoverWhenTheWallClockJumps() {
    FakeClock wall = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (FailureDetector d = detector(scripted, wall).start()) {
      for (int i = 0; i < 40; i++) {
        // the host's clock is stepped back and forth by hours (NTP, a VM resume, an operator)
        wall.set(wall.instant().plus(Duration.ofHours(i % 2 == 0 ? -3 : 7)));
        scheduler.advance(5, TimeUnit.SECONDS);
      }
      assertThat(verdicts).isEmpty();
      assertThat(d.verdict()).isEqualTo(HealthVerdict.HEALTHY);
    }
  }

  @Test
  void throwingNullAndHangingProbesCountAsFailures() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger n = new AtomicInteger();
    HealthCheck nasty = ctx -> switch (n.incrementAndGet() % 3) {
      case 0 -> throw new IllegalStateException("kaboom");
      case 1 -> null;
      default -> {
        release.await(); // hangs until the probe timeout cuts it off
        yield HealthResult.healthy("late");
      }
    };
    try {
      FailureDetector d = FailureDetector.builder("orders", Site.PRIMARY, nasty,
              FailureRateWindowPolicy.builder().minSamples(3).build())
          .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofSeconds(5))
          .probeTimeout(Duration.ofMillis(100)).build();
      assertThat(d.probeNow().detail()).contains("null");
      ProbeOutcome hang = d.probeNow();
      assertThat(hang.healthy()).isFalse();
      assertThat(hang.detail()).contains("timed out after 100 ms");
      assertThat(d.probeNow().detail()).contains("kaboom");
      assertThat(d.verdict()).isEqualTo(HealthVerdict.DOWN);
      d.close();
    } finally {
      release.countDown();
    }
  }

  @Test
  void manyConsumersShareOneProbe() throws Exception {
    CountDownLatch inProbe = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    HealthCheck slow = ctx -> {
      probes.incrementAndGet();
      inProbe.countDown();
      finish.await(10, TimeUnit.SECONDS);
      return HealthResult.healthy("up");
    };
    FailureDetector d = FailureDetector.builder("orders", Site.PRIMARY, slow, FailureRateWindowPolicy.builder().build())
        .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofSeconds(10)).build();
    ExecutorService consumers = Executors.newFixedThreadPool(8);
    try {
      List<Future<ProbeOutcome>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(consumers.submit(d::latest));
      }
      assertThat(inProbe.await(5, TimeUnit.SECONDS)).isTrue();
      finish.countDown();
      for (Future<ProbeOutcome> f : results) {
        assertThat(f.get(5, TimeUnit.SECONDS).healthy()).isTrue();
      }
      assertThat(probes).as("concurrent consumers share one in-flight probe").hasValue(1);
      time.advance(Duration.ofSeconds(4));
      d.latest();
      assertThat(probes).as("fresh for half the interval").hasValue(1);
      time.advance(Duration.ofSeconds(2));
      d.latest();
      assertThat(probes).as("expired after 5 s").hasValue(2);
    } finally {
      consumers.shutdownNow();
      d.close();
    }
  }

  @Test
  void scheduledTickReusesAConsumersFreshProbe() {
    try (FailureDetector d = detector().start()) {
      scheduler.advance(0, TimeUnit.SECONDS);
      assertThat(probes).hasValue(1);
      scheduler.advance(4, TimeUnit.SECONDS);
      d.latest();
      assertThat(probes).hasValue(2);
      scheduler.advance(1, TimeUnit.SECONDS); // the tick at 5 s finds the consumer's 1 s-old probe
      assertThat(probes).hasValue(2);
    }
  }

  @Test
  void listenerThatThrowsDoesNotBreakDetection() {
    FailureDetector d = detector();
    d.addListener((s, site, prev, cur, cause) -> {
      throw new IllegalStateException("listener bug");
    });
    up.set(false);
    d.probeNow();
    assertThat(verdicts).containsExactly(HealthVerdict.SUSPECT);
    d.reset();
    assertThat(d.verdict()).isEqualTo(HealthVerdict.HEALTHY);
  }

  @Test
  void phiAccrualDecaysToDownWithoutProbesAndTellsListeners() {
    FailureDetector d = FailureDetector.builder("orders", Site.PRIMARY, scripted,
            PhiAccrualPolicy.builder().firstEstimate(Duration.ofSeconds(5)).build())
        .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofSeconds(5)).build();
    d.addListener((s, site, prev, cur, cause) -> verdicts.add(cur));
    for (int i = 0; i < 10; i++) {
      d.probeNow();
      time.advance(Duration.ofSeconds(5));
    }
    time.advance(Duration.ofSeconds(60));
    assertThat(d.verdict()).isEqualTo(HealthVerdict.DOWN);
    assertThat(verdicts).containsExactly(HealthVerdict.DOWN);
  }

  @Test
  void detectsARealTcpServerGoingDownAndComingBack() throws Exception {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    int port = server.getLocalPort();
    ScheduledExecutorService real = Executors.newSingleThreadScheduledExecutor();
    AtomicReference<HealthVerdict> last = new AtomicReference<>(HealthVerdict.HEALTHY);
    try (FailureDetector d = FailureDetector.builder("orders", Site.PRIMARY, new TcpCheck("127.0.0.1", port, null),
            FailureRateWindowPolicy.builder().window(Duration.ofSeconds(2)).minSamples(3).failureRate(0.6)
                .recoverAfterSuccesses(2).build())
        .scheduler(real).interval(Duration.ofMillis(50)).probeTimeout(Duration.ofSeconds(1)).build()) {
      d.addListener((s, site, prev, cur, cause) -> last.set(cur));
      d.start();
      server.close();
      awaitVerdict(last, HealthVerdict.DOWN);
      server = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
      awaitVerdict(last, HealthVerdict.HEALTHY);
    } finally {
      server.close();
      real.shutdownNow();
    }
  }

  private static void awaitVerdict(AtomicReference<HealthVerdict> last, HealthVerdict want) {
    await("verdict " + want).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
        .untilAsserted(() -> assertThat(last.get()).isEqualTo(want));
  }

  @Test
  void rejectsACacheAgeNotShorterThanTheInterval() {
    assertThatThrownBy(() -> FailureDetector.builder("s", Site.PRIMARY, scripted, FailureRateWindowPolicy.builder().build())
        .interval(Duration.ofSeconds(5)).maxAge(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAge");
  }

  private static FakeClock advanced(FakeClock clock, Duration by) {
    clock.advance(by);
    return clock;
  }
}
