package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary that ships records before its own force ({@link ReplicationPrimary.Builder#shipBeforeDurable}):
 * the backup may hold and acknowledge a record the primary has not forced; a restart must take a new
 * epoch; a backup holding a tail the primary lost is reported diverged and its copy quarantined by
 * the resync.
 */
class ShipBeforeDurableTest {
  @TempDir Path dir;
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(1_700_000_000_000L));
  final RecordingListener events = new RecordingListener();
  final EventBus bus = EventBus.of(events);

  private ReplicationLog open(String name, Durability durability) {
    return ReplicationLog.open(dir.resolve(name),
        LogConfig.builder("svc-" + name).durability(durability).clock(clock).eventBus(bus).build());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theBackupStoresAndAcknowledgesARecordThePrimaryHasWrittenButNotForced() throws Exception {
    // interval durability that never fires within the test: appends are written, never forced
    try (ReplicationLog plog = open("p", Durability.interval(Duration.ofDays(1)));
        ReplicationLog blog = open("b", Durability.groupCommit())) {
      ListSink sink = new ListSink();
      InProcessTransport t = new InProcessTransport();
      t.serve("svc", new ReplicaApplier("svc", blog, sink, bus, clock));
      ReplicationPrimary early = ReplicationPrimary.builder("svc", plog, t).epoch(1).clock(clock).eventBus(bus)
          .shipBeforeDurable(true).build();
      early.append(bytes("a"));
      early.append(bytes("b"));
      assertThat(early.pump()).as("connects").isTrue();
      assertThat(early.pump()).as("nothing written to the file yet").isFalse();
      plog.writeAppended();
      assertThat(plog.durableOffset()).isEqualTo(-1);
      assertThat(plog.writtenOffset()).isEqualTo(1);
      assertThat(early.pump()).isTrue();
      assertThat(early.ackedOffset()).as("durable on the backup before the primary's force").isEqualTo(1);
      assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("a", "b");
      early.close();

      // the same log shipped the old way: nothing unforced leaves the primary
      plog.append(2, bytes("c"));
      plog.writeAppended();
      ReplicationPrimary careful = ReplicationPrimary.builder("svc", plog, t).epoch(3).clock(clock).eventBus(bus).build();
      careful.pump();
      assertThat(careful.pump()).isFalse();
      assertThat(blog.nextOffset()).isEqualTo(2);
      careful.close();
    }
  }

  @Test
  void aPrimaryShippingBeforeItsForceMustRestartAtANewEpoch() throws Exception {
    try (ReplicationLog plog = open("p", Durability.groupCommit())) {
      InProcessTransport t = new InProcessTransport();
      ReplicationPrimary p = ReplicationPrimary.builder("svc", plog, t).epoch(4).shipBeforeDurable(true).build();
      p.append(bytes("x"));
      p.close();
      assertThatThrownBy(() -> ReplicationPrimary.builder("svc", plog, t).epoch(4).shipBeforeDurable(true).build())
          .isInstanceOf(ReplicationException.class).hasMessageContaining("epoch newer than every record")
          .hasMessageContaining("epoch 4");
      // an epoch begun without records, or the old rule, may start again at that epoch
      ReplicationPrimary.builder("svc", plog, t).epoch(5).shipBeforeDurable(true).build().close();
      ReplicationPrimary.builder("svc", plog, t).epoch(5).shipBeforeDurable(true).build().close();
      ReplicationPrimary.builder("svc", plog, t).epoch(5).build().close();
    }
  }

  @Test
  void aBackupHoldingATailThePrimaryLostIsReportedDivergedAndResyncQuarantinesExactlyThatTail() throws Exception {
    ListSink sink = new ListSink();
    try (ReplicationLog blog = open("b", Durability.groupCommit())) {
      InProcessTransport t = new InProcessTransport();
      AutoCloseable serving = t.serve("svc", new ReplicaApplier("svc", blog, sink, bus, clock));
      try (ReplicationLog plog = open("p", Durability.interval(Duration.ofDays(1)))) {
        ReplicationPrimary p = ReplicationPrimary.builder("svc", plog, t).epoch(1).clock(clock).eventBus(bus)
            .shipBeforeDurable(true).build();
        p.append(bytes("kept-0"));
        p.append(bytes("kept-1"));
        plog.sync();
        p.append(bytes("lost-2"));
        p.append(bytes("lost-3"));
        plog.writeAppended();
        p.pump();
        p.pump();
        assertThat(sink.entries()).hasSize(4);
        p.close();
      }
      // the primary's machine lost power: its unforced tail (offsets 2, 3) is gone
      Path pdir = dir.resolve("p");
      java.nio.file.Path seg = pdir.resolve(String.format("%020d.log", 0));
      long keep = ReplicationLog.SEGMENT_HEADER + 2L * dev.drkit.replication.internal.Frames.frameSize(6);
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(seg,
          java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(keep);
      }
      try (ReplicationLog plog = open("p", Durability.groupCommit())) {
        assertThat(plog.nextOffset()).isEqualTo(2);
        ReplicationPrimary p = ReplicationPrimary.builder("svc", plog, t).epoch(2).clock(clock).eventBus(bus)
            .shipBeforeDurable(true).build();
        p.append(bytes("new-2")); // offset 2 again, but at epoch 2: never confused with the lost record
        p.pump();
        assertThat(p.needsResync()).isTrue();
        assertThat(events.ofType("replication.replica.diverged")).hasSize(1);

        ResyncResult r = Resync.run("svc", blog, sink, plog, null, bus, clock, off -> { });
        assertThat(r.divergenceOffset()).isEqualTo(2);
        List<LogRecord> quarantined = ReplicationLog.readQuarantine(r.quarantined().path());
        assertThat(quarantined).extracting(lr -> new String(lr.payload(), StandardCharsets.UTF_8))
            .containsExactly("lost-2", "lost-3");
        assertThat(sink.entries()).as("rewound").extracting(ListSink.Entry::payload).containsExactly("kept-0", "kept-1");
        assertThat(blog.read(0, 10)).extracting(lr -> new String(lr.payload(), StandardCharsets.UTF_8))
            .containsExactly("kept-0", "kept-1", "new-2");
        serving.close();
        t.serve("svc", new ReplicaApplier("svc", blog, sink, bus, clock)); // the replica restarts on its resynced log
        p.resynced();
        p.append(bytes("new-3"));
        p.pump();
        p.pump();
        assertThat(sink.entries()).extracting(ListSink.Entry::payload)
            .containsExactly("kept-0", "kept-1", "new-2", "new-3");
        assertThat(sink.entries()).extracting(ListSink.Entry::epoch).containsExactly(1L, 1L, 2L, 2L);
        p.close();
      }
    }
  }
}
