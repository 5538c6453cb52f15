package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceState;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** start()/close(): an engine that follows its coordinator's leadership by itself. */
class EngineLifecycleTest {
  private final Harness h = new Harness();
  private FailoverEngine engine;

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      engine.close();
    }
  }

  private FailoverEngine.Builder builder(dev.drkit.core.spi.Coordinator coordinator) {
    return h.builder().coordinator(coordinator).leadershipPollInterval(Duration.ofMillis(10));
  }

  /** A latch released by the first event of {@code type} that matches. */
  private CountDownLatch on(String type, Predicate<DrEvent> match) {
    CountDownLatch l = new CountDownLatch(1);
    h.bus.subscribe(e -> {
      if (e.type().equals(type) && match.test(e)) {
        l.countDown();
      }
    });
    return l;
  }

  private static void await(CountDownLatch l, String what) throws InterruptedException {
    assertThat(l.await(60, TimeUnit.SECONDS)).as(what).isTrue();
  }

  @Test
  void aCommandOnAnEngineThatWasNeverStartedSaysWhatToDo() {
    engine = builder(new LocalCoordinator()).build();
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.NOT_STARTED);
    assertThatThrownBy(() -> engine.failover("alice", "test"))
        .isInstanceOf(LeadershipLostException.class)
        .hasMessageContaining("service 'orders'")
        .hasMessageContaining("this engine is not the leader: call start() and wait for leadership")
        .hasMessageContaining("docs/embedding.md")
        .hasMessageContaining("LocalCoordinator");
    assertThat(h.sites.calls).isEmpty();
  }

  @Test
  void aStartedEngineOnTheLocalCoordinatorLeadsAtOnceAndFailsOverOnTheDetectorsDownVerdict()
      throws InterruptedException {
    engine = builder(new LocalCoordinator()).build();
    CountDownLatch caughtUp = on("failover.leadership.acquired", e -> true);
    engine.start();
    assertThat(engine.isLeader()).isTrue();
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.LEADING);
    await(caughtUp, "the stored state is resumed");
    ServiceState s = engine.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(h.sites.calls).startsWith("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2");
    assertThat(h.events("failover.leadership.acquired")).hasSize(1);
  }

  @Test
  void aStartedEngineWithoutTheLeaseWaitsLoudlyRefusesCommandsAndKeepsTheLatestVerdictUntilItLeads()
      throws InterruptedException {
    GateCoordinator zk = new GateCoordinator();
    engine = builder(zk).build();
    CountDownLatch failedOver = on("failover.transition", e -> "BACKUP_ACTIVE".equals(e.attributes().get("to")));
    engine.start();
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.WAITING);
    assertThat(engine.isLeader()).isFalse();
    assertThat(h.events("failover.leadership.waiting")).singleElement()
        .satisfies(e -> assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN));
    assertThatThrownBy(() -> engine.switchover("alice", "test"))
        .isInstanceOf(LeadershipLostException.class)
        .hasMessageContaining("started and waits for the coordinator's lease");

    engine.onVerdict(HealthVerdict.SUSPECT, "detector");
    assertThat(engine.onVerdict(HealthVerdict.DOWN, "detector").state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(h.events("failover.verdict.deferred")).hasSize(2);
    assertThat(h.sites.calls).as("nothing acts without the lease").isEmpty();

    zk.grant();
    await(failedOver, "the kept DOWN verdict fails over once the engine leads");
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.LEADING);
    assertThat(engine.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(engine.state().attributes()).containsEntry(FailoverEngine.ATTR_MODE, "automatic");
  }

  @Test
  void aLaterHealthyVerdictReplacesAKeptDownVerdict() throws InterruptedException {
    GateCoordinator zk = new GateCoordinator();
    engine = builder(zk).build().start();
    CountDownLatch acquired = on("failover.leadership.acquired", e -> true);
    engine.onVerdict(HealthVerdict.DOWN, "detector");
    engine.onVerdict(HealthVerdict.HEALTHY, "detector");
    zk.grant();
    await(acquired, "leads");
    // the acquired event follows the resume and the kept verdict on the leadership thread
    assertThat(engine.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(h.sites.calls).as("no automatic failover from the replaced DOWN").isEmpty();
    assertThat(h.events("failover.transition")).isEmpty();
  }

  @Test
  void aStartedEngineResumesTheStoredPhaseUnderItsNewTermAtANewEpoch() throws InterruptedException {
    FailoverEngine old = h.engine();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("promote")) {
        h.coordinator.relinquish();
      }
    });
    assertThatThrownBy(() -> old.forceFailover("alice", "test")).isInstanceOf(LeadershipLostException.class);
    h.sites.fault((op, site, epoch) -> {});
    assertThat(h.store.load("orders").orElseThrow().value().state()).isEqualTo(FailoverState.FAILING_OVER);

    CountDownLatch active = on("failover.transition", e -> "BACKUP_ACTIVE".equals(e.attributes().get("to")));
    engine = builder(h.coordinator).build().start();
    await(active, "the started engine resumes the failover by itself");
    assertThat(engine.state().epoch()).isEqualTo(3);
    assertThat(h.sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2", "fence PRIMARY @3",
        "promote BACKUP @3", "redirect BACKUP @3");
  }

  @Test
  void anEngineStepsDownWhenItsLeaseEndsAndLeadsAgainInTheNextTerm() throws InterruptedException {
    GateCoordinator zk = new GateCoordinator();
    zk.grant();
    engine = builder(zk).build().start();
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.LEADING);
    CountDownLatch lost = on("failover.leadership.lost", e -> "1".equals(e.attributes().get("term")));
    CountDownLatch waiting = on("failover.leadership.waiting", e -> true);
    zk.revoke();
    await(lost, "the end of term 1 is noticed");
    await(waiting, "the engine says it waits again");
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.WAITING);
    assertThatThrownBy(() -> engine.failover("alice", "test")).isInstanceOf(LeadershipLostException.class);

    CountDownLatch second = on("failover.leadership.acquired", e -> "2".equals(e.attributes().get("term")));
    zk.grant();
    await(second, "term 2 is taken and the state resumed");
    assertThat(engine.failover("alice", "test").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(engine.state().attributes()).containsEntry(FailoverEngine.ATTR_TERM, "2");
  }

  @Test
  void closeStopsFollowingLeadershipAndTheInjectedThreadFactoryRunsTheLoop() throws InterruptedException {
    AtomicInteger made = new AtomicInteger();
    CountDownLatch ended = new CountDownLatch(1);
    GateCoordinator zk = new GateCoordinator();
    engine = builder(zk).threadFactory(r -> {
      made.incrementAndGet();
      Thread t = new Thread(() -> {
        try {
          r.run();
        } finally {
          ended.countDown();
        }
      });
      t.setDaemon(true);
      return t;
    }).build().start();
    assertThat(made).hasValue(1);
    engine.close();
    assertThat(engine.leadership()).isEqualTo(LeadershipStatus.CLOSED);
    await(ended, "the leadership thread ends after close()");
    assertThatThrownBy(engine::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> engine.failover("alice", "test")).hasMessageContaining("this engine is closed");
  }
}
