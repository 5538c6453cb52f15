package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.InMemoryFailoverActions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The detector-to-engine adapter: verdicts off the detector's thread, the latest one wins. */
class EngineVerdictBridgeTest {
  private final EventBus bus = new EventBus();
  private final InMemoryFailoverActions actions = new InMemoryFailoverActions("orders", 1);
  private final FailoverEngine engine = FailoverEngine.builder(
          RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(5)).build())
      .stateStore(new InMemoryStateStore()).actions(actions).coordinator(new LocalCoordinator()).eventBus(bus)
      .retries(1, Duration.ZERO).build().start();
  private final ExecutorService pool = Executors.newSingleThreadExecutor();

  @AfterEach
  void close() {
    engine.close();
    pool.shutdownNow();
  }

  private static ProbeOutcome probe(boolean healthy) {
    return new ProbeOutcome(healthy, healthy ? "ok" : "refused", 0, Duration.ofMillis(1));
  }

  private CountDownLatch on(String type, String to) {
    CountDownLatch l = new CountDownLatch(1);
    bus.subscribe(e -> {
      if (e.type().equals(type) && to.equals(e.attributes().get("to"))) {
        l.countDown();
      }
    });
    return l;
  }

  @Test
  void aDownVerdictFromTheDetectorFailsOverOnTheExecutorNotOnTheProbingThread() throws Exception {
    assertThat(engine.awaitLeading(Duration.ofSeconds(60))).isTrue();
    Queue<Runnable> tasks = new ArrayDeque<>();
    AtomicBoolean down = new AtomicBoolean();
    FailureDetector detector = FailureDetector.builder("orders", Site.PRIMARY,
        ctx -> down.get() ? HealthResult.unhealthy("refused") : HealthResult.healthy("ok"),
        new ConsecutiveFailuresPolicy(1, 1)).interval(Duration.ofHours(1)).build();
    try (detector; EngineVerdictBridge bridge = EngineVerdictBridge.connect(detector, engine, tasks::add)) {
      down.set(true);
      detector.latest(); // the probing thread: this test's thread
      assertThat(detector.verdict()).isEqualTo(HealthVerdict.DOWN);
      assertThat(engine.state().state()).as("nothing ran on the probing thread").isEqualTo(FailoverState.PRIMARY_ACTIVE);
      assertThat(actions.calls()).isEmpty();
      assertThat(tasks).hasSize(1);

      tasks.poll().run();
      assertThat(engine.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
      assertThat(engine.state().attributes()).containsEntry(FailoverEngine.ATTR_MODE, "automatic");
      assertThat(actions.calls()).extracting(Object::toString)
          .startsWith("fence PRIMARY@2", "promote BACKUP@2", "redirect BACKUP@2");
      assertThat(bridge.delivered()).isEqualTo(1);
    }
  }

  @Test
  void verdictsArrivingWhileTheEngineIsBusyAreCoalescedAndTheLatestIsDelivered() throws Exception {
    assertThat(engine.awaitLeading(Duration.ofSeconds(60))).isTrue();
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    bus.subscribe((DrEvent e) -> {
      if (e.type().equals("failover.transition") && "PRIMARY_DEGRADED".equals(e.attributes().get("to"))) {
        busy.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
    });
    CountDownLatch backupActive = on("failover.transition", "BACKUP_ACTIVE");
    try (EngineVerdictBridge bridge = EngineVerdictBridge.to(engine, pool)) {
      bridge.onVerdict("orders", Site.PRIMARY, HealthVerdict.HEALTHY, HealthVerdict.SUSPECT, probe(false));
      assertThat(busy.await(60, TimeUnit.SECONDS)).as("the engine is busy with SUSPECT").isTrue();
      // the detector's thread is not held up: these return while the engine is busy
      bridge.onVerdict("orders", Site.PRIMARY, HealthVerdict.SUSPECT, HealthVerdict.HEALTHY, probe(true));
      bridge.onVerdict("orders", Site.PRIMARY, HealthVerdict.HEALTHY, HealthVerdict.DOWN, probe(false));
      assertThat(bridge.received()).isEqualTo(3);
      assertThat(bridge.delivered()).isZero();
      release.countDown();

      assertThat(backupActive.await(60, TimeUnit.SECONDS)).as("the latest verdict, DOWN, is not lost").isTrue();
      assertThat(engine.state().attributes()).containsEntry(FailoverEngine.ATTR_MODE, "automatic");
      pool.submit(() -> { }).get(60, TimeUnit.SECONDS); // the bridge's task has returned
      assertThat(bridge.delivered()).as("SUSPECT, then DOWN; HEALTHY was replaced").isEqualTo(2);
    }
  }
}
