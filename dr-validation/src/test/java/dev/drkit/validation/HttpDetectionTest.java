package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.testing.LoopbackHttp;
import dev.drkit.validation.testing.ManualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Detection against real HTTP servers on loopback that flap, are slow, or are down; time is fake. */
class HttpDetectionTest {
  private final FakeClock time = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(time);
  private final List<HealthVerdict> verdicts = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void release() {
    release.countDown();
  }

  private FailureDetector detector(String url, Duration probeTimeout) {
    FailureDetector d = FailureDetector.builder("api", Site.PRIMARY,
            CheckRegistry.withBuiltIns().create(CheckSpec.of("http", Map.of("url", url)), Site.PRIMARY),
            FailureRateWindowPolicy.builder().window(Duration.ofSeconds(30)).minSamples(6).failureRate(0.6).build())
        .scheduler(scheduler).nanoTime(time::nanoTime).interval(Duration.ofSeconds(5))
        .probeTimeout(probeTimeout).build();
    d.addListener((s, site, prev, cur, cause) -> verdicts.add(cur));
    return d;
  }

  @Test
  void flappingServerBelowTheRateThresholdNeverCausesAFailover() throws Exception {
    AtomicInteger n = new AtomicInteger();
    try (LoopbackHttp server = new LoopbackHttp(ex -> LoopbackHttp.respond(ex,
        n.incrementAndGet() % 2 == 0 ? 500 : 200, "")); FailureDetector d = detector(server.url("/health").toString(), Duration.ofSeconds(10))) {
      d.start();
      scheduler.advance(5 * 40, TimeUnit.SECONDS);
      assertThat(server.requests.get()).isEqualTo(41);
      assertThat(verdicts).isNotEmpty().doesNotContain(HealthVerdict.DOWN);
    }
  }

  @Test
  void slowServerIsDeclaredDownAfterTheWindow() throws Exception {
    try (LoopbackHttp server = new LoopbackHttp(ex -> {
      release.await(30, TimeUnit.SECONDS);
      LoopbackHttp.respond(ex, 200, "");
    }); FailureDetector d = detector(server.url("/health").toString(), Duration.ofMillis(300))) {
      d.start();
      scheduler.advance(5 * 4, TimeUnit.SECONDS);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.SUSPECT);
      scheduler.advance(5 * 2, TimeUnit.SECONDS);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.DOWN);
      assertThat(d.latest().detail()).contains("timed out");
      assertThat(verdicts).containsExactly(HealthVerdict.SUSPECT, HealthVerdict.DOWN);
    }
  }

  @Test
  void serverThatGoesDownIsDeclaredDownAndComesBackAfterRecovery() throws Exception {
    LoopbackHttp server = new LoopbackHttp(ex -> LoopbackHttp.respond(ex, 200, "UP"));
    String url = server.url("/health").toString();
    try (FailureDetector d = detector(url, Duration.ofSeconds(10))) {
      d.start();
      scheduler.advance(20, TimeUnit.SECONDS);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.HEALTHY);
      server.close();
      scheduler.advance(30, TimeUnit.SECONDS);
      assertThat(d.verdict()).isEqualTo(HealthVerdict.DOWN);
      assertThat(d.latest().detail()).contains("could not connect");
    } finally {
      server.close();
    }
  }
}
