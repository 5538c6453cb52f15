package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.spi.ReplicationSink;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failback over the wire (message REWIND, real TCP on loopback): the new primary finds the
 * returning old primary, now a replica, holding records it does not; the replica sets them aside in
 * its quarantine, rewinds its host state and follows from the divergence point. No in-process
 * access to the other site's log is needed.
 */
class RemoteRewindTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(1_700_000_000_000L));
  final RecordingListener events = new RecordingListener();
  final EventBus bus = EventBus.of(events);
  @RegisterExtension final Closeables closeables = new Closeables();


  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }

  ReplicationLog log(String name) {
    return track(ReplicationLog.open(dir.resolve(name), LogConfig.builder(SVC + "-" + name).clock(clock).eventBus(bus)
        .build()));
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<String> payloads(List<LogRecord> rs) {
    return rs.stream().map(r -> new String(r.payload(), StandardCharsets.UTF_8)).toList();
  }


  /** Site A wrote a0..a9 at epoch 1 and shipped a0..a5 to B; B was promoted at epoch 2 and wrote b6..b8. */
  private ReplicationLog[] divergedSites() throws Exception {
    ReplicationLog a = log("a");
    ReplicationLog b = log("b");
    InProcessTransport t = new InProcessTransport();
    ReplicaApplier bApplier = new ReplicaApplier(SVC, b, new ListSink(), bus, clock);
    track(t.serve(SVC, bApplier));
    try (ReplicationPrimary pa = ReplicationPrimary.builder(SVC, a, t).epoch(1).clock(clock).eventBus(bus).build()) {
      for (int i = 0; i < 6; i++) {
        pa.append(bytes("a" + i));
      }
      pa.pump();
      pa.pump();
      assertThat(b.nextOffset()).isEqualTo(6);
      for (int i = 6; i < 10; i++) {
        pa.append(bytes("a" + i)); // the lost writes: never shipped
      }
    }
    assertThat(bApplier.promote(2)).isEqualTo(6);
    for (int i = 6; i < 9; i++) {
      b.append(2, bytes("b" + i));
    }
    return new ReplicationLog[] {a, b};
  }

  private ReplicationPrimary primaryShippingTo(ReplicationLog log, int port, long epoch, boolean rewind) {
    TcpTransport t = track(RawPeer.primary(port));
    return track(ReplicationPrimary.builder(SVC, log, t).epoch(epoch).clock(clock).eventBus(bus)
        .heartbeatInterval(Duration.ofMillis(20)).reconnectDelay(Duration.ofMillis(10))
        .rewindDivergedBackup(rewind).build());
  }

  private int serve(ReplicaApplier applier) {
    TcpTransport server = track(RawPeer.backup(0));
    track(server.serve(SVC, applier));
    return server.boundPort();
  }

  @Test
  void theReturningOldPrimaryQuarantinesItsLostWritesRewindsAndFollowsTheNewPrimary() throws Exception {
    ReplicationLog[] sites = divergedSites();
    ReplicationLog a = sites[0];
    ReplicationLog b = sites[1];
    ListSink aSink = new ListSink();
    ReplicaApplier aApplier = new ReplicaApplier(SVC, a, aSink, bus, clock); // the host state had a0..a9
    assertThat(aSink.entries()).hasSize(10);

    ReplicationPrimary pb = primaryShippingTo(b, serve(aApplier), 2, true);
    pb.start();
    eventually("the old primary follows the new one").until(() -> aApplier.appliedOffset() == 8);

    assertThat(pb.needsResync()).isFalse();
    assertThat(payloads(a.read(0, 100))).isEqualTo(payloads(b.read(0, 100)));
    assertThat(a.read(0, 100)).extracting(LogRecord::epoch).containsExactly(1L, 1L, 1L, 1L, 1L, 1L, 2L, 2L, 2L);
    assertThat(aSink.entries()).extracting(ListSink.Entry::payload)
        .containsExactly("a0", "a1", "a2", "a3", "a4", "a5", "b6", "b7", "b8");
    assertThat(a.quarantineFiles()).hasSize(1);
    assertThat(payloads(ReplicationLog.readQuarantine(a.quarantineFiles().get(0))))
        .containsExactly("a6", "a7", "a8", "a9");
    assertThat(events.ofType("replication.replica.rewound")).hasSize(1);
    assertThat(events.ofType("replication.replica.rewound").get(0).attributes()).containsEntry("quarantined", "4");
    assertThat(events.ofType("replication.replica.diverged")).isEmpty();

    b.append(2, bytes("b9"));
    eventually("shipping continues").until(() -> aApplier.appliedOffset() == 9);
  }

  @Test
  void aReplicaWhoseHostStateCannotGoBackChangesNothingAndIsReportedDiverged() throws Exception {
    ReplicationLog[] sites = divergedSites();
    ReplicationLog a = sites[0];
    ReplicationLog b = sites[1];
    ListSink state = new ListSink();
    ReplicationSink noRewind = new ReplicationSink() {
      @Override
      public void apply(long epoch, long offset, ByteBuffer payload) {
        state.apply(epoch, offset, payload);
      }

      @Override
      public long appliedOffset() {
        return state.appliedOffset();
      }
    };
    ReplicaApplier aApplier = new ReplicaApplier(SVC, a, noRewind, bus, clock);
    ReplicationPrimary pb = primaryShippingTo(b, serve(aApplier), 2, true);
    assertThat(pb.pump()).isFalse();
    assertThat(pb.needsResync()).isTrue();
    assertThat(events.ofType("replication.replica.diverged")).hasSize(1);
    assertThat(a.nextOffset()).as("nothing was cut").isEqualTo(10);
    assertThat(a.quarantineFiles()).isEmpty();
    assertThat(state.entries()).hasSize(10);
  }

  @Test
  void withoutTheOptionADivergedReplicaIsOnlyReported() throws Exception {
    ReplicationLog[] sites = divergedSites();
    ReplicaApplier aApplier = new ReplicaApplier(SVC, sites[0], new ListSink(), bus, clock);
    ReplicationPrimary pb = primaryShippingTo(sites[1], serve(aApplier), 2, false);
    assertThat(pb.pump()).isFalse();
    assertThat(pb.needsResync()).isTrue();
    assertThat(sites[0].nextOffset()).isEqualTo(10);
    assertThat(events.ofType("replication.replica.rewound")).isEmpty();
  }
}
