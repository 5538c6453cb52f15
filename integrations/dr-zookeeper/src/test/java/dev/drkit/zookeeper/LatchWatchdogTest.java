package dev.drkit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Curator's leader latch can be left without a node while the connection is fine (its background
 * re-create after a reconnection failed with a connection loss: "creatingParentContainersIfNeeded()
 * failed (rc = -4)", seen under load in the coordinator contract). Such a latch never leads again.
 * The coordinator notices a latch without a node and joins the election with a new one.
 */
@Tag("integration")
class LatchWatchdogTest {
  @RegisterExtension
  static final ZkServer server = new ZkServer();

  @Test
  void aLatchLeftWithoutANodeIsReplacedAndTheCoordinatorLeadsAgainUnderAHigherToken() throws Exception {
    List<DrEvent> events = new CopyOnWriteArrayList<>();
    try (ZooKeeperCoordinator c = ZooKeeperCoordinator.builder(server.getConnectString())
        .group(ZkTesting.uniqueGroup()).participantId("solo").sessionTimeout(Duration.ofMillis(1000))
        .connectionTimeout(Duration.ofMillis(1000)).eventBus(EventBus.of(events::add)).build().start()) {
      Lease first = c.awaitLeadership(Duration.ofSeconds(60)).orElseThrow();
      assertThat(c.latch().getOurPath()).isNotNull();

      // the state Curator can leave its latch in: no node, no leadership, connection fine
      c.latch().close();
      assertThat(c.latch().getOurPath()).isNull();

      Optional<Lease> again = c.awaitLeadership(Duration.ofSeconds(60));
      assertThat(again).as("the coordinator leads again with a new latch").isPresent();
      assertThat(again.orElseThrow().token()).isGreaterThan(first.token());
      assertThat(first.isValid()).as("the term of the broken latch ended").isFalse();
      assertThat(c.latch().getOurPath()).isNotNull();
      assertThat(events).anySatisfy(e -> assertThat(e.type()).isEqualTo("coordination.latch.restarted"));
    }
  }
}
