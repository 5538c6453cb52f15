package dev.drkit.zookeeper;

import static dev.drkit.zookeeper.ZkTesting.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.DrException;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three instances act as fast as they can whenever they hold a lease, while a seeded random
 * sequence of faults hits them: crashes and partitions (silent network), session expiry,
 * process pauses longer than the session (silent network and frozen connection events, the
 * acting thread still running), clean restarts. Every action goes through one ZooKeeper-independent
 * log that checks the lease and records the token atomically. Invariants: no token was ever used
 * by two instances, and no action was ever made with a token older than one already used, i.e.
 * two leases were never valid at the same instant. Rounds per seed: {@code -Ddrkit.test.zk.rounds}.
 */
@Tag("integration")
class RandomizedLeadershipTest {
  private static final Logger LOG = LoggerFactory.getLogger(RandomizedLeadershipTest.class);
  private static final Duration SESSION = Duration.ofMillis(600);
  private static final Duration PROGRESS = Duration.ofSeconds(15);
  @RegisterExtension
  static final ZkServer server = new ZkServer();

  /** One drkit instance with its own network path and event delivery. */
  private static final class Node {
    final String id;
    final String group;
    final LoopbackProxy proxy;
    final ZkTesting.FreezableEvents events = new ZkTesting.FreezableEvents();
    final CuratorFramework client;
    final FencedActionLog log;
    volatile ZooKeeperCoordinator coordinator;
    volatile boolean stop;
    final Thread actor;

    Node(String id, String group, FencedActionLog log) throws Exception {
      this.id = id;
      this.group = group;
      this.log = log;
      this.proxy = new LoopbackProxy(server.getPort());
      this.client = ZkTesting.freezableClient(proxy.connectString(), SESSION, events);
      this.coordinator = newCoordinator();
      this.actor = new Thread(this::act, "actor-" + id);
      actor.start();
    }

    ZooKeeperCoordinator newCoordinator() {
      return ZooKeeperCoordinator.builder(client).group(group).participantId(id).build().start();
    }

    void restart() {
      ZooKeeperCoordinator old = coordinator;
      old.close();
      coordinator = newCoordinator();
    }

    private void act() {
      while (!stop) {
        try {
          Optional<Lease> lease = coordinator.awaitLeadership(Duration.ofMillis(20));
          if (lease.isPresent()) {
            log.act(id, lease.get());
            TimeUnit.MILLISECONDS.sleep(1); // pacing: the machine is shared
          }
        } catch (DrException refused) {
          // refused by the lease or the fence: exactly what the invariant needs
        } catch (InterruptedException e) {
          return;
        } catch (IllegalStateException closedDuringRestart) {
          // the coordinator was swapped while we waited on it
        }
      }
    }

    void shutdown() throws Exception {
      stop = true;
      actor.interrupt();
      actor.join(5000);
      events.thaw();
      coordinator.close();
      client.close();
      proxy.close();
    }
  }

  private enum Fault { CRASH_AND_RETURN, PARTITION_BRIEFLY, EXPIRE_SESSION, PAUSE_PAST_SESSION, RESTART, NONE }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7L, 20261124L})
  void neverTwoInstancesActInOneEpoch(long seed) throws Exception {
    Random random = new Random(seed);
    int rounds = Integer.getInteger("drkit.test.zk.rounds", 8);
    FencedActionLog log = new FencedActionLog();
    String group = ZkTesting.uniqueGroup();
    List<Node> nodes = new ArrayList<>();
    try {
      for (String id : List.of("n0", "n1", "n2")) {
        nodes.add(new Node(id, group, log));
      }
      awaitProgress(log, -1, nodes);
      for (int round = 0; round < rounds; round++) {
        Fault fault = Fault.values()[random.nextInt(Fault.values().length)];
        Node target = leaderOrRandom(nodes, random);
        LOG.info("seed {} round {}: {} on {}", seed, round, fault, target.id);
        inject(fault, target, random);
        awaitProgress(log, log.lastSeq(), nodes);
      }
    } finally {
      for (Node n : nodes) {
        n.shutdown();
      }
    }
    Map<Long, Set<String>> actors = log.actorsByToken();
    assertThat(actors).allSatisfy((token, who) -> assertThat(who).as("instances acting with token %d", token)
        .hasSize(1));
    assertThat(log.refusedStale()).as("actions with a token older than one already used").isEmpty();
    assertThat(actors.size()).isGreaterThan(1);
  }

  private static Node leaderOrRandom(List<Node> nodes, Random random) {
    return nodes.stream().filter(n -> n.coordinator.currentLease().isPresent()).findFirst()
        .orElse(nodes.get(random.nextInt(nodes.size())));
  }

  private static void inject(Fault fault, Node target, Random random) throws Exception {
    long session = SESSION.toMillis();
    switch (fault) {
      case CRASH_AND_RETURN -> {
        target.proxy.blackhole();
        awaitQuietly(Duration.ofMillis(session * 2 + random.nextInt((int) session)));
        target.proxy.heal();
      }
      case PARTITION_BRIEFLY -> {
        target.proxy.blackhole();
        awaitQuietly(Duration.ofMillis(random.nextInt((int) session)));
        target.proxy.heal();
      }
      case EXPIRE_SESSION -> KillSession.kill(target.client.getZookeeperClient().getZooKeeper());
      case PAUSE_PAST_SESSION -> {
        target.events.freeze();
        target.proxy.blackhole();
        awaitQuietly(Duration.ofMillis(session * 2 + random.nextInt((int) session)));
        target.events.thaw();
        target.proxy.heal();
      }
      case RESTART -> target.restart();
      case NONE -> {
        // let the current leader keep acting
      }
      default -> throw new IllegalStateException("unknown fault " + fault);
    }
  }

  /** Lets the fault last (the other instances keep running and acting meanwhile). */
  private static void awaitQuietly(Duration d) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(d.toMillis());
  }

  /** After a fault ends, the group recovers: some instance acts again (bounded wait). */
  private static void awaitProgress(FencedActionLog log, long afterSeq, List<Node> nodes) throws Exception {
    boolean progressed = await(PROGRESS, () -> log.lastSeq() > afterSeq);
    assertThat(progressed).as("some instance acts after action %d (nodes: %s)", afterSeq,
        nodes.stream().map(n -> n.id + "=" + n.coordinator.currentLease()).toList()).isTrue();
  }
}
