package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.spi.Site;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogShippingReplicationTest {
  @TempDir Path tmp;
  private OrderSite a;
  private OrderSite b;
  private LogShippingReplication repl;

  @BeforeEach
  void setUp() {
    a = new OrderSite("a", Site.PRIMARY, tmp.resolve("a"), Clock.systemUTC()).start();
    b = new OrderSite("b", Site.BACKUP, tmp.resolve("b"), Clock.systemUTC()).start();
  }

  @AfterEach
  void tearDown() {
    if (repl != null) {
      repl.close();
    }
    a.stop();
    b.stop();
  }

  private void wire(boolean sync) throws Exception {
    repl = new LogShippingReplication("orders", sync, new EventBus(), Clock.systemUTC());
    repl.ship(a, 1);
    a.promote(1);
    b.demote(1);
    repl.attach(b, 1);
  }

  @Test
  void synchronousWriteIsOnTheReplicaWhenAcknowledged() throws Exception {
    wire(true);
    for (int i = 0; i < 20; i++) {
      a.accept("s-" + i, "c", i, null);
      assertThat(b.get("s-" + i)).isPresent();
    }
    assertThat(repl.lag()).isZero();
  }

  @Test
  void asynchronousWritesCatchUp() throws Exception {
    wire(false);
    for (int i = 0; i < 50; i++) {
      a.accept("s-" + i, "c", i, null);
    }
    assertThat(repl.awaitCaughtUp(Duration.ofSeconds(5))).isTrue();
    assertThat(b.orderIds()).isEqualTo(a.orderIds());
  }

  @Test
  void writesWithoutAReplicaAreQueuedAndShippedWhenOneAttaches() throws Exception {
    wire(true);
    repl.fence(b, 1);
    for (int i = 0; i < 30; i++) {
      a.accept("q-" + i, "c", i, null);
    }
    assertThat(b.orderIds()).isEmpty();
    assertThat(repl.awaitCaughtUp(Duration.ofMillis(50))).as("no replica attached").isFalse();
    repl.attach(b, 1);
    assertThat(repl.awaitCaughtUp(Duration.ofSeconds(5))).isTrue();
    assertThat(b.orderIds()).hasSize(30);
  }

  @Test
  void unshippedWritesDieWithTheSource() throws Exception {
    wire(false);
    repl.fence(b, 1);
    for (int i = 0; i < 10; i++) {
      a.accept("d-" + i, "c", i, null);
    }
    a.kill();
    repl.attach(b, 1);
    assertThat(repl.awaitCaughtUp(Duration.ofSeconds(1))).isTrue();
    assertThat(b.orderIds()).isEmpty();
  }

  @Test
  void promotedReplicaShipsBackToTheOldPrimaryAfterItReturns() throws Exception {
    wire(true);
    a.accept("x-1", "c", 1, null);
    a.kill();
    repl.fence(a, 2);
    repl.ship(b, 2);
    b.promote(2);
    for (int i = 0; i < 20; i++) {
      b.accept("y-" + i, "c", i, null);
    }
    a.start();
    a.demote(2);
    repl.attach(a, 2);
    assertThat(repl.awaitCaughtUp(Duration.ofSeconds(5))).isTrue();
    assertThat(a.orderIds()).containsAll(b.orderIds());
  }
}
