package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.testkit.FakeClock;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaApplierTest {
  @TempDir Path dir;
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(0));
  final ListSink sink = new ListSink();
  ReplicationLog log;
  ReplicaApplier applier;

  @BeforeEach
  void open() {
    log = ReplicationLog.open(dir, LogConfig.builder("svc").clock(clock).build());
    applier = new ReplicaApplier("svc", log, sink, new EventBus(), clock);
  }

  @AfterEach
  void close() {
    log.close();
  }

  static ReplicationBatch batch(long batchEpoch, long first, long recordEpoch, String... payloads) {
    ByteBuffer b = ByteBuffer.allocate(4096);
    for (int i = 0; i < payloads.length; i++) {
      byte[] p = payloads[i].getBytes(StandardCharsets.UTF_8);
      Frames.encode(b, recordEpoch, first + i, 0, p, 0, p.length);
    }
    b.flip();
    return new ReplicationBatch("svc", batchEpoch, first, payloads.length, b);
  }

  @Test
  void appliesInOrderAndSkipsDuplicatesOnRedelivery() {
    applier.handshake("svc", 1);
    applier.receive(batch(1, 0, 1, "a", "b"));
    applier.acknowledge();
    applier.receive(batch(1, 0, 1, "a", "b")); // duplicate
    applier.receive(batch(1, 1, 1, "b", "c")); // overlapping redelivery
    assertThat(applier.acknowledge().durableOffset()).isEqualTo(2);
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("a", "b", "c");
  }

  @Test
  void refusesAGapAndStoresNothingOfIt() {
    applier.handshake("svc", 1);
    applier.receive(batch(1, 0, 1, "a"));
    assertThatThrownBy(() -> applier.receive(batch(1, 2, 1, "c"))).isInstanceOf(ReplicationException.class)
        .hasMessageContaining("gap");
    assertThat(applier.acknowledge().receivedOffset()).isZero();
  }

  @Test
  void refusesACorruptedBatchWholly() {
    applier.handshake("svc", 1);
    ReplicationBatch b = batch(1, 0, 1, "a", "b");
    b.frames().put(b.frames().limit() - 1, (byte) 'X');
    assertThatThrownBy(() -> applier.receive(b)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("fails its check");
    assertThat(log.nextOffset()).isZero();
  }

  @Test
  void refusesBatchesAndSessionsFromAnOlderEpoch() {
    applier.handshake("svc", 3);
    assertThatThrownBy(() -> applier.handshake("svc", 2)).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> applier.receive(batch(2, 0, 2, "old"))).isInstanceOf(StaleEpochException.class);
    // records of older epochs are fine when a current-epoch primary ships them (its history)
    applier.receive(batch(3, 0, 1, "history"));
    applier.acknowledge();
    assertThat(sink.entries()).extracting(ListSink.Entry::epoch).containsExactly(1L);
  }

  @Test
  void refusesARecordClaimingANewerEpochThanItsSender() {
    applier.handshake("svc", 1);
    assertThatThrownBy(() -> applier.receive(batch(1, 0, 2, "forged"))).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("newer than its batch");
  }

  @Test
  void promotedReplicaRefusesTheOldPrimaryAndResumesAfterDemotion() {
    applier.handshake("svc", 1);
    applier.receive(batch(1, 0, 1, "a"));
    assertThat(applier.promote(2)).isEqualTo(1);
    assertThatThrownBy(() -> applier.receive(batch(1, 1, 1, "late"))).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> applier.handshake("svc", 2)).isInstanceOf(ReplicationException.class)
        .hasMessageContaining("promoted");
    assertThat(sink.entries()).hasSize(1);
  }

  @Test
  void replaysDurableRecordsTheSinkMissedAfterARestart() {
    applier.handshake("svc", 1);
    sink.failNext(5);
    applier.receive(batch(1, 0, 1, "a", "b"));
    applier.acknowledge();
    assertThat(applier.applyFailing()).isTrue();
    assertThat(sink.entries()).isEmpty();
    sink.failNext(0);
    ReplicaApplier restarted = new ReplicaApplier("svc", log, sink, new EventBus(), clock);
    assertThat(restarted.appliedOffset()).isEqualTo(1);
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("a", "b");
  }

  @Test
  void aSiteFencedAtANewerEpochIsReportedAsFencedAndCatchesUpOnceItMayApplyAgain() {
    java.util.List<dev.drkit.core.spi.DrEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    EventBus bus = new EventBus();
    bus.subscribe(seen::add);
    ReplicaApplier a = new ReplicaApplier("svc", log, sink, bus, clock);
    a.handshake("svc", 1);
    sink.fence(2); // the host fenced its site at epoch 2 behind the applier's back
    a.receive(batch(1, 0, 1, "a", "b"));
    a.acknowledge();
    assertThat(a.applyFailing()).isTrue();
    assertThat(sink.entries()).isEmpty();
    assertThat(seen).filteredOn(e -> e.type().equals("replication.apply.failed")).singleElement()
        .satisfies(e -> {
          assertThat(e.message()).contains("refused offset 0 from epoch 1").contains("fenced at epoch 2")
              .doesNotContain("Exception");
          assertThat(e.attributes()).containsEntry("fencedAt", "2").containsEntry("offset", "0");
        });
    sink.fence(-1);
    ReplicaApplier restarted = new ReplicaApplier("svc", log, sink, bus, clock);
    assertThat(restarted.appliedOffset()).isEqualTo(1);
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("a", "b");
  }
}
