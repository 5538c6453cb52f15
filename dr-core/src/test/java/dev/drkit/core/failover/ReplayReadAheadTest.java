package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.PreparingRebuildTarget;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The replay's read-ahead: the log is read (and a {@link PreparingRebuildTarget}'s batches
 * prepared) on a second thread one batch ahead of the apply, with the same result, the same errors
 * and no thread left behind.
 */
class ReplayReadAheadTest {
  private static final String READER = ReadAhead.threadName("orders");
  private static final Clock CLOCK = Clock.fixed(FakeRebuild.T0, ZoneOffset.UTC);

  private static Replayer replayer(FakeRebuild f, RebuildRequest request, int batchRecords, long batchBytes) {
    return replayer(f, f, request, batchRecords, batchBytes);
  }

  private static Replayer replayer(FakeRebuild log, dev.drkit.core.spi.RebuildTarget target, RebuildRequest request,
      int batchRecords, long batchBytes) {
    SnapshotRef snap = log.snapshots.get(0);
    log.loadSnapshot("orders", Site.PRIMARY, snap, 2);
    return new Replayer("orders", Site.PRIMARY, snap, request, 2, log, target, CLOCK, batchRecords, batchBytes);
  }

  private static boolean readerAlive() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(READER) && t.isAlive());
  }

  /** Runs the replay on its own thread, so that a test can interrupt it. */
  private static Future<Map<String, String>> start(Replayer r, AtomicReference<Thread> thread) {
    CompletableFuture<Map<String, String>> out = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        out.complete(r.run());
      } catch (Throwable e) {
        out.completeExceptionally(e);
      }
    }, "replay-under-test");
    thread.set(t);
    t.start();
    return out;
  }

  @ParameterizedTest(name = "batches of {0} records, target {1}")
  @CsvSource({"1, end", "2, end", "3, end", "7, end", "4096, end", "1, 9", "3, 9", "3, 10", "5, 12", "4096, 12",
      "2, 4", "3, 3"})
  void appliesEveryRecordOnceInOrderAndCountsThePastTargetWhateverTheBatchSize(int batch, String to) {
    FakeRebuild f = new FakeRebuild().puts(20);
    f.snapshot("aaaa1111", 4, FakeRebuild.T0.plusSeconds(4));
    RebuildRequest request = to.equals("end") ? RebuildRequest.latest()
        : RebuildRequest.latest().withTargetOffset(Long.parseLong(to));
    long last = to.equals("end") ? 19 : Math.max(3, Long.parseLong(to));

    Map<String, String> out = call(replayer(f, request, batch, 1L << 20));

    assertThat(f.violations).isEmpty();
    assertThat(f.store).isEqualTo(f.expectedUpTo(last));
    assertThat(out.get(Replayer.ATTR_APPLIED)).isEqualTo(Long.toString(last - 3));
    assertThat(out.get(Replayer.ATTR_SKIPPED)).isEqualTo(Long.toString(19 - last));
    assertThat(out.get(Replayer.ATTR_STOP)).isEqualTo(to.equals("end") ? "end" : "target");
    for (String call : f.calls.subList(1, f.calls.size())) {
      String[] range = call.split(" ")[1].split("\\.\\.");
      assertThat(Long.parseLong(range[1]) - Long.parseLong(range[0]) + 1).as(call).isLessThanOrEqualTo(batch);
    }
    assertThat(readerAlive()).isFalse();
  }

  @Test
  void aBatchEndsAtItsPayloadBytesAsWellAsAtItsRecordCount() {
    FakeRebuild f = new FakeRebuild();
    for (int i = 0; i < 23; i++) {
      f.add(String.format("put k%02d v%02d", i, i)); // 11 bytes each
    }
    f.snapshot("aaaa1111", 0, FakeRebuild.T0);

    call(replayer(f, RebuildRequest.latest(), 1000, 55));

    assertThat(f.calls.subList(1, f.calls.size())).containsExactly("apply 0..4 @2", "apply 5..9 @2",
        "apply 10..14 @2", "apply 15..19 @2", "apply 20..22 @2");
    assertThat(f.store).isEqualTo(f.expectedUpTo(22));
  }

  @Test
  void theLogIsReadAheadWhileABatchIsBeingApplied() throws Exception {
    FakeRebuild f = new FakeRebuild().puts(12);
    f.snapshot("aaaa1111", 0, FakeRebuild.T0);
    CountDownLatch secondBatchRead = new CountDownLatch(1);
    f.readHook = from -> {
      if (from >= 4) {
        secondBatchRead.countDown();
      }
    };
    List<Boolean> readWhileApplying = new ArrayList<>();
    f.hook = where -> {
      if (where.equals("apply") && readWhileApplying.isEmpty()) {
        try {
          readWhileApplying.add(secondBatchRead.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };

    call(replayer(f, RebuildRequest.latest(), 4, 1L << 20));

    assertThat(readWhileApplying).containsExactly(true);
    assertThat(f.store).isEqualTo(f.expectedUpTo(11));
  }

  @Test
  void aGapFoundAheadStopsTheReplayNamingTheOffsetAfterEveryEarlierBatchWasApplied() {
    FakeRebuild f = new FakeRebuild().puts(20);
    f.snapshot("aaaa1111", 4, FakeRebuild.T0.plusSeconds(4));
    f.gapAt = 13;

    assertThatThrownBy(() -> replayer(f, RebuildRequest.latest(), 3, 1L << 20).run())
        .isInstanceOf(IntegrityException.class)
        .hasMessage("rebuild of 'orders': gap in the log at offset 13 (the next record read is offset 14);"
            + " recovered: snapshot aaaa1111 and log records 4..12 (9 records); rebuild again with a target offset"
            + " before the damage to serve what was recovered");
    assertThat(f.store).isEqualTo(f.expectedUpTo(12));
    assertThat(readerAlive()).isFalse();
  }

  @Test
  void aDamagedRecordFoundAheadStopsTheReplayNamingTheOffset() {
    FakeRebuild f = new FakeRebuild().puts(20);
    f.snapshot("aaaa1111", 4, FakeRebuild.T0.plusSeconds(4));
    f.damagedAt = 9;

    assertThatThrownBy(() -> replayer(f, RebuildRequest.latest(), 2, 1L << 20).run())
        .isInstanceOf(IntegrityException.class)
        .hasMessageStartingWith("log orders: record at offset 9 fails its checksum; recovered: snapshot aaaa1111"
            + " and log records 4..8 (5 records)");
    assertThat(f.store).isEqualTo(f.expectedUpTo(8));
    assertThat(readerAlive()).isFalse();
  }

  @Test
  void damagePastTheTargetOnlyCutsTheCountShort() throws Exception {
    FakeRebuild f = new FakeRebuild().puts(20);
    f.snapshot("aaaa1111", 4, FakeRebuild.T0.plusSeconds(4));
    f.damagedAt = 15;

    Map<String, String> out = replayer(f, RebuildRequest.latest().withTargetOffset(8), 3, 1L << 20).run();

    assertThat(f.store).isEqualTo(f.expectedUpTo(8));
    assertThat(out.get(Replayer.ATTR_SKIPPED)).isEqualTo("6");
    assertThat(out.get(Replayer.ATTR_SKIPPED_NOTE)).startsWith("counted up to offset 14: log orders: record at offset"
        + " 15 fails its checksum");
  }

  @Test
  void interruptingTheReplayWhileTheReaderWaitsToHandOverStopsBothThreads() throws Exception {
    FakeRebuild f = new FakeRebuild().puts(40);
    f.snapshot("aaaa1111", 0, FakeRebuild.T0);
    CountDownLatch applying = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    f.hook = where -> {
      if (where.equals("apply")) {
        applying.countDown();
        try {
          never.await(); // the target honours interruption
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("apply interrupted", e);
        }
      }
    };
    AtomicReference<Thread> replay = new AtomicReference<>();
    Future<Map<String, String>> run = start(replayer(f, RebuildRequest.latest(), 2, 1L << 20), replay);
    assertThat(applying.await(30, TimeUnit.SECONDS)).isTrue();

    replay.get().interrupt();

    assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().hasMessage("apply interrupted");
    replay.get().join(TimeUnit.SECONDS.toMillis(30));
    assertThat(replay.get().isAlive()).isFalse();
    assertThat(readerAlive()).isFalse();
  }

  @Test
  void interruptingTheReplayWhileItWaitsForTheReaderStopsBothThreads() throws Exception {
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 0, FakeRebuild.T0);
    CountDownLatch reading = new CountDownLatch(1);
    AtomicReference<Throwable> readerSaw = new AtomicReference<>();
    f.readHook = from -> {
      reading.countDown();
      try {
        new CountDownLatch(1).await(); // a log that hangs until interrupted
      } catch (InterruptedException e) {
        readerSaw.set(e);
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("read interrupted");
    };
    AtomicReference<Thread> replay = new AtomicReference<>();
    Future<Map<String, String>> run = start(replayer(f, RebuildRequest.latest(), 4, 1L << 20), replay);
    assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();

    replay.get().interrupt();

    assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(InterruptedException.class).hasMessage("rebuild of 'orders' interrupted at offset 0");
    assertThat(readerSaw.get()).as("the reader was interrupted too").isInstanceOf(InterruptedException.class);
    assertThat(readerAlive()).isFalse();
    assertThat(f.calls).containsExactly("load aaaa1111 into PRIMARY @2");
  }

  /** A target that decodes on the reader thread and applies on the replay's thread. */
  private static final class Preparing implements PreparingRebuildTarget<List<String>> {
    final FakeRebuild f;
    final List<String> prepareThreads = new CopyOnWriteArrayList<>();
    final List<String> applyThreads = new CopyOnWriteArrayList<>();
    final List<String> applied = new CopyOnWriteArrayList<>();
    long failAt = -1;

    Preparing(FakeRebuild f) {
      this.f = f;
    }

    @Override
    public void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) {
      f.loadSnapshot(service, site, snapshot, epoch);
    }

    @Override
    public List<String> prepare(String service, List<ReplayRecord> records) throws IOException {
      prepareThreads.add(Thread.currentThread().getName());
      List<String> ops = new ArrayList<>();
      for (ReplayRecord r : records) {
        if (r.offset() == failAt) {
          throw new IOException("record at offset " + r.offset() + " is not an operation");
        }
        ops.add(r.offset() + ":" + new String(r.payload(), StandardCharsets.UTF_8));
      }
      return ops;
    }

    @Override
    public void applyPrepared(String service, Site site, List<ReplayRecord> records, List<String> prepared,
        long epoch) {
      applyThreads.add(Thread.currentThread().getName());
      assertThat(prepared).hasSameSizeAs(records);
      applied.addAll(prepared);
      f.apply(service, site, records, epoch);
    }
  }

  @Test
  void aPreparingTargetPreparesOnTheReaderAndAppliesWhatItPreparedInOrderOnTheReplaysThread() throws Exception {
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 2, FakeRebuild.T0.plusSeconds(2));
    Preparing target = new Preparing(f);
    AtomicReference<Thread> replay = new AtomicReference<>();

    Map<String, String> out = start(replayer(f, target, RebuildRequest.latest().withTargetOffset(8), 3, 1L << 20),
        replay).get(30, TimeUnit.SECONDS);

    assertThat(target.prepareThreads).containsOnly(READER).hasSize(3);
    assertThat(target.applyThreads).containsOnly("replay-under-test").hasSize(3);
    assertThat(target.applied).containsExactly("2:put k2 v2", "3:put k3 v3", "4:put k4 v4", "5:put k5 v5",
        "6:put k6 v6", "7:put k7 v7", "8:put k8 v8");
    assertThat(f.store).isEqualTo(f.expectedUpTo(8));
    assertThat(out.get(Replayer.ATTR_SKIPPED)).isEqualTo("1");
    assertThat(readerAlive()).isFalse();
  }

  @Test
  void anExceptionInPrepareSurfacesAsThrownAfterTheBatchesBeforeItWereApplied() {
    FakeRebuild f = new FakeRebuild().puts(20);
    f.snapshot("aaaa1111", 0, FakeRebuild.T0);
    Preparing target = new Preparing(f);
    target.failAt = 13;

    assertThatThrownBy(() -> replayer(f, target, RebuildRequest.latest(), 4, 1L << 20).run())
        .isInstanceOf(IOException.class).hasMessage("record at offset 13 is not an operation");
    assertThat(f.store).isEqualTo(f.expectedUpTo(11));
    assertThat(target.applied).hasSize(12);
    assertThat(readerAlive()).isFalse();
  }

  private static Map<String, String> call(Replayer r) {
    try {
      return r.run();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
