package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.replication.spi.ReplicationSink;
import dev.drkit.replication.spi.SnapshotProvider;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResyncTest {
  @TempDir Path dir;
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(1_000));
  final RecordingListener events = new RecordingListener();
  final EventBus bus = EventBus.of(events);

  /** A sink whose state is a snapshot marker plus the records applied after it. */
  static final class SnapshotSink implements ReplicationSink {
    String snapshot = "";
    long next;
    final List<String> applied = new ArrayList<>();

    @Override
    public void apply(long epoch, long offset, ByteBuffer payload) {
      assertThat(offset).isEqualTo(next);
      byte[] b = new byte[payload.remaining()];
      payload.get(b);
      applied.add(new String(b, StandardCharsets.UTF_8));
      next++;
    }

    @Override
    public long appliedOffset() {
      return next - 1;
    }

    @Override
    public void installSnapshot(long nextOffset, long epoch, InputStream data) throws Exception {
      snapshot = new String(data.readAllBytes(), StandardCharsets.UTF_8);
      applied.clear();
      next = nextOffset;
    }
  }

  ReplicationLog source() {
    ReplicationLog src = ReplicationLog.open(dir.resolve("src"),
        LogConfig.builder("svc").segmentBytes(1024).retentionBytes(2048).clock(clock).eventBus(bus).build());
    for (int i = 0; i < 200; i++) {
      src.append(1, ("r" + i).getBytes(StandardCharsets.UTF_8));
    }
    return src;
  }

  @Test
  void replicaTooFarBehindCatchesUpFromASnapshotThenTheLog() throws Exception {
    try (ReplicationLog src = source();
        ReplicationLog target = ReplicationLog.open(dir.resolve("t"), LogConfig.builder("svc").clock(clock).build())) {
      long snapAt = src.startOffset();
      assertThat(snapAt).isGreaterThan(0);
      SnapshotProvider provider = new SnapshotProvider() {
        @Override
        public Optional<Snapshot> latest(String service) {
          return Optional.of(new Snapshot("snap-1", snapAt, 1));
        }

        @Override
        public InputStream open(String service, Snapshot snapshot) {
          return new ByteArrayInputStream(("state-before-" + snapshot.nextOffset()).getBytes(StandardCharsets.UTF_8));
        }
      };
      SnapshotSink sink = new SnapshotSink();
      ResyncResult r = Resync.run("svc", target, sink, src, provider, bus, clock, off -> {});
      assertThat(r.snapshotNextOffset()).isEqualTo(snapAt);
      assertThat(r.copiedRecords()).isEqualTo(200 - snapAt);
      assertThat(target.startOffset()).isEqualTo(snapAt);
      assertThat(target.nextOffset()).isEqualTo(200);
      assertThat(sink.snapshot).isEqualTo("state-before-" + snapAt);
      ReplicaApplier a = new ReplicaApplier("svc", target, sink, bus, clock);
      assertThat(a.appliedOffset()).isEqualTo(199);
      assertThat(sink.applied).first().isEqualTo("r" + snapAt);
      assertThat(events.ofType("replication.resync.completed")).hasSize(1);
    }
  }

  @Test
  void refusesClearlyWhenASnapshotIsNeededButNoneIsAvailable() {
    try (ReplicationLog src = source();
        ReplicationLog target = ReplicationLog.open(dir.resolve("t"), LogConfig.builder("svc").clock(clock).build())) {
      assertThatThrownBy(() -> Resync.run("svc", target, new SnapshotSink(), src, null, bus, clock, off -> {}))
          .isInstanceOf(ReplicationException.class).hasMessageContaining("needs a snapshot")
          .hasMessageContaining("no SnapshotProvider");
      assertThat(target.nextOffset()).isZero();
    }
  }

  @Test
  void resyncOfAnUpToDateTargetChangesNothing() {
    try (ReplicationLog src = ReplicationLog.open(dir.resolve("s"), LogConfig.builder("svc").clock(clock).build());
        ReplicationLog target = ReplicationLog.open(dir.resolve("t"), LogConfig.builder("svc").clock(clock).build())) {
      src.append(1, new byte[] {1});
      SnapshotSink sink = new SnapshotSink();
      ResyncResult first = Resync.run("svc", target, sink, src, null, bus, clock, off -> {});
      ResyncResult again = Resync.run("svc", target, sink, src, null, bus, clock, off -> {});
      assertThat(first.copiedRecords()).isEqualTo(1);
      assertThat(again.copiedRecords()).isZero();
      assertThat(again.quarantined()).isNull();
      assertThat(target.quarantineFiles()).isEmpty();
    }
  }
}
