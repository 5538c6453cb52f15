package dev.drkit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.StorageException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.StateStore;
import dev.drkit.testkit.StateStoreContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The StateStore compatibility kit plus ZooKeeper-specific failure behaviour. */
@Tag("integration")
class ZooKeeperStateStoreTest extends StateStoreContract {
  private static final Duration SESSION = Duration.ofSeconds(5);
  @RegisterExtension
  static final ZkServer server = new ZkServer();
  private String basePath;

  @Override
  protected StateStore createStore() {
    basePath = "/drkit-" + ZkTesting.uniqueGroup();
    return ZooKeeperStateStore.connect(server.getConnectString(), basePath, SESSION);
  }

  @Override
  protected Optional<StateStore> reopen(StateStore old) {
    old.close(); // the session ends; the znodes are persistent
    return Optional.of(ZooKeeperStateStore.connect(server.getConnectString(), basePath, SESSION));
  }

  @Override
  protected int attemptsPerThread() {
    return Integer.getInteger("drkit.test.zk.casAttempts", 60);
  }

  @Test
  void aViewFencedByTheRecordedTermRefusesWritesOfAnOlderTerm() throws Exception {
    String epochPath = basePath + "/coordination/g/epoch";
    try (CuratorFramework raw = ZkTesting.client(server.getConnectString(), SESSION)) {
      raw.create().creatingParentsIfNeeded().forPath(epochPath, new byte[0]);
      raw.setData().forPath(epochPath, new byte[0]); // term 1
      raw.setData().forPath(epochPath, new byte[0]); // term 2 is the newest
    }
    StateStore fenced = ((ZooKeeperStateStore) store).fencedByRecordedTerm(epochPath);
    ServiceState initial = ServiceState.initial("orders", Instant.EPOCH);
    assertThat(fenced.compareAndSet("orders", 0, initial)).as("the engine's initial state").isEqualTo(1);
    ServiceState term1 = withTerm(initial, "1");
    ServiceState term2 = withTerm(initial, "2");
    assertThatThrownBy(() -> fenced.compareAndSet("orders", 1, term1))
        .isInstanceOf(dev.drkit.core.StaleEpochException.class);
    assertThatThrownBy(() -> fenced.compareAndSet("orders", 1, initial))
        .isInstanceOf(dev.drkit.core.LeadershipLostException.class).hasMessageContaining("no leadership term");
    assertThat(fenced.compareAndSet("orders", 1, term2)).isEqualTo(2);
    assertThat(store.load("orders").orElseThrow().value().attributes()).containsEntry("term", "2");
  }

  private static ServiceState withTerm(ServiceState s, String term) {
    return new ServiceState(s.service(), s.state(), s.epoch(), s.activeSite(), s.since(), s.reason(),
        java.util.Map.of(dev.drkit.core.failover.FailoverEngine.ATTR_TERM, term));
  }

  @Test
  void unreadableZnodeIsAStorageExceptionNamingTheService() throws Exception {
    store.compareAndSet("orders", 0, state("orders", 1));
    try (CuratorFramework raw = ZkTesting.client(server.getConnectString(), SESSION)) {
      raw.setData().forPath(basePath + "/state/orders", "{\"format\":1,\"writeId\":\"x\"".getBytes(StandardCharsets.UTF_8));
    }
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("orders").hasMessageContaining("unreadable");
  }

  @Test
  void aStateWithoutAnEpochIsRefusedAsTheFileStoreRefusesIt() throws Exception {
    store.compareAndSet("orders", 0, state("orders", 1));
    try (CuratorFramework raw = ZkTesting.client(server.getConnectString(), SESSION)) {
      String json = new String(raw.getData().forPath(basePath + "/state/orders"), StandardCharsets.UTF_8);
      assertThat(json).contains("\"epoch\":2,");
      raw.setData().forPath(basePath + "/state/orders",
          json.replace("\"epoch\":2,", "").getBytes(StandardCharsets.UTF_8));
    }
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("orders").hasMessageContaining("field 'epoch' missing or not an integer");
  }

  @Test
  void unknownFormatIsRefusedNotMisread() throws Exception {
    store.compareAndSet("orders", 0, state("orders", 1));
    try (CuratorFramework raw = ZkTesting.client(server.getConnectString(), SESSION)) {
      raw.setData().forPath(basePath + "/state/orders", "{\"format\":2}".getBytes(StandardCharsets.UTF_8));
    }
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("format");
  }

  @Test
  void unreachableZooKeeperIsAStorageExceptionAndNothingChanges() throws Exception {
    store.compareAndSet("orders", 0, state("orders", 1));
    try (LoopbackProxy proxy = new LoopbackProxy(server.getPort());
        CuratorFramework cut = ZkTesting.client(proxy.connectString(), Duration.ofMillis(500))) {
      ZooKeeperStateStore viaProxy = ZooKeeperStateStore.create(cut, basePath);
      assertThat(viaProxy.load("orders").orElseThrow().version()).isEqualTo(1);
      proxy.blackhole();
      assertThatThrownBy(() -> viaProxy.compareAndSet("orders", 1, state("orders", 2)))
          .isInstanceOf(StorageException.class).hasMessageContaining("orders");
    }
    assertThat(store.load("orders").orElseThrow().value()).isEqualTo(state("orders", 1));
  }

  @Test
  void rejectsServiceNamesThatAreNotDrkitNames() {
    assertThatThrownBy(() -> store.load("a/b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a/b");
    assertThatThrownBy(() -> store.compareAndSet("..", 0, ServiceState.initial("..", Instant.EPOCH)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void storedJsonIsReadableByOtherTools() throws Exception {
    store.compareAndSet("orders", 0, state("orders", 3));
    try (CuratorFramework raw = ZkTesting.client(server.getConnectString(), SESSION)) {
      String json = new String(raw.getData().forPath(basePath + "/state/orders"), StandardCharsets.UTF_8);
      assertThat(json).contains("\"format\":1", "\"service\":\"orders\"", "\"epoch\":4", "\"activeSite\":\"BACKUP\"");
    }
  }
}
