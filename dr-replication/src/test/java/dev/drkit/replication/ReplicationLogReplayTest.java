package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.IntegrityException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.core.spi.ReplayRecord;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicationLogReplayTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private static ReplicationLog log(Path dir) {
    return ReplicationLog.open(dir, LogConfig.builder("orders").clock(Clock.fixed(T0, ZoneOffset.UTC))
        .durability(Durability.everyRecord()).preallocateBytes(0).build());
  }

  @Test
  void readsRecordsWithOffsetsEpochsAndCommitTimes(@TempDir Path dir) {
    ReplicationLog log = log(dir);
    for (int i = 0; i < 5; i++) {
      log.append(1, ("r" + i).getBytes(StandardCharsets.UTF_8));
    }
    try (ReplicationLogReplay replay = new ReplicationLogReplay("orders", () -> Optional.of(log))) {
      assertThat(replay.available("orders")).isTrue();
      assertThat(replay.firstOffset("orders")).isZero();
      assertThat(replay.endOffset("orders")).isEqualTo(5);
      List<ReplayRecord> r = replay.read("orders", 2, 10);
      assertThat(r).extracting(ReplayRecord::offset).containsExactly(2L, 3L, 4L);
      assertThat(r.get(0).commitTime()).isEqualTo(T0);
      assertThat(r.get(0).epoch()).isEqualTo(1);
      assertThat(new String(r.get(0).payload(), StandardCharsets.UTF_8)).isEqualTo("r2");
      assertThatThrownBy(() -> replay.read("billing", 0, 1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("billing");
    }
  }

  @Test
  void aGoneLogIsNotAvailable() {
    ReplicationLogReplay replay = new ReplicationLogReplay("orders", Optional::empty);
    assertThat(replay.available("orders")).isFalse();
    assertThatThrownBy(() -> replay.endOffset("orders")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("gone");
  }

  @Test
  void aRecordFailingItsChecksumIsReportedByItsOffsetAfterTheValidOnesBeforeIt(@TempDir Path dir) throws Exception {
    ReplicationLog log = log(dir);
    byte[] payload = "0123456789".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 8; i++) {
      log.append(1, payload);
    }
    // Flip a payload byte of the record at offset 5 in the segment file.
    Path segment = log.segmentFiles().get(0);
    long pos = ReplicationLog.SEGMENT_HEADER + 5L * Frames.frameSize(payload.length) + Frames.HEADER + 3;
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {'X'}), pos);
    }
    try (ReplicationLogReplay replay = new ReplicationLogReplay("orders", () -> Optional.of(log))) {
      assertThat(replay.read("orders", 0, 100)).extracting(ReplayRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
      assertThatThrownBy(() -> replay.read("orders", 5, 100)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining("offset 5");
    }
  }

  @Test
  void damageBeyondTheFirstBulkReadReturnsEveryValidRecordBeforeItThenNamesItsOffset(@TempDir Path dir)
      throws Exception {
    ReplicationLog log = ReplicationLog.open(dir, LogConfig.builder("orders").clock(Clock.fixed(T0, ZoneOffset.UTC))
        .durability(Durability.interval(java.time.Duration.ofHours(1))).preallocateBytes(0).build());
    byte[] payload = new byte[1000]; // 2,500 frames: about 2.5 MiB, more than two bulk reads
    for (int i = 0; i < 2500; i++) {
      payload[0] = (byte) i;
      log.append(1, payload);
    }
    log.sync();
    Path segment = log.segmentFiles().get(0);
    long pos = ReplicationLog.SEGMENT_HEADER + 2200L * Frames.frameSize(payload.length) + Frames.HEADER + 7;
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {'X'}), pos);
    }
    try (ReplicationLogReplay replay = new ReplicationLogReplay("orders", () -> Optional.of(log))) {
      // As the rebuild reads: on from the last record returned, until the read fails.
      List<ReplayRecord> got = new java.util.ArrayList<>();
      long next = 0;
      IntegrityException failure = null;
      while (failure == null) {
        try {
          List<ReplayRecord> batch = replay.read("orders", next, 4096);
          assertThat(batch).isNotEmpty();
          got.addAll(batch);
          next = batch.get(batch.size() - 1).offset() + 1;
        } catch (IntegrityException e) {
          failure = e;
        }
      }
      assertThat(got).extracting(ReplayRecord::offset)
          .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 2200).boxed().toList());
      assertThat(got.get(1999).payload()[0]).isEqualTo((byte) 1999);
      assertThat(failure).hasMessageContaining("offset 2200");
      assertThatThrownBy(() -> replay.read("orders", 2200, 4096)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining("offset 2200");
    }
  }
}
