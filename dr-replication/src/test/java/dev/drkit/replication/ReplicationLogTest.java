package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.StorageException;
import dev.drkit.replication.testing.FullDiskChannels;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicationLogTest {
  @TempDir Path dir;
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(1_000_000));
  final RecordingListener events = new RecordingListener();

  LogConfig.Builder config() {
    return LogConfig.builder("svc").clock(clock).eventBus(EventBus.of(events));
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<String> payloads(List<LogRecord> records) {
    return records.stream().map(r -> new String(r.payload(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void appendsAndReadsBackAcrossSegmentsAndReopen() {
    List<String> written = new ArrayList<>();
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      for (int i = 0; i < 200; i++) {
        String p = "record-" + i;
        assertThat(log.append(1, bytes(p))).isEqualTo(i);
        written.add(p);
      }
      assertThat(log.segmentFiles()).hasSizeGreaterThan(5);
      assertThat(payloads(log.read(0, 1000))).isEqualTo(written);
      assertThat(payloads(log.read(150, 10))).isEqualTo(written.subList(150, 160));
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      assertThat(log.recovery().repaired()).isFalse();
      assertThat(log.nextOffset()).isEqualTo(200);
      assertThat(payloads(log.read(0, 1000))).isEqualTo(written);
      assertThat(log.read(199, 5)).extracting(LogRecord::epoch, LogRecord::offset, LogRecord::timestampMillis)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, 199L, 1_000_000L));
    }
  }

  @Test
  void everyRecordDurabilityMakesEachAppendDurableBeforeReturning() {
    try (ReplicationLog log = ReplicationLog.open(dir, config().durability(Durability.everyRecord()).build())) {
      for (int i = 0; i < 20; i++) {
        long off = log.append(1, bytes("x" + i));
        assertThat(log.durableOffset()).isEqualTo(off);
      }
    }
  }

  @Test
  void groupCommitMakesConcurrentAppendsDurableAndDense() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(4096).build())) {
      Set<Long> offsets = ConcurrentHashMap.newKeySet();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            long off = log.append(1, bytes("r"));
            assertThat(log.durableOffset()).isGreaterThanOrEqualTo(off);
            offsets.add(off);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(offsets).hasSize(800);
      assertThat(offsets.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(799);
      assertThat(log.read(0, 1000)).hasSize(800);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void intervalDurabilityReturnsAtOnceAndForcesOnSchedule() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir,
        config().durability(Durability.interval(Duration.ofMillis(5))).build())) {
      long off = log.append(1, bytes("a"));
      assertThat(log.awaitDurable(off, 10_000)).isTrue();
      assertThat(payloads(log.read(0, 10))).containsExactly("a");
    }
  }

  @Test
  void unforcedRecordsAreInvisibleToReaders() {
    try (ReplicationLog log = ReplicationLog.open(dir,
        config().durability(Durability.interval(Duration.ofHours(1))).build())) {
      log.append(1, bytes("a"));
      assertThat(log.readFrames(0, 1024)).isNull();
      log.sync();
      assertThat(log.readFrames(0, 1024)).isNotNull();
    }
  }

  @Test
  void refusesAppendsFromOlderEpochAndRemembersAcrossReopen() {
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      log.append(2, bytes("a"));
      assertThatThrownBy(() -> log.append(1, bytes("b"))).isInstanceOf(StaleEpochException.class)
          .hasMessageContaining("svc").hasMessageContaining("epoch 1");
      log.fence(5);
      assertThatThrownBy(() -> log.append(4, bytes("c"))).isInstanceOf(StaleEpochException.class);
      assertThat(log.nextOffset()).isEqualTo(1);
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      assertThat(log.currentEpoch()).isEqualTo(5);
      assertThatThrownBy(() -> log.append(4, bytes("c"))).isInstanceOf(StaleEpochException.class);
      assertThat(log.append(5, bytes("d"))).isEqualTo(1);
      assertThat(log.epochHistory().entries()).containsExactly(new EpochHistory.Entry(2, 0),
          new EpochHistory.Entry(5, 1));
    }
  }

  @Test
  void cutsTornTailAtEveryByteOffsetAndReportsIt() throws Exception {
    Path src = dir.resolve("src");
    try (ReplicationLog log = ReplicationLog.open(src, config().build())) {
      for (int i = 0; i < 3; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    Path seg = src.resolve(String.format("%020d.log", 0));
    byte[] full = Files.readAllBytes(seg);
    int frame = 32 + "payload-0".length();
    int header = ReplicationLog.SEGMENT_HEADER;
    for (int cut = header; cut < full.length; cut++) {
      Path d = dir.resolve("cut-" + cut);
      Files.createDirectories(d);
      Files.write(d.resolve(seg.getFileName()), java.util.Arrays.copyOf(full, cut));
      Files.copy(src.resolve("epochs.history"), d.resolve("epochs.history"));
      RecordingListener ev = new RecordingListener();
      int complete = (cut - header) / frame;
      try (ReplicationLog log = ReplicationLog.open(d, config().eventBus(EventBus.of(ev)).build())) {
        assertThat(log.nextOffset()).as("cut at %d", cut).isEqualTo(complete);
        long torn = (cut - header) - (long) complete * frame;
        assertThat(log.recovery().truncatedBytes()).as("cut at %d", cut).isEqualTo(torn);
        assertThat(ev.ofType("replication.log.recovered")).hasSize(torn > 0 ? 1 : 0);
        assertThat(log.read(0, 10)).hasSize(complete);
        assertThat(log.append(1, bytes("after"))).isEqualTo(complete);
        assertThat(payloads(log.read(complete, 1))).containsExactly("after");
      }
    }
  }

  @Test
  void removesSegmentWhoseHeaderWasTornDuringCreation() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      log.append(1, bytes("a"));
    }
    Files.write(dir.resolve(String.format("%020d.log", 1)), new byte[] {0x44, 0x52});
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      assertThat(log.recovery().removedFiles()).hasSize(1);
      assertThat(log.nextOffset()).isEqualTo(1);
    }
  }

  @Test
  void treatsDamagedLastRecordAsTornTail() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      for (int i = 0; i < 3; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    Path seg = dir.resolve(String.format("%020d.log", 0));
    byte[] b = Files.readAllBytes(seg);
    b[b.length - 2] ^= 0x5A;
    Files.write(seg, b);
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      assertThat(log.nextOffset()).isEqualTo(2);
      assertThat(log.recovery().truncatedBytes()).isEqualTo(41);
    }
  }

  @Test
  void refusesToOpenOverCorruptionFollowedByValidRecordsAndChangesNothing() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      for (int i = 0; i < 3; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    Path seg = dir.resolve(String.format("%020d.log", 0));
    byte[] b = Files.readAllBytes(seg);
    b[16 + 41 + 35] ^= 0x01; // a payload byte of record 1; record 2 is intact
    Files.write(seg, b);
    assertThatThrownBy(() -> ReplicationLog.open(dir, config().build())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("valid records follow").hasMessageContaining(seg.getFileName().toString());
    assertThat(Files.readAllBytes(seg)).isEqualTo(b);
    try (ReplicationLog log = ReplicationLog.open(dir, config().truncateOnCorruption(true).build())) {
      assertThat(log.nextOffset()).isEqualTo(1);
      assertThat(log.quarantineFiles()).hasSize(1);
      assertThat(Files.size(log.quarantineFiles().get(0))).isEqualTo(82);
    }
  }

  @Test
  void detectsCorruptionInOlderSegmentOnRead() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      for (int i = 0; i < 100; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    Path seg = dir.resolve(String.format("%020d.log", 0));
    byte[] b = Files.readAllBytes(seg);
    b[16 + 40] ^= 0x01;
    Files.write(seg, b);
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      assertThatThrownBy(() -> log.read(0, 100)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining(seg.getFileName().toString());
      assertThat(log.read(30, 10)).hasSize(10);
    }
  }

  @Test
  void aSegmentMissingInTheMiddleIsReportedNamingTheGapAndKeepsEveryRecordBeforeIt() throws Exception {
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      for (int i = 0; i < 100; i++) {
        log.append(1, bytes("payload-" + i));
      }
    }
    List<Path> segments;
    try (var files = Files.list(dir)) {
      segments = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
    }
    assertThat(segments).hasSizeGreaterThan(3);
    Path before = segments.get(0);
    Path gone = segments.get(1);
    long missingFrom = Long.parseLong(gone.getFileName().toString().substring(0, 20));
    long missingTo = Long.parseLong(segments.get(2).getFileName().toString().substring(0, 20)) - 1;
    Files.delete(gone);
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      assertThat(payloads(log.read(0, (int) missingFrom))).hasSize((int) missingFrom);
      assertThatThrownBy(() -> log.read(0, 1000)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining(before.getFileName().toString())
          .hasMessageContaining("offsets " + missingFrom + " to " + missingTo + " are missing");
      assertThatThrownBy(() -> log.read(missingFrom + 1, 10)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining("offsets " + missingFrom + " to " + missingTo + " are missing");
      assertThat(payloads(log.read(missingTo + 1, 1))).containsExactly("payload-" + (missingTo + 1));
    }
  }

  @Test
  void fullDiskFailsTheAppendWithoutDamagingEarlierRecords() {
    FullDiskChannels disk = new FullDiskChannels(16 + 5 * 41 + 20);
    try (ReplicationLog log = ReplicationLog.open(dir,
        config().channelFactory(disk).durability(Durability.everyRecord()).build())) {
      for (int i = 0; i < 5; i++) {
        log.append(1, bytes("payload-" + i));
      }
      assertThatThrownBy(() -> log.append(1, bytes("payload-5"))).isInstanceOf(StorageException.class)
          .hasMessageContaining("No space left on device").hasMessageContaining("offset 5");
      assertThat(log.nextOffset()).isEqualTo(5);
      assertThat(payloads(log.read(0, 10))).containsExactly("payload-0", "payload-1", "payload-2", "payload-3",
          "payload-4");
      assertThat(events.ofType("replication.log.write-failed")).hasSize(1);
      disk.setFree(1 << 20);
      assertThat(log.append(1, bytes("payload-5"))).isEqualTo(5);
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config().build())) {
      assertThat(log.recovery().repaired()).isFalse();
      assertThat(log.read(0, 10)).hasSize(6);
    }
  }

  @Test
  void fullDiskFailsEveryWaitingGroupCommitAppend() throws Exception {
    FullDiskChannels disk = new FullDiskChannels(1 << 20);
    try (ReplicationLog log = ReplicationLog.open(dir,
        config().channelFactory(disk).segmentBytes(2048).build())) {
      log.append(1, bytes("before"));
      disk.setFree(100);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Long>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          fs.add(pool.submit(() -> {
            long ok = 0;
            for (int i = 0; i < 50; i++) {
              try {
                log.append(1, new byte[64]);
                ok++;
              } catch (StorageException e) {
                assertThat(e).hasMessageContaining("No space left on device");
              }
            }
            return ok;
          }));
        }
        long ok = 0;
        for (Future<Long> f : fs) {
          ok += f.get(30, TimeUnit.SECONDS);
        }
        assertThat(log.nextOffset()).isEqualTo(1 + ok);
        assertThat(log.read(0, 1000)).hasSize((int) (1 + ok));
      } finally {
        pool.shutdownNow();
      }
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(2048).build())) {
      assertThat(log.recovery().repaired()).isFalse();
      assertThat(payloads(log.read(0, 1))).containsExactly("before");
    }
  }

  @Test
  void deletesOldSegmentsBySize() {
    try (ReplicationLog log = ReplicationLog.open(dir,
        config().segmentBytes(1024).retentionBytes(3000).build())) {
      for (int i = 0; i < 200; i++) {
        log.append(1, bytes("payload-" + i));
      }
      assertThat(log.segmentFiles().size()).isLessThanOrEqualTo(4);
      assertThat(log.startOffset()).isGreaterThan(0);
      assertThatThrownBy(() -> log.read(0, 1)).isInstanceOf(OffsetUnavailableException.class);
      assertThat(log.read(log.startOffset(), 1)).hasSize(1);
      assertThat(events.ofType("replication.log.segment-deleted")).isNotEmpty();
    }
  }

  @Test
  void deletesSegmentsByAgeAndOnceEveryReplicaAcknowledged() {
    try (ReplicationLog log = ReplicationLog.open(dir,
        config().segmentBytes(1024).retentionAge(Duration.ofHours(1)).deleteAcknowledged(true).build())) {
      for (int i = 0; i < 100; i++) {
        log.append(1, bytes("payload-" + i));
      }
      int segs = log.segmentFiles().size();
      log.acknowledge("backup", 40);
      assertThat(log.startOffset()).isGreaterThan(0).isLessThanOrEqualTo(41);
      assertThat(log.segmentFiles().size()).isLessThan(segs);
      clock.advance(Duration.ofHours(2));
      log.applyRetention();
      assertThat(log.segmentFiles()).hasSize(1);
      assertThat(log.nextOffset()).isEqualTo(100);
    }
  }

  @Test
  void quarantinesDivergentSuffixAndCutsTheLog() {
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      for (int i = 0; i < 50; i++) {
        log.append(1, bytes("p" + i));
      }
      QuarantineFile q = log.quarantineFrom(30);
      assertThat(q).isNotNull();
      assertThat(q.count()).isEqualTo(20);
      assertThat(payloads(ReplicationLog.readQuarantine(q.path()))).first().isEqualTo("p30");
      assertThat(log.quarantineFiles()).containsExactly(q.path());
      assertThat(log.nextOffset()).isEqualTo(30);
      assertThat(events.ofType("replication.divergence.quarantined")).hasSize(1);
      assertThat(log.append(2, bytes("new"))).isEqualTo(30);
      assertThat(log.quarantineFrom(31)).isNull();
    }
    try (ReplicationLog log = ReplicationLog.open(dir, config().segmentBytes(1024).build())) {
      assertThat(log.nextOffset()).isEqualTo(31);
      assertThat(log.epochHistory().entries()).containsExactly(new EpochHistory.Entry(1, 0),
          new EpochHistory.Entry(2, 30));
    }
  }
}
