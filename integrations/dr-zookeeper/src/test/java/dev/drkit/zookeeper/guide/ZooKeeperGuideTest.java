package dev.drkit.zookeeper.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.LeadershipStatus;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.StateStore;
import dev.drkit.testkit.InMemoryFailoverActions;
import dev.drkit.zookeeper.ZooKeeperCoordinator;
import dev.drkit.zookeeper.ZooKeeperStateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/**
 * Compiles and runs the ZooKeeper standby snippet of docs/embedding.md (section 4) against a real
 * ZooKeeper server on loopback (Curator's {@link TestingServer}), and checks that the guide shows
 * exactly this code. It lives here rather than in dr-examples' EmbeddingGuideTest because only
 * this module has ZooKeeper on its test class path.
 */
class ZooKeeperGuideTest {

  // guide: zookeeper begin
  /** One node of the "orders" service: its ZooKeeper coordinator and its started engine. */
  record Node(ZooKeeperCoordinator coordinator, FailoverEngine engine) implements AutoCloseable {
    @Override
    public void close() {
      engine.close();       // stops following leadership
      coordinator.close();  // leaves the election: the lease ends now, not a session timeout later
    }
  }

  static Node zooKeeperNode(String connectString, String nodeId, FailoverActions actions, EventBus bus) {
    ZooKeeperCoordinator coordinator = ZooKeeperCoordinator.builder(connectString)
        .basePath("/drkit")                        // the same on every node
        .group("orders")                           // one election per service (or per plan)
        .participantId(nodeId)
        .connectionTimeout(Duration.ofSeconds(5))  // how long to wait for a connection, nothing else
        .sessionTimeout(Duration.ofSeconds(10))    // how long a vanished leader keeps its lease: from your RTO
        .eventBus(bus)
        .build()
        .start();                                  // joins the election
    StateStore shared = ZooKeeperStateStore.create(coordinator.client(), "/drkit")
        .fencedByRecordedTerm(coordinator.epochPath());  // ZooKeeper refuses a write of an older term
    FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders")
            .rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30)).build())
        .stateStore(shared)
        .actions(actions)
        .coordinator(coordinator)
        .eventBus(bus)
        .build()
        .start();  // leads now, or logs WARN + failover.leadership.waiting and takes over later
    return new Node(coordinator, engine);
  }
  // guide: zookeeper end

  private static TestingServer zooKeeper() throws Exception {
    System.setProperty("zookeeper.admin.enableServer", "false");
    InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, 1, 500, 0,
        Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
    return new TestingServer(spec, true);
  }

  @Test
  void theStandbyNodeTakesTheNextTermWhenTheLeaderLeavesAndFailsOverOnTheSharedState() throws Exception {
    EventBus bus = new EventBus();
    InMemoryFailoverActions actions = new InMemoryFailoverActions("orders", 1);
    try (TestingServer zk = zooKeeper()) {
      Node a = zooKeeperNode(zk.getConnectString(), "node-a", actions, bus);
      try (Node b = zooKeeperNode(zk.getConnectString(), "node-b", actions, bus)) {
        try (a) {
          assertThat(a.engine().awaitLeading(Duration.ofSeconds(60))).as("the first node leads").isTrue();
          assertThat(b.engine().leadership()).as("the second stands by").isEqualTo(LeadershipStatus.WAITING);
          assertThat(b.engine().isLeader()).isFalse();
        } // the leader's process goes away
        assertThat(b.engine().awaitLeading(Duration.ofSeconds(60))).as("the standby takes over").isTrue();
        assertThat(b.engine().failover("ops", "node-a is gone").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
        long term = Long.parseLong(b.engine().state().attributes().get(FailoverEngine.ATTR_TERM));
        assertThat(term).as("a term newer than the first leader's").isGreaterThan(1);
        assertThat(actions.trafficTarget()).isEqualTo(dev.drkit.core.spi.Site.BACKUP);
        // a third node sees the state the standby wrote, through ZooKeeper
        try (ZooKeeperStateStore store = ZooKeeperStateStore.connect(zk.getConnectString(), "/drkit",
            Duration.ofSeconds(10))) {
          assertThat(store.load("orders").orElseThrow().value().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
        }
      }
    }
  }

  @Test
  void theGuideShowsExactlyThisSnippet() throws IOException {
    String guide = normalize(Files.readString(Path.of("..", "..", "docs", "embedding.md"), StandardCharsets.UTF_8));
    String source = Files.readString(Path.of("src", "test", "java", "dev", "drkit", "zookeeper", "guide",
        "ZooKeeperGuideTest.java"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("// guide: zookeeper begin\\n(.*?)  // guide: zookeeper end", Pattern.DOTALL)
        .matcher(source);
    assertThat(m.find()).isTrue();
    assertThat(guide).as("docs/embedding.md shows the ZooKeeper snippet").contains(normalize(m.group(1)));
  }

  /** Drops the indentation so the guide may show the code flush left. */
  private static String normalize(String s) {
    return s.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
  }
}
