package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary paused for minutes (a stopped process, a long GC pause; simulated by leaving its
 * session untouched and advancing a fake clock, never by sleeping) while a newer primary took
 * over: when it resumes on its still-open session it is refused as stale, whatever it sends first
 * (a record or only a heartbeat), learns that it is fenced, and nothing it sends reaches the replica.
 */
class PausedPrimaryTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(1_000_000));

  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }


  static ByteBuffer heartbeat(long epoch, long primaryNextOffset, long millis) {
    return ByteBuffer.allocate(24).putLong(epoch).putLong(primaryNextOffset).putLong(millis).flip();
  }

  @Test
  void aPausedPrimaryResumingOnItsOpenSessionIsRefusedAsStaleByHeartbeatAndByBatch() throws Exception {
    EventBus bus = new EventBus();
    ReplicationLog log = track(ReplicationLog.open(dir.resolve("backup"), LogConfig.builder(SVC).eventBus(bus)
        .build()));
    ListSink sink = new ListSink();
    ReplicaApplier applier = new ReplicaApplier(SVC, log, sink, bus, clock);
    TcpTransport backup = track(RawPeer.backup(0));
    track(backup.serve(SVC, applier));

    // two sessions of the epoch-1 primary, both established and shipping
    RawPeer pausedA = track(RawPeer.connect(backup.boundPort()));
    pausedA.handshake(SVC, 1);
    pausedA.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "old-0"));
    assertThat(pausedA.expect(Wire.ACK).getLong(24)).isZero();
    RawPeer pausedB = track(RawPeer.connect(backup.boundPort()));
    pausedB.handshake(SVC, 1);

    // the primary is paused for minutes; a new primary at epoch 2 takes over the same backup
    clock.advance(Duration.ofMinutes(10));
    try (RawPeer current = RawPeer.connect(backup.boundPort())) {
      assertThat(current.handshake(SVC, 2).getLong(10)).as("next offset").isEqualTo(1);
      current.writeSealed(Wire.BATCH, RawPeer.batchBody(2, 1, "new-1"));
      assertThat(current.expect(Wire.ACK).getLong(24)).isEqualTo(1);
    }

    // it resumes: an idle primary only heartbeats, and must still learn it is fenced
    pausedA.writeSealed(Wire.HEARTBEAT, heartbeat(1, 7, clock.millis()));
    RawPeer.Refusal r = pausedA.refusal();
    assertThat(r.type()).isEqualTo(Wire.ERROR);
    assertThat(r.code()).isEqualTo(Wire.E_STALE_EPOCH);
    assertThat(r.epoch()).as("the backup's epoch").isEqualTo(2);
    assertThat(r.text()).contains("epoch 1").contains("2");
    assertThat(pausedA.closedByBackup()).isTrue();
    assertThat(applier.observedLag()).as("the stale heartbeat is not the replica's view of its primary")
        .isEqualTo(Duration.ZERO);

    // a write from the stale epoch on the other open session
    pausedB.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 2, "old-2"));
    RawPeer.Refusal rb = pausedB.refusal();
    assertThat(rb.code()).isEqualTo(Wire.E_STALE_EPOCH);
    assertThat(rb.epoch()).isEqualTo(2);

    assertThat(log.currentEpoch()).isEqualTo(2);
    assertThat(log.nextOffset()).isEqualTo(2);
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("old-0", "new-1");
  }

  @Test
  void anIdlePrimaryPausedWhileItsReplicaWasPromotedIsFencedByItsNextHeartbeat() throws Exception {
    RecordingListener events = new RecordingListener();
    EventBus bus = EventBus.of(events);
    ReplicationLog primaryLog = track(ReplicationLog.open(dir.resolve("a"), LogConfig.builder(SVC).clock(clock)
        .eventBus(bus).build()));
    ReplicationLog replicaLog = track(ReplicationLog.open(dir.resolve("b"), LogConfig.builder(SVC).clock(clock)
        .eventBus(bus).build()));
    ListSink sink = new ListSink();
    ReplicaApplier applier = new ReplicaApplier(SVC, replicaLog, sink, bus, clock);
    InProcessTransport transport = new InProcessTransport();
    transport.serve(SVC, applier);
    ReplicationPrimary p = track(ReplicationPrimary.builder(SVC, primaryLog, transport).epoch(1).clock(clock)
        .eventBus(bus).heartbeatInterval(Duration.ofNanos(1)).build());
    p.append("x".getBytes(StandardCharsets.UTF_8));
    while (p.pump()) {
      // ship until idle
    }
    assertThat(applier.appliedOffset()).isZero();

    // paused for minutes; meanwhile the replica is promoted at epoch 2 and takes a write
    clock.advance(Duration.ofMinutes(10));
    applier.promote(2);
    replicaLog.append(2, "y".getBytes(StandardCharsets.UTF_8));
    applier.demote();

    // it resumes with nothing new to ship: its heartbeat is refused and it is fenced
    p.pump();
    assertThat(p.stopped()).isTrue();
    assertThat(events.ofType("replication.fenced")).isNotEmpty();
    assertThatThrownBy(() -> p.append("z".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(StaleEpochException.class);
    assertThat(replicaLog.nextOffset()).isEqualTo(2);
    assertThat(replicaLog.currentEpoch()).isEqualTo(2);
  }
}
