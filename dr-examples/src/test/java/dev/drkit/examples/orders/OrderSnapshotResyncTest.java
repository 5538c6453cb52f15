package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicaApplier;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.Resync;
import dev.drkit.replication.ResyncResult;
import dev.drkit.replication.spi.SnapshotProvider;
import dev.drkit.core.spi.Site;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An orders replica too far behind the active site's log catches up through dr-replication's
 * {@link Resync}: it installs a snapshot of the orders (orders it holds that the snapshot does not
 * are quarantined, not dropped), then applies the rest of the log, exactly once per offset.
 */
class OrderSnapshotResyncTest {
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  @TempDir Path tmp;
  private final Clock clock = Clock.systemUTC();
  private final EventBus bus = new EventBus();

  private static Order order(int i) {
    return new Order("o-" + i, "c" + (i % 7), 100 + i, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i), 1, "a");
  }

  @Test
  void aReplicaTooFarBehindInstallsAnOrdersSnapshotThenFollowsTheLog() throws Exception {
    List<Order> all = new ArrayList<>();
    OrderSite b = new OrderSite("b", Site.BACKUP, tmp.resolve("b"), clock).start();
    try (ReplicationLog source = ReplicationLog.open(tmp.resolve("a-log"),
            LogConfig.builder("orders-a").segmentBytes(4096).retentionBytes(8192).clock(clock).eventBus(bus).build());
        ReplicationLog target = ReplicationLog.open(tmp.resolve("b-log"),
            LogConfig.builder("orders-b").clock(clock).eventBus(bus).build())) {
      for (int i = 0; i < 300; i++) {
        all.add(order(i));
        source.append(1, JSON.writeValueAsBytes(order(i)));
      }
      long snapAt = source.startOffset();
      assertThat(snapAt).as("old segments were retired").isGreaterThan(0);
      b.demote(1);
      b.applyReplicated(new Order("stale", "x", 1, Instant.parse("2025-12-31T00:00:00Z"), 1, "b"), 1, -1);
      SnapshotProvider snapshots = new SnapshotProvider() {
        @Override
        public Optional<Snapshot> latest(String service) {
          return Optional.of(new Snapshot("orders-upto-" + snapAt, snapAt, 1));
        }

        @Override
        public InputStream open(String service, Snapshot s) throws java.io.IOException {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          LogShippingReplication.writeSnapshot(all.subList(0, (int) s.nextOffset()), out);
          return new ByteArrayInputStream(out.toByteArray());
        }
      };
      LogShippingReplication.Sink sink = new LogShippingReplication.Sink(b);
      ResyncResult r = Resync.run("orders", target, sink, source, snapshots, bus, clock, off -> { });
      assertThat(r.snapshotNextOffset()).isEqualTo(snapAt);
      assertThat(b.appliedOffset()).isEqualTo(snapAt - 1);
      assertThat(b.orderIds()).hasSize((int) snapAt).doesNotContain("stale");
      assertThat(b.quarantined()).extracting(Order::id).containsExactly("stale");

      // the replica's applier now applies the copied records on top, each offset once
      ReplicaApplier applier = new ReplicaApplier("orders", target, sink, bus, clock);
      assertThat(applier.appliedOffset()).isEqualTo(299);
      assertThat(b.orderIds()).hasSize(300);
      assertThat(b.get("o-299")).contains(order(299));

      // a snapshot from an older epoch than the replica's is refused
      b.demote(2);
      ByteArrayOutputStream old = new ByteArrayOutputStream();
      LogShippingReplication.writeSnapshot(all.subList(0, 10), old);
      assertThatThrownBy(() -> sink.installSnapshot(10, 1, new ByteArrayInputStream(old.toByteArray())))
          .isInstanceOf(StaleEpochException.class);
      assertThat(b.orderIds()).hasSize(300);
    } finally {
      b.stop();
    }
  }
}
