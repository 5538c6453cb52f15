package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Frames;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The performance paths of {@link ReplicationLog}: group commit hand-over and resumed sequential reads. */
class ReplicationLogFastPathTest {
  @TempDir Path dir;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private ReplicationLog open(Durability durability) {
    return ReplicationLog.open(dir, LogConfig.builder("svc").durability(durability).eventBus(new EventBus()).build());
  }

  @Test
  void sequentialReadAfterACutReadsTheNewRecordsNotTheBytesTheLastReadEndedAt() {
    try (ReplicationLog log = open(Durability.groupCommit())) {
      for (int i = 0; i < 10; i++) {
        log.append(1, bytes("old-record-with-a-long-payload-" + i));
      }
      int frame = Frames.frameSize(bytes("old-record-with-a-long-payload-0").length);
      FrameBatch first = log.readFrames(0, 3 * frame); // a partial read: the next one resumes at its end
      assertThat(first).isNotNull();
      long resumeAt = first.firstOffset() + first.count();
      assertThat(resumeAt).isEqualTo(3);

      assertThat(log.quarantineFrom(resumeAt - 1)).isNotNull(); // cut below where the last read ended
      for (long o = resumeAt - 1; o < 12; o++) {
        log.append(1, bytes("n" + o)); // shorter frames: old byte positions no longer match offsets
      }

      // reading the quarantined suffix left a read position at old offset 10; offset 10 now lies elsewhere
      List<LogRecord> tail = log.read(10, 10);
      assertThat(tail).extracting(r -> new String(r.payload(), StandardCharsets.UTF_8)).containsExactly("n10", "n11");
      List<LogRecord> again = log.read(resumeAt, 100);
      assertThat(again).extracting(LogRecord::offset).startsWith(resumeAt);
      assertThat(again).hasSize((int) (12 - resumeAt));
      for (LogRecord r : again) {
        assertThat(new String(r.payload(), StandardCharsets.UTF_8)).isEqualTo("n" + r.offset());
      }
      assertThat(new String(log.read(1, 1).get(0).payload(), StandardCharsets.UTF_8))
          .isEqualTo("old-record-with-a-long-payload-1");
    }
  }

  @Test
  void sequentialReadsInSmallStepsReturnEveryRecordOnceInOrder() {
    try (ReplicationLog log = open(Durability.groupCommit())) {
      for (int i = 0; i < 2000; i++) {
        log.append(1, bytes("r" + i));
      }
      long next = 0;
      while (next < 2000) {
        FrameBatch b = log.readFrames(next, 100);
        assertThat(b).isNotNull();
        List<LogRecord> recs = log.read(next, b.count());
        for (LogRecord r : recs) {
          assertThat(new String(r.payload(), StandardCharsets.UTF_8)).isEqualTo("r" + r.offset());
        }
        next += b.count();
      }
      assertThat(log.readFrames(2000, 100)).isNull();
    }
  }

  @Test
  void groupCommitAppendsReturnOnlyOnceDurableAndEveryRecordIsForcedExactlyOnce() throws Exception {
    int writers = 16;
    int perWriter = 150;
    try (ReplicationLog log = open(Durability.groupCommit())) {
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          int id = w;
          results.add(pool.submit(() -> {
            int notDurable = 0;
            for (int i = 0; i < perWriter; i++) {
              long off = log.append(1, bytes("w" + id + "-" + i));
              if (log.durableOffset() < off) {
                notDurable++;
              }
            }
            return notDurable;
          }));
        }
        for (Future<Integer> f : results) {
          assertThat(f.get(60, TimeUnit.SECONDS)).as("appends that returned before their force").isZero();
        }
      } finally {
        pool.shutdownNow();
      }
      long total = (long) writers * perWriter;
      assertThat(log.durableOffset()).isEqualTo(total - 1);
      assertThat(log.forcedRecords()).isEqualTo(total);
      assertThat(log.forceCount()).isBetween(1L, total);
      assertThat(log.longestForceNanos()).isPositive();
    }
  }
}
