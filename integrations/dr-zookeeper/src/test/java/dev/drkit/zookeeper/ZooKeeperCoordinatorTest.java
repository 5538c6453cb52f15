package dev.drkit.zookeeper;

import static dev.drkit.zookeeper.ZkTesting.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.Lease;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("integration")
class ZooKeeperCoordinatorTest {
  private static final Duration SESSION = Duration.ofMillis(1000);
  private static final Duration WAIT = Duration.ofSeconds(10);
  @RegisterExtension
  static final ZkServer server = new ZkServer();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private String group;

  @BeforeEach
  void newGroup() {
    group = ZkTesting.uniqueGroup();
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(resources);
    for (AutoCloseable r : resources) {
      r.close();
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private ZooKeeperCoordinator.Builder builder(String id, String connectString) {
    return ZooKeeperCoordinator.builder(connectString).group(group).participantId(id).sessionTimeout(SESSION)
        .connectionTimeout(SESSION);
  }

  private ZooKeeperCoordinator start(String id, String connectString) {
    return track(builder(id, connectString).build()).start();
  }

  private LoopbackProxy proxy() throws Exception {
    return track(new LoopbackProxy(server.getPort()));
  }

  private static long leaders(List<ZooKeeperCoordinator> instances) {
    return instances.stream().filter(c -> c.currentLease().isPresent()).count();
  }

  @Test
  void grantsLeadershipToExactlyOneOfSeveralInstances() throws Exception {
    List<ZooKeeperCoordinator> instances = List.of(start("a", server.getConnectString()),
        start("b", server.getConnectString()), start("c", server.getConnectString()));
    assertThat(await(WAIT, () -> leaders(instances) == 1)).isTrue();
    ZooKeeperCoordinator leader = instances.stream().filter(c -> c.currentLease().isPresent()).findFirst().orElseThrow();
    Lease lease = leader.currentLease().orElseThrow();
    assertThat(lease.token()).isPositive();
    for (ZooKeeperCoordinator other : instances) {
      if (other != leader) {
        assertThat(other.awaitLeadership(Duration.ofMillis(300))).isEmpty();
      }
    }
    assertThat(leaders(instances)).isEqualTo(1);
    assertThat(lease.isValid()).isTrue();
  }

  @Test
  void tokensStrictlyIncreaseAcrossTermsAsLeadersLeave() throws Exception {
    List<ZooKeeperCoordinator> alive = new ArrayList<>();
    for (String id : List.of("a", "b", "c", "d", "e")) {
      alive.add(start(id, server.getConnectString()));
    }
    long previous = 0;
    List<Lease> ended = new ArrayList<>();
    while (!alive.isEmpty()) {
      assertThat(await(WAIT, () -> leaders(alive) == 1)).isTrue();
      ZooKeeperCoordinator leader = alive.stream().filter(c -> c.currentLease().isPresent()).findFirst().orElseThrow();
      Lease lease = leader.currentLease().orElseThrow();
      assertThat(lease.token()).isGreaterThan(previous);
      previous = lease.token();
      leader.close();
      assertThat(lease.isValid()).isFalse();
      assertThatThrownBy(lease::ensureValid).isInstanceOf(LeadershipLostException.class);
      ended.add(lease);
      alive.remove(leader);
    }
    assertThat(ended).noneMatch(Lease::isValid);
  }

  @Test
  void leaderCrashHandsOverOnlyOnceTheCrashedLeadersSessionCouldHaveExpired() throws Exception {
    LoopbackProxy pa = proxy();
    ZooKeeperCoordinator a = start("a", pa.connectString());
    Lease la = a.awaitLeadership(WAIT).orElseThrow();
    ZooKeeperCoordinator b = start("b", server.getConnectString());
    FencedActionLog log = new FencedActionLog();
    log.act("a", la);

    long crashedAt = System.nanoTime();
    pa.blackhole(); // to the ensemble, a is gone: not one more byte from or to it
    Lease lb = b.awaitLeadership(WAIT).orElseThrow();
    log.act("b", lb);
    Duration handover = Duration.ofNanos(System.nanoTime() - crashedAt);

    // Takeover waits for the crashed leader's session to expire (ZooKeeper last heard from a at most
    // a third of a session before the crash): a lower bound, which a loaded machine cannot break.
    // How long the handover takes is a measurement (LeadershipHandoverTimingTest, RESULTS.md).
    assertThat(handover).isGreaterThanOrEqualTo(SESSION.dividedBy(2));
    assertThat(lb.token()).isGreaterThan(la.token());
    assertThat(la.isValid()).isFalse();
    assertThatThrownBy(() -> log.act("a", la)).isInstanceOf(LeadershipLostException.class);
    assertThat(log.actorsByToken()).allSatisfy((token, actors) -> assertThat(actors).hasSize(1));
  }

  @Test
  void sessionExpiryEndsTheTermAndTheNextTermHasAHigherToken() throws Exception {
    List<DrEvent> events = new CopyOnWriteArrayList<>();
    ZooKeeperCoordinator a = track(builder("a", server.getConnectString()).eventBus(EventBus.of(events::add)).build())
        .start();
    Lease la = a.awaitLeadership(WAIT).orElseThrow();
    ZooKeeperCoordinator b = start("b", server.getConnectString());

    KillSession.kill(a.client().getZookeeperClient().getZooKeeper());

    assertThat(await(WAIT, () -> !la.isValid())).isTrue();
    List<ZooKeeperCoordinator> both = List.of(a, b);
    assertThat(await(WAIT, () -> leaders(both) == 1)).isTrue();
    Lease next = both.stream().map(ZooKeeperCoordinator::currentLease).flatMap(Optional::stream).findFirst()
        .orElseThrow();
    assertThat(next.token()).isGreaterThan(la.token());
    assertThat(la.isValid()).isFalse();
    assertThat(await(WAIT, () -> events.stream().anyMatch(e -> e.type().equals("coordination.leadership.lost")
        && e.epoch() == la.token()))).isTrue();
    assertThat(events).anyMatch(e -> e.type().equals("coordination.leadership.acquired") && e.epoch() == la.token());
  }

  @Test
  void leaderPausedPastItsSessionIsRefusedWhenItResumes() throws Exception {
    // The paused process: its network is silent (blackholed proxy) and its connection-state
    // events are held back (frozen listener delivery), so only the lease's own deadline can tell
    // it that its session is gone when its acting thread resumes.
    ZkTesting.FreezableEvents frozenEvents = new ZkTesting.FreezableEvents();
    LoopbackProxy pa = proxy();
    CuratorFramework clientA = track(ZkTesting.freezableClient(pa.connectString(), SESSION, frozenEvents));
    ZooKeeperCoordinator a = track(ZooKeeperCoordinator.builder(clientA).group(group).participantId("a").build())
        .start();
    ZooKeeperLease la = a.currentZooKeeperLease().or(() -> {
      try {
        return a.awaitLeadership(WAIT).map(l -> (ZooKeeperLease) l);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }).orElseThrow();
    ZooKeeperCoordinator b = start("b", server.getConnectString());
    CuratorFramework storeClient = track(ZkTesting.client(server.getConnectString(), SESSION));
    ZooKeeperStateStore store = ZooKeeperStateStore.create(storeClient, "/drkit-" + group);
    FencedActionLog log = new FencedActionLog();
    log.act("a", la);

    frozenEvents.freeze();
    pa.blackhole();
    Lease lb = b.awaitLeadership(WAIT).orElseThrow();
    log.act("b", lb);
    store.fencedBy(a.epochPath(), lb.token()).compareAndSet("orders", 0, ServiceState.initial("orders", Instant.EPOCH));

    // a resumes: its acting thread runs before any connection event reaches a's listeners
    assertThat(a.client().getConnectionStateListenable()).isSameAs(frozenEvents);
    assertThat(la.isValid()).isFalse();
    assertThat(la.endReason()).contains("deadline");
    assertThatThrownBy(() -> log.act("a", la)).isInstanceOf(LeadershipLostException.class);
    // and had it checked the lease just before the pause, its late action is fenced downstream
    assertThatThrownBy(() -> log.actWithToken("a", la.token())).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> store.fencedBy(la.epochPath(), la.token()).compareAndSet("orders", 1,
        ServiceState.initial("orders", Instant.EPOCH.plusSeconds(1)))).isInstanceOf(StaleEpochException.class);
    assertThat(store.load("orders").orElseThrow().version()).isEqualTo(1);

    frozenEvents.thaw();
    pa.heal();
    assertThat(la.isValid()).isFalse();
    assertThat(b.currentLease()).contains(lb);
    assertThat(log.actorsByToken()).allSatisfy((token, actors) -> assertThat(actors).hasSize(1));
  }

  @Test
  void partitionedLeaderStopsActingBeforeAnotherInstanceStarts() throws Exception {
    LoopbackProxy pa = proxy();
    ZooKeeperCoordinator a = start("a", pa.connectString());
    Lease la = a.awaitLeadership(WAIT).orElseThrow();
    List<Long> acquiredEpochs = new CopyOnWriteArrayList<>();
    List<Boolean> aValidWhenBAcquired = new CopyOnWriteArrayList<>();
    ZooKeeperCoordinator b = track(builder("b", server.getConnectString()).eventBus(EventBus.of(e -> {
      if (e.type().equals("coordination.leadership.acquired")) {
        aValidWhenBAcquired.add(la.isValid());
        acquiredEpochs.add(e.epoch());
      }
    })).build()).start();
    pa.blackhole();
    Lease lb = b.awaitLeadership(WAIT).orElseThrow();

    assertThat(await(WAIT, () -> !acquiredEpochs.isEmpty())).isTrue(); // the event follows the grant
    assertThat(acquiredEpochs).containsExactly(lb.token());
    // when b was granted the lease, a's lease had already ended: no moment with two valid leases
    assertThat(aValidWhenBAcquired).containsExactly(false);
    assertThat(lb.token()).isGreaterThan(la.token());

    pa.heal(); // the partition ends: a rejoins as a follower, with a new session
    assertThat(a.awaitLeadership(Duration.ofMillis(1500))).isEmpty();
    assertThat(la.isValid()).isFalse();
    assertThat(b.currentLease()).contains(lb);
  }

  @Test
  void briefDisconnectionEndsTheTermAndLeadershipResumesUnderANewToken() throws Exception {
    LoopbackProxy pa = proxy();
    ZooKeeperCoordinator a = start("a", pa.connectString());
    Lease first = a.awaitLeadership(WAIT).orElseThrow();

    pa.blackhole();
    assertThat(await(WAIT, () -> !first.isValid())).isTrue();
    pa.heal();
    Lease second = a.awaitLeadership(WAIT).orElseThrow();

    assertThat(second).isNotSameAs(first);
    assertThat(second.token()).isGreaterThan(first.token());
    assertThat(first.isValid()).isFalse();
  }

  @Test
  void leaseLapsesWhenItsDeadlinePassesWithoutAConfirmingHeartbeat() throws Exception {
    AtomicLong offset = new AtomicLong();
    ZooKeeperCoordinator a = track(builder("a", server.getConnectString())
        .nanoTime(() -> System.nanoTime() + offset.get()).build()).start();
    Lease first = a.awaitLeadership(WAIT).orElseThrow();

    offset.addAndGet(SESSION.multipliedBy(5).toNanos()); // the process was stopped for 5 sessions
    assertThat(first.isValid()).isFalse();

    // still leader in ZooKeeper: a new term starts under a higher token, the old one stays dead
    Lease second = a.awaitLeadership(WAIT).orElseThrow();
    assertThat(second.token()).isGreaterThan(first.token());
    assertThat(first.isValid()).isFalse();
  }

  @Test
  void heartbeatsKeepAnUndisturbedLeaseValidForManySessionTimeouts() throws Exception {
    ZooKeeperCoordinator a = start("a", server.getConnectString());
    Lease lease = a.awaitLeadership(WAIT).orElseThrow();
    // valid at every look for three session timeouts: each look is the assert
    Awaitility.await("lease valid throughout").during(SESSION.multipliedBy(3))
        .atMost(SESSION.multipliedBy(3).plus(WAIT)).pollInterval(Duration.ofMillis(20)).until(lease::isValid);
    assertThat(a.currentLease()).contains(lease);
  }

  @Test
  void awaitLeadershipTimesOutWhileAnotherInstanceLeads() throws Exception {
    ZooKeeperCoordinator a = start("a", server.getConnectString());
    a.awaitLeadership(WAIT).orElseThrow();
    ZooKeeperCoordinator b = start("b", server.getConnectString());
    assertThat(b.awaitLeadership(Duration.ofMillis(200))).isEmpty();
    assertThat(b.currentLease()).isEmpty();
  }

  @Test
  void closingTheLeaderHandsOverWithoutWaitingForItsSessionToExpire() throws Exception {
    // sessions far longer than the wait: had closing left a's latch node for its session to expire,
    // b could not lead within WAIT
    Duration longSession = WAIT.multipliedBy(4);
    ZooKeeperCoordinator a = track(builder("a", server.getConnectString()).sessionTimeout(longSession)
        .connectionTimeout(SESSION).build()).start();
    Lease la = a.awaitLeadership(WAIT).orElseThrow();
    ZooKeeperCoordinator b = track(builder("b", server.getConnectString()).sessionTimeout(longSession)
        .connectionTimeout(SESSION).build()).start();
    a.close();
    Lease lb = b.awaitLeadership(WAIT).orElseThrow();
    assertThat(lb.token()).isGreaterThan(la.token());
    assertThat(a.currentLease()).isEmpty();
  }

  @Test
  void rejectsInvalidSettingsNamingTheField() {
    assertThatThrownBy(() -> ZooKeeperCoordinator.builder("127.0.0.1:1").basePath("drkit"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("basePath");
    assertThatThrownBy(() -> ZooKeeperCoordinator.builder("127.0.0.1:1").basePath("/drkit/"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("basePath");
    assertThatThrownBy(() -> ZooKeeperCoordinator.builder("127.0.0.1:1").group("a/b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group");
    assertThatThrownBy(() -> ZooKeeperCoordinator.builder("127.0.0.1:1").leaseSafetyFactor(1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseSafetyFactor");
    assertThatThrownBy(() -> ZooKeeperCoordinator.builder("127.0.0.1:1").sessionTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionTimeout");
  }

  @Test
  void awaitBeforeStartIsAnError() {
    ZooKeeperCoordinator a = track(builder("a", server.getConnectString()).build());
    assertThatThrownBy(() -> a.awaitLeadership(Duration.ofMillis(1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not started");
  }

  @Test
  void fencedStateStoreRefusesWritesOfADeposedLeader() throws Exception {
    ZooKeeperCoordinator a = start("a", server.getConnectString());
    ZooKeeperLease la = a.currentZooKeeperLease().isPresent() ? a.currentZooKeeperLease().get()
        : (ZooKeeperLease) a.awaitLeadership(WAIT).orElseThrow();
    ZooKeeperCoordinator b = start("b", server.getConnectString());
    ZooKeeperStateStore store = ZooKeeperStateStore.create(a.client(), "/drkit-" + group);
    StateStore fencedA = store.fencedBy(la);
    assertThat(fencedA.compareAndSet("orders", 0, ServiceState.initial("orders", Instant.EPOCH))).isEqualTo(1);

    a.close();
    ZooKeeperLease lb = (ZooKeeperLease) b.awaitLeadership(WAIT).orElseThrow();
    ZooKeeperStateStore storeB = ZooKeeperStateStore.create(b.client(), "/drkit-" + group);

    assertThatThrownBy(() -> fencedA.compareAndSet("orders", 1, ServiceState.initial("orders", Instant.EPOCH)))
        .isInstanceOf(LeadershipLostException.class);
    assertThatThrownBy(() -> storeB.fencedBy(la.epochPath(), la.token()).compareAndSet("orders", 1,
        ServiceState.initial("orders", Instant.EPOCH))).isInstanceOf(StaleEpochException.class)
        .hasMessageContaining("epoch " + lb.token());
    assertThat(storeB.fencedBy(lb).compareAndSet("orders", 1, ServiceState.initial("orders", Instant.EPOCH)))
        .isEqualTo(2);
  }

  @Test
  void runsItsHeartbeatOnTheHostsThreadFactory() throws Exception {
    List<String> made = Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.ThreadFactory hosts = r -> new Thread(() -> {
      made.add(Thread.currentThread().getName()); // the name the coordinator gave the host's thread
      r.run();
    });
    ZooKeeperCoordinator c = track(builder("a", server.getConnectString()).threadFactory(hosts).build()).start();
    assertThat(c.awaitLeadership(WAIT)).isPresent();
    assertThat(await(WAIT, () -> made.contains("drkit-zk-coordinator-a"))).as("threads made: %s", made).isTrue();
  }
}
