package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Frames;
import dev.drkit.replication.testing.RecordingListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero-filled segments ({@link LogConfig#preallocateBytes()}): the log writes over preallocated
 * space, recovery tells that space from a torn record, and a never-written (zero) header followed
 * by out-of-order persisted data is cut and kept in quarantine instead of refusing to open.
 */
class ReplicationLogPreallocationTest {
  @TempDir Path dir;
  final RecordingListener events = new RecordingListener();

  private LogConfig.Builder config(long preallocate) {
    return LogConfig.builder("svc").eventBus(EventBus.of(events)).preallocateBytes(preallocate);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> payloads(List<LogRecord> records) {
    return records.stream().map(r -> new String(r.payload(), StandardCharsets.UTF_8)).toList();
  }

  private Path segment(long base) {
    return dir.resolve(String.format("%020d.log", base));
  }

  private static void appendZeros(Path file, long count) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate((int) count), ch.size());
    }
  }

  @Test
  void zeroFillsAheadOfTheWriterAndReopensWithoutARepair() throws Exception {
    List<String> written = new ArrayList<>();
    long logical;
    try (ReplicationLog log = ReplicationLog.open(dir, config(64 << 10).segmentBytes(1 << 20).build())) {
      for (int i = 0; i < 500; i++) {
        written.add("record-" + i);
        log.append(1, bytes("record-" + i));
      }
      log.awaitMaintenance();
      logical = ReplicationLog.SEGMENT_HEADER + 500L * Frames.frameSize(bytes("record-0").length) + 110;
      // zero-filled space lies ahead of the last record, so the next forces write over allocated blocks
      assertThat(Files.size(segment(0))).isGreaterThan(logical);
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).segmentBytes(1 << 20).build())) {
      assertThat(log.recovery().repaired()).isFalse();
      assertThat(events.ofType("replication.log.recovered")).isEmpty();
      assertThat(log.nextOffset()).isEqualTo(500);
      assertThat(payloads(log.read(0, 1000))).isEqualTo(written);
      assertThat(log.append(1, bytes("after"))).isEqualTo(500);
      assertThat(payloads(log.read(499, 5))).containsExactly("record-499", "after");
    }
  }

  @Test
  void closedSegmentsAreTrimmedAndReadAcrossRolls() throws Exception {
    List<String> written = new ArrayList<>();
    try (ReplicationLog log = ReplicationLog.open(dir, config(4096).segmentBytes(8192).build())) {
      for (int i = 0; i < 600; i++) {
        written.add("r" + i);
        log.append(1, bytes("r" + i));
      }
      log.awaitMaintenance();
      List<Path> segs = log.segmentFiles();
      assertThat(segs).hasSizeGreaterThan(2);
      for (Path p : segs.subList(0, segs.size() - 1)) {
        assertThat(p).satisfies(f -> assertThat(Files.size(f)).isLessThanOrEqualTo(8192));
      }
      assertThat(payloads(log.read(0, 1000))).isEqualTo(written);
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config(4096).segmentBytes(8192).build())) {
      assertThat(log.recovery().repaired()).isFalse();
      assertThat(payloads(log.read(0, 1000))).isEqualTo(written);
    }
  }

  @Test
  void aClosedSegmentWithAZeroTailLeftByACrashIsReadUpToItsLastRecord() throws Exception {
    List<String> written = new ArrayList<>();
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).segmentBytes(1024).build())) {
      for (int i = 0; i < 60; i++) {
        written.add("x" + i);
        log.append(1, bytes("x" + i));
      }
    }
    appendZeros(segment(0), 5000); // the crash came before the background trim
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).segmentBytes(1024).build())) {
      assertThat(log.segmentFiles()).hasSizeGreaterThan(1);
      assertThat(payloads(log.read(0, 1000))).isEqualTo(written);
      for (int from = 0; from < 60; from += 7) {
        assertThat(payloads(log.read(from, 3))).isEqualTo(written.subList(from, Math.min(60, from + 3)));
      }
    }
  }

  @Test
  void aTornRecordInZeroFilledSpaceIsCutAndReportedWithItsOwnLength() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).build())) {
      for (int i = 0; i < 3; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    byte[] full = Files.readAllBytes(segment(0));
    int frame = Frames.frameSize(bytes("payload-0").length);
    int torn = 24; // the third record's length, CRC, epoch and offset reached the disk (its last byte is not zero)
    byte[] cut = java.util.Arrays.copyOf(full, full.length - frame + torn);
    Files.write(segment(0), cut);
    appendZeros(segment(0), 64 << 10);
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).build())) {
      assertThat(log.nextOffset()).isEqualTo(2);
      assertThat(log.recovery().repaired()).isTrue();
      assertThat(log.recovery().truncatedBytes()).isEqualTo(torn);
      assertThat(log.quarantineFiles()).isEmpty();
      assertThat(log.append(1, bytes("again"))).isEqualTo(2);
      assertThat(payloads(log.read(0, 10))).containsExactly("payload-0", "payload-1", "again");
    }
  }

  @Test
  void aNeverWrittenRecordFollowedByDataThatReachedTheDiskOutOfOrderIsCutIntoQuarantine() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).build())) {
      for (int i = 0; i < 4; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    byte[] b = Files.readAllBytes(segment(0));
    int frame = Frames.frameSize(bytes("payload-0").length);
    int third = ReplicationLog.SEGMENT_HEADER + 2 * frame;
    java.util.Arrays.fill(b, third, third + frame, (byte) 0); // record 2 never reached the disk, record 3 did
    Files.write(segment(0), b);
    appendZeros(segment(0), 8192);
    try (ReplicationLog log = ReplicationLog.open(dir, config(0).build())) {
      assertThat(log.nextOffset()).isEqualTo(2);
      assertThat(log.recovery().repaired()).isTrue();
      assertThat(events.ofType("replication.log.recovered")).hasSize(1);
      assertThat(log.quarantineFiles()).hasSize(1);
      byte[] kept = Files.readAllBytes(log.quarantineFiles().get(0));
      assertThat(kept).hasSize(2 * frame); // the zero record and record 3, without the zero-filled space
      assertThat(new String(kept, frame + Frames.HEADER, "payload-3".length(), StandardCharsets.UTF_8))
          .isEqualTo("payload-3");
    }
  }

  @Test
  void concurrentGroupCommitsRacingTheFillerAcrossManyRollsLoseNothing() throws Exception {
    int threads = 8;
    int each = 400;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    java.util.Set<String> written = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (ReplicationLog log = ReplicationLog.open(dir, config(4096).segmentBytes(16 << 10).build())) {
      List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            String p = "t" + id + "-" + i + "-" + "x".repeat(i % 97);
            log.append(1, bytes(p));
            written.add(p);
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : fs) {
        f.get();
      }
      log.awaitMaintenance();
      assertThat(log.segmentFiles()).hasSizeGreaterThan(10);
      assertThat(log.durableOffset()).isEqualTo(threads * each - 1L);
      assertThat(new java.util.HashSet<>(payloads(log.read(0, threads * each)))).isEqualTo(written);
    } finally {
      pool.shutdownNow();
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config(4096).segmentBytes(16 << 10).build())) {
      assertThat(log.recovery().repaired()).isFalse();
      assertThat(log.nextOffset()).isEqualTo(threads * each);
      assertThat(new java.util.HashSet<>(payloads(log.read(0, threads * each)))).isEqualTo(written);
    }
  }

  @Test
  void preallocationBelowAPageIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> config(100).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("log.preallocateBytes");
  }
}
