package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.testkit.FakeClock;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The findings of issue 11 about pauses and races, each reproduced deterministically: one process
 * (a {@link ControlledStore} over the shared store, a handle of its own, the shared fake clock) is
 * paused at a chosen store operation while another runs.
 */
class LeaseAndRaceTest {
  private static final Duration LEASE = Duration.ofSeconds(10);
  @TempDir Path tmp;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-03-01T00:00:00Z"));
  private final InMemoryBlobStore shared = new InMemoryBlobStore();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private RepositoryOptions options() {
    return RepositoryOptions.builder().clock(clock).lockLease(LEASE).chunkSizes(256, 1024, 4096).build();
  }

  private Repository handle(ControlledStore store) {
    return Repository.open(store, null, options());
  }

  private Path tree(String name, Map<String, byte[]> files) throws IOException {
    Path root = tmp.resolve(name);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Files.createDirectories(root.resolve(e.getKey()).getParent());
      Files.write(root.resolve(e.getKey()), e.getValue());
    }
    return root;
  }

  private static byte[] random(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private void assertRestores(Repository repo, Snapshot s, Map<String, byte[]> files) throws IOException {
    Path out = tmp.resolve("restore-" + s.id() + "-" + System.nanoTime());
    repo.restore(s.id(), out);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      assertThat(Files.readAllBytes(out.resolve(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
    }
  }

  /**
   * Finding 1: a backup paused past its lease while forget --prune removed the earlier snapshot
   * used to resume, exit 0 and write a snapshot whose tree blob is in no index.
   */
  @Test
  void backupPausedPastItsLeaseWhilePruneRanRefusesToWriteItsSnapshot() throws Exception {
    Map<String, byte[]> files = Map.of("a.bin", random(20_000, 1), "dir/b.bin", random(9_000, 2));
    Path src = tree("src", files);
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    Snapshot first;
    try (Repository r = handle(new ControlledStore(shared))) {
      first = r.backup(BackupRequest.of(FileTreeSource.of(src)));
    }
    ControlledStore paused = new ControlledStore(shared).faultOn("putIfAbsent snapshots/", ControlledStore.Fault.PAUSE);
    try (Repository backupProcess = handle(paused)) {
      Future<Snapshot> backup = pool.submit(() -> backupProcess.backup(BackupRequest.of(FileTreeSource.of(src))));
      assertThat(paused.awaitPaused(30)).as("backup reached its snapshot write").isTrue();
      clock.advance(LEASE.multipliedBy(2)); // the pause outlasts the lease
      try (Repository other = handle(new ControlledStore(shared))) {
        other.forget(List.of(first.id()));
        PruneResult pr = other.prune(ProgressListener.NONE);
        assertThat(pr.packsDeleted()).isPositive(); // everything the paused backup deduplicated against
      }
      paused.resume();
      assertThatThrownBy(() -> backup.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(LeaseExpiredException.class)
          .cause().hasMessageContaining("lock lease of backup of").hasMessageContaining("expired at")
          .hasMessageContaining("snapshot not written; run the backup again");
    }
    try (Repository after = handle(new ControlledStore(shared))) {
      assertThat(after.snapshots()).as("no snapshot of the refused backup").isEmpty();
      assertThat(after.verify(true, ProgressListener.NONE).damage()).isEmpty();
      Snapshot again = after.backup(BackupRequest.of(FileTreeSource.of(src)));
      assertRestores(after, again, files);
    }
  }

  /** A refresh that comes after the lease lapsed does not revive it: the backup still refuses. */
  @Test
  void aLateRefreshDoesNotReviveALapsedLease() throws Exception {
    Path src = tree("src", Map.of("x", random(5_000, 3)));
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    ControlledStore paused = new ControlledStore(shared).faultOn("list packs/", ControlledStore.Fault.PAUSE);
    try (Repository backupProcess = handle(paused)) {
      Future<Snapshot> backup = pool.submit(() -> backupProcess.backup(BackupRequest.of(FileTreeSource.of(src))));
      assertThat(paused.awaitPaused(30)).isTrue();
      clock.advance(LEASE.plusSeconds(2));
      try (Repository other = handle(new ControlledStore(shared))) {
        other.prune(ProgressListener.NONE); // takes the lapsed backup's lock for expired and removes it
      }
      paused.resume();
      assertThatThrownBy(() -> backup.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(LeaseExpiredException.class);
    }
    try (Repository after = handle(new ControlledStore(shared))) {
      assertThat(after.snapshots()).isEmpty();
      assertThat(shared.list("locks/")).isEmpty();
    }
  }

  /**
   * Finding 2: a restore racing a prune failed with "pack ... is missing" although nothing was
   * damaged. The restore now holds a shared lock, so the prune waits its turn.
   */
  @Test
  void restoreRacingPruneNeverReportsMissingPacks() throws Exception {
    Map<String, byte[]> both = new HashMap<>(Map.of("keep.bin", random(30_000, 4), "drop.bin", random(30_000, 5)));
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    Snapshot second;
    Snapshot first;
    try (Repository r = handle(new ControlledStore(shared))) {
      first = r.backup(BackupRequest.of(FileTreeSource.of(tree("one", both))));
      Files.delete(tmp.resolve("one/drop.bin"));
      second = r.backup(BackupRequest.of(FileTreeSource.of(tmp.resolve("one"))));
      r.forget(List.of(first.id())); // keep.bin's pack is now partly used: a prune repacks and deletes it
    }
    ControlledStore paused = new ControlledStore(shared).faultOn("getRange packs/", ControlledStore.Fault.PAUSE);
    try (Repository reader = handle(paused)) {
      Path out = tmp.resolve("out");
      Future<RestoreResult> restore = pool.submit(() -> reader.restore(second.id(), out));
      assertThat(paused.awaitPaused(30)).isTrue();
      try (Repository other = handle(new ControlledStore(shared))) {
        assertThatThrownBy(() -> other.prune(ProgressListener.NONE)).isInstanceOf(RepositoryLockedException.class)
            .hasMessageContaining("restore of " + second.id());
      }
      paused.resume();
      assertThat(restore.get(60, TimeUnit.SECONDS).files()).isEqualTo(1);
      assertThat(Files.readAllBytes(out.resolve("keep.bin"))).isEqualTo(both.get("keep.bin"));
    }
  }

  /**
   * A restore paused past its lease while a prune repacked its data re-reads the index and
   * restores from the new copies instead of reporting damage.
   */
  @Test
  void restorePausedPastItsLeaseReadsTheRepackedCopies() throws Exception {
    Map<String, byte[]> both = new HashMap<>(Map.of("keep.bin", random(30_000, 6), "drop.bin", random(30_000, 7)));
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    Snapshot second;
    try (Repository r = handle(new ControlledStore(shared))) {
      Snapshot first = r.backup(BackupRequest.of(FileTreeSource.of(tree("one", both))));
      Files.delete(tmp.resolve("one/drop.bin"));
      second = r.backup(BackupRequest.of(FileTreeSource.of(tmp.resolve("one"))));
      r.forget(List.of(first.id()));
    }
    ControlledStore paused = new ControlledStore(shared).faultOn("getRange packs/", ControlledStore.Fault.PAUSE);
    try (Repository reader = handle(paused)) {
      Path out = tmp.resolve("out");
      Future<RestoreResult> restore = pool.submit(() -> reader.restore(second.id(), out));
      assertThat(paused.awaitPaused(30)).isTrue();
      clock.advance(LEASE.multipliedBy(2));
      try (Repository other = handle(new ControlledStore(shared))) {
        assertThat(other.prune(ProgressListener.NONE).packsRepacked()).isPositive();
      }
      paused.resume();
      restore.get(60, TimeUnit.SECONDS);
      assertThat(Files.readAllBytes(out.resolve("keep.bin"))).isEqualTo(both.get("keep.bin"));
    }
  }

  /**
   * Finding 3: index files of before a prune copied back made verify report a sound snapshot as
   * damaged, and the next backup deduplicate against blobs whose packs are gone.
   */
  @Test
  void replayedIndexFilesAreStaleEntriesNeitherDamageNorDeduplicated() throws Exception {
    Map<String, byte[]> both = new HashMap<>(Map.of("keep.bin", random(30_000, 8), "drop.bin", random(30_000, 9)));
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    Path one = tree("one", both);
    try (Repository r = handle(new ControlledStore(shared))) {
      Snapshot first = r.backup(BackupRequest.of(FileTreeSource.of(one)));
      Map<String, byte[]> oldIndex = new HashMap<>();
      for (BlobInfo i : shared.list("index/")) {
        oldIndex.put(i.key(), shared.get(i.key()));
      }
      Files.delete(one.resolve("drop.bin"));
      Snapshot second = r.backup(BackupRequest.of(FileTreeSource.of(one)));
      r.forget(List.of(first.id()));
      r.prune(ProgressListener.NONE);
      oldIndex.forEach(shared::putIfAbsent); // the replay
      VerifyReport report = r.verify(false, ProgressListener.NONE);
      assertThat(report.damage()).as("a sound snapshot is not damaged").isEmpty();
      assertThat(report.staleIndexEntries()).isPositive();
      assertThat(report.notices()).anySatisfy(n -> assertThat(n).contains("stale index entries").contains("packs/"));
      assertThat(r.verify(true, ProgressListener.NONE).damage()).isEmpty();
      assertRestores(r, second, Map.of("keep.bin", both.get("keep.bin")));
      // drop.bin's blobs exist only in the replayed, stale entries: the backup must store them again
      Files.write(one.resolve("drop.bin"), both.get("drop.bin"));
      Snapshot third = r.backup(BackupRequest.of(FileTreeSource.of(one)));
      assertThat(third.stats().bytesAdded()).isGreaterThanOrEqualTo(30_000);
      assertRestores(r, third, both);
      assertThat(r.verify(true, ProgressListener.NONE).damage()).isEmpty();
      r.prune(ProgressListener.NONE);
      assertThat(r.verify(false, ProgressListener.NONE).staleIndexEntries()).isZero();
      assertRestores(r, third, both);
    }
  }

  /** A prune paused past its lease after naming its deletions: a backup meanwhile does not reuse them. */
  @Test
  void prunePausedBeforeItsDeletesDoesNotRemoveWhatABackupStartedMeanwhileUses() throws Exception {
    Map<String, byte[]> files = Map.of("a.bin", random(20_000, 10));
    Path src = tree("src", files);
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    try (Repository r = handle(new ControlledStore(shared))) {
      Snapshot s = r.backup(BackupRequest.of(FileTreeSource.of(src)));
      Snapshot t = r.backup(BackupRequest.of(FileTreeSource.of(tree("other", Map.of("c.bin", random(9_000, 11))))));
      r.forget(List.of(s.id(), t.id())); // two packs to delete
    }
    ControlledStore paused = new ControlledStore(shared).faultOn("delete packs/", ControlledStore.Fault.PAUSE);
    try (Repository pruneProcess = handle(paused)) {
      Future<PruneResult> prune = pool.submit(() -> pruneProcess.prune(ProgressListener.NONE));
      assertThat(paused.awaitPaused(30)).isTrue();
      clock.advance(LEASE.multipliedBy(2));
      Snapshot meanwhile;
      try (Repository other = handle(new ControlledStore(shared))) {
        meanwhile = other.backup(BackupRequest.of(FileTreeSource.of(src)));
        assertThat(meanwhile.stats().bytesAdded()).as("the doomed pack is not reused").isGreaterThanOrEqualTo(20_000);
      }
      paused.resume();
      assertThatThrownBy(() -> prune.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(LeaseExpiredException.class)
          .cause().hasMessageContaining("prune stopped before deleting all it planned");
      try (Repository after = handle(new ControlledStore(shared))) {
        assertRestores(after, meanwhile, files);
        assertThat(after.verify(true, ProgressListener.NONE).damage()).isEmpty();
        after.prune(ProgressListener.NONE); // finishes the interrupted prune's deletions
        assertThat(shared.list("deletions/")).isEmpty();
        assertRestores(after, meanwhile, files);
      }
    }
  }

  /** A read-only store (a replica, read-only credentials) refuses lock files: readers run without one. */
  @Test
  void readersWorkOnAReadOnlyStoreWithoutALock() throws Exception {
    Map<String, byte[]> files = Map.of("a.bin", random(10_000, 12));
    Repository.init(shared, EncryptionConfig.none(), null, options()).close();
    Snapshot s;
    try (Repository r = handle(new ControlledStore(shared))) {
      s = r.backup(BackupRequest.of(FileTreeSource.of(tree("src", files))));
    }
    dev.drkit.core.spi.BlobStore readOnly = new ForwardingBlobStore(shared) {
      @Override
      public boolean putIfAbsent(String key, byte[] content) {
        throw new dev.drkit.core.StorageException("read-only store: cannot write " + key);
      }

      @Override
      public void put(String key, byte[] content) {
        throw new dev.drkit.core.StorageException("read-only store: cannot write " + key);
      }

      @Override
      public boolean delete(String key) {
        throw new dev.drkit.core.StorageException("read-only store: cannot delete " + key);
      }
    };
    List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.drkit.core.EventBus bus = dev.drkit.core.EventBus.of(e -> events.add(e.type()));
    RepositoryOptions o = RepositoryOptions.builder().clock(clock).lockLease(LEASE).eventBus(bus).build();
    try (Repository r = Repository.open(readOnly, null, o)) {
      assertRestores(r, s, files);
      assertThat(r.verify(true, ProgressListener.NONE).ok()).isTrue();
      assertThatThrownBy(() -> r.prune(ProgressListener.NONE)).isInstanceOf(dev.drkit.core.StorageException.class);
    }
    assertThat(events).contains("lock.unavailable");
    assertThat(shared.list("locks/")).isEmpty();
  }

  /** Two key removals at once could remove the last two slots; removal now takes the repository alone. */
  @Test
  void keyRemovalHoldsTheRepositoryAlone() throws Exception {
    RepositoryOptions o = RepositoryOptions.builder().clock(clock).lockLease(LEASE).build();
    char[] pw = "first passphrase".toCharArray();
    Repository.init(shared, EncryptionConfig.aes256Gcm("prompt"), pw, o).close();
    ControlledStore paused = new ControlledStore(shared).faultOn("delete keys/", ControlledStore.Fault.PAUSE);
    try (Repository a = Repository.open(paused, pw, o)) {
      a.addKey("second passphrase".toCharArray());
      List<KeySlot> keys = a.keys();
      assertThat(keys).hasSize(2);
      Future<?> removeFirst = pool.submit(() -> a.removeKey(keys.get(0).id()));
      assertThat(paused.awaitPaused(30)).isTrue();
      try (Repository b = Repository.open(new ControlledStore(shared), pw, o)) {
        assertThatThrownBy(() -> b.removeKey(keys.get(1).id())).isInstanceOf(RepositoryLockedException.class);
      }
      paused.resume();
      removeFirst.get(60, TimeUnit.SECONDS);
    }
    assertThat(shared.list("keys/")).hasSize(1);
  }
}
