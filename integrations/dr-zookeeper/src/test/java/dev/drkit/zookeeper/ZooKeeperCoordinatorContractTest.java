package dev.drkit.zookeeper;

import dev.drkit.core.spi.Coordinator;
import dev.drkit.testkit.CoordinatorContract;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.KillSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ZooKeeperCoordinator passes the Coordinator contract against a real ZooKeeper server: the
 * coordinators of one test compete in one group, and a term is ended by expiring the leader's
 * session (the coordinator then rejoins the election and may lead again in a new term).
 */
@Tag("integration")
class ZooKeeperCoordinatorContractTest extends CoordinatorContract {
  private static final Duration SESSION = Duration.ofMillis(1000);
  @RegisterExtension
  static final ZkServer server = new ZkServer();
  private final AtomicInteger ids = new AtomicInteger();
  private String group;

  @BeforeEach
  void newGroup() {
    group = ZkTesting.uniqueGroup();
  }

  @Override
  protected Coordinator createCoordinator() {
    return ZooKeeperCoordinator.builder(server.getConnectString()).group(group)
        .participantId("p" + ids.incrementAndGet()).sessionTimeout(SESSION).connectionTimeout(SESSION).build()
        .start();
  }

  @Override
  protected void endTerm(Coordinator coordinator) throws Exception {
    KillSession.kill(((ZooKeeperCoordinator) coordinator).client().getZookeeperClient().getZooKeeper());
  }

  @Override
  protected boolean sharesLeadership() {
    return true;
  }
}
