package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deletes in the orders example: a bulk delete on the primary is a write like any other (fenced
 * like one, replicated record by record to the replica, readable back from the log), and a
 * rebuild's replay applies delete records in log order.
 */
class OrderDeletesTest {
  @TempDir Path tmp;
  private OrderSite a;
  private OrderSite b;
  private LogShippingReplication repl;

  @BeforeEach
  void setUp() {
    a = new OrderSite("a", Site.PRIMARY, tmp.resolve("a"), Clock.systemUTC()).start();
    b = new OrderSite("b", Site.BACKUP, tmp.resolve("b"), Clock.systemUTC()).start();
    repl = new LogShippingReplication("orders", true, new EventBus(), Clock.systemUTC());
    repl.ship(a, 1);
    a.promote(1);
    b.demote(1);
    repl.attach(b, 1);
  }

  @AfterEach
  void tearDown() {
    repl.close();
    a.stop();
    b.stop();
  }

  @Test
  void aBulkDeleteOnThePrimaryIsReplicatedAndLoggedLikeAnyWrite() throws Exception {
    for (String id : List.of("o1", "o2", "o3")) {
      a.accept(id, "c", 100, 1L);
    }
    List<Order> deleted = a.delete(Set.of("o1", "o3", "absent"), 1L);

    assertThat(deleted).extracting(Order::id).containsExactlyInAnyOrder("o1", "o3");
    assertThat(a.orderIds()).containsExactly("o2");
    // sync replication: the delete returned once the replica had applied it
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(b.orderIds()).containsExactly("o2"));
    assertThat(b.appliedOffset()).isEqualTo(4);
    repl.fence(a, 2);
    assertThat(LogShippingReplication.readLog(a, 1, new EventBus(), Clock.systemUTC())).extracting(Order::id)
        .containsExactly("o2");
  }

  @Test
  void aDeleteIsRefusedLikeAWriteByAReplicaAndFromAStaleEpoch() {
    a.accept("o1", "c", 100, 1L);
    assertThatThrownBy(() -> a.delete(Set.of("o1"), 0L)).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> b.delete(Set.of("o1"), null)).isInstanceOf(SiteUnavailableException.class)
        .hasMessageContaining("does not accept writes");
    assertThat(a.orderIds()).containsExactly("o1");
  }

  @Test
  void aHookThatDoesNotReplicateDeletesMakesTheDeleteFailLoudly() {
    repl.fence(a, 1);
    OrderSite solo = new OrderSite("solo", Site.PRIMARY, tmp.resolve("solo"), Clock.systemUTC()).start();
    try {
      solo.promote(1);
      solo.writeHook(order -> { });
      solo.accept("o1", "c", 1, null);
      assertThatThrownBy(() -> solo.delete(Set.of("o1"), null)).isInstanceOf(SiteUnavailableException.class)
          .hasMessageContaining("committed locally but not replicated")
          .hasMessageContaining("does not replicate deletes");
    } finally {
      solo.stop();
    }
  }

  @Test
  void theRebuildTargetAppliesInsertsAndDeletesInLogOrder() throws Exception {
    OrderSite r = new OrderSite("r", Site.PRIMARY, tmp.resolve("r"), Clock.systemUTC()).start();
    try {
      OrderRebuildTarget inserts = new OrderRebuildTarget(r, b, () -> {
        throw new IllegalStateException("no snapshot is loaded in this test");
      }, tmp.resolve("staging"), Optional::empty);
      OrderDeletesRebuildTarget target = new OrderDeletesRebuildTarget(inserts, r, b);
      Instant t = Instant.parse("2026-01-01T00:00:00Z");
      Order o1 = new Order("o1", "c", 1, t, 1, "primary");
      Order o2 = new Order("o2", "c", 2, t, 1, "primary");
      List<ReplayRecord> records = List.of(
          new ReplayRecord(10, 1, t, OrderLogRecord.insert(o1)),
          new ReplayRecord(11, 1, t, OrderLogRecord.insert(o2)),
          new ReplayRecord(12, 1, t, OrderLogRecord.delete(o1)),
          new ReplayRecord(13, 1, t, OrderLogRecord.insert(o1)));

      target.apply("orders", Site.PRIMARY, records.subList(0, 3), 2);
      assertThat(r.orderIds()).containsExactly("o2");
      assertThat(r.appliedOffset()).isEqualTo(12);
      target.apply("orders", Site.PRIMARY, records.subList(3, 4), 2);
      assertThat(r.orderIds()).containsExactlyInAnyOrder("o1", "o2");

      ReplayRecord junk = new ReplayRecord(14, 1, t, "not json".getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> target.apply("orders", Site.PRIMARY, List.of(junk), 2))
          .hasMessageContaining("offset 14").hasMessageContaining("not an orders change");
    } finally {
      r.stop();
    }
  }
}
