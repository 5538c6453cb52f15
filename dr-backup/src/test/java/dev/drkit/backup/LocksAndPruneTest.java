package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.internal.Locks;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.testkit.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocksAndPruneTest {
  @TempDir Path tmp;

  @Test
  void sharedLocksCoexistAndExclusiveWaitsForThem() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    FakeClock clock = new FakeClock();
    Duration lease = Duration.ofMinutes(5);
    Locks.Held a = Locks.acquire(store, "backup A", "h1", false, clock, lease);
    Locks.Held b = Locks.acquire(store, "backup B", "h2", false, clock, lease);
    assertThatThrownBy(() -> Locks.acquire(store, "prune", "h3", true, clock, lease))
        .isInstanceOf(RepositoryLockedException.class).hasMessageContaining("backup");
    assertThat(store.list("locks/")).hasSize(2);
    a.close();
    b.close();
    Locks.Held prune = Locks.acquire(store, "prune", "h3", true, clock, lease);
    assertThatThrownBy(() -> Locks.acquire(store, "backup C", "h1", false, clock, lease))
        .isInstanceOf(RepositoryLockedException.class).hasMessageContaining("exclusively by prune");
    prune.close();
    assertThat(store.list("locks/")).isEmpty();
  }

  @Test
  void staleLockOfACrashedProcessExpiresByItselfButARefreshedOneDoesNot() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    FakeClock clock = new FakeClock();
    Duration lease = Duration.ofMinutes(5);
    Locks.acquire(store, "crashed backup", "h1", false, clock, lease); // never released
    Locks.Held alive = Locks.acquire(store, "live backup", "h2", false, clock, lease);
    clock.advance(Duration.ofMinutes(4));
    alive.refresh();
    clock.advance(Duration.ofMinutes(2)); // crashed lease expired, live one refreshed
    assertThatThrownBy(() -> Locks.acquire(store, "prune", "h3", true, clock, lease))
        .isInstanceOf(RepositoryLockedException.class).hasMessageContaining("live backup");
    assertThat(store.list("locks/")).hasSize(1); // the stale one was removed
    clock.advance(Duration.ofMinutes(10));
    Locks.acquire(store, "prune", "h3", true, clock, lease).close();
  }

  @Test
  void aLeaseLapsesForItsHolderAMarginBeforeOthersMayTakeIt() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    FakeClock clock = new FakeClock();
    Duration lease = Duration.ofSeconds(100); // margin 10 s
    Locks.Held held = Locks.acquire(store, "backup A", "h1", false, clock, lease);
    clock.advance(Duration.ofSeconds(89));
    held.check("nothing"); // 89 + 10 < 100: still valid for the holder
    clock.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> held.check("snapshot not written; run the backup again"))
        .isInstanceOf(LeaseExpiredException.class)
        .hasMessageContaining("lock lease of backup A expired at " + Instant.parse("2026-01-01T00:01:40Z"))
        .hasMessageContaining("snapshot not written; run the backup again");
    clock.advance(Duration.ofSeconds(19)); // 109 s: expired, but within everyone else's margin
    assertThatThrownBy(() -> Locks.acquire(store, "prune", "h2", true, clock, lease))
        .isInstanceOf(RepositoryLockedException.class);
    clock.advance(Duration.ofSeconds(1)); // 110 s: expires + margin
    Locks.acquire(store, "prune", "h2", true, clock, lease).close();
  }

  @Test
  void aRefreshAfterTheLeaseLapsedDoesNotReviveIt() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    FakeClock clock = new FakeClock();
    Duration lease = Duration.ofSeconds(100);
    Locks.Held held = Locks.acquire(store, "backup A", "h1", false, clock, lease);
    clock.advance(Duration.ofSeconds(50));
    held.refresh(); // in time: now expires at 150
    clock.advance(Duration.ofSeconds(95));
    assertThatThrownBy(held::refresh).isInstanceOf(LeaseExpiredException.class);
    clock.set(clock.instant().minusSeconds(90)); // even if the clock came back, the lock stays lost
    assertThatThrownBy(() -> held.check("x")).isInstanceOf(LeaseExpiredException.class);
    assertThat(held.lapsed()).isTrue();
  }

  @Test
  void aLockRemovedByAnotherProcessIsLostAtTheNextRefresh() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    FakeClock clock = new FakeClock();
    Duration lease = Duration.ofSeconds(100);
    Locks.Held held = Locks.acquire(store, "backup A", "h1", false, clock, lease);
    store.delete(held.key());
    assertThatThrownBy(held::refresh).isInstanceOf(LeaseExpiredException.class)
        .hasMessageContaining("was removed by another process");
    assertThat(store.list("locks/")).as("a lost lock is not written again").isEmpty();
  }

  @Test
  void pruneIsRefusedWhileABackupHoldsTheRepository() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, RepositoryOptions.defaults())) {
      Locks.Held other = Locks.acquire(store, "backup elsewhere", "other", false, Clock.systemUTC(),
          Duration.ofMinutes(5));
      assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(RepositoryLockedException.class);
      assertThatThrownBy(() -> repo.forget(List.of("latest"))).isInstanceOf(RepositoryLockedException.class);
      other.close();
    }
  }

  @Test
  void forgetThenPruneReclaimsSpaceAndKeepsTheRest() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Random rnd = new Random(5);
    InMemoryBlobStore store = new InMemoryBlobStore();
    List<Progress> progress = new ArrayList<>();
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).build();
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), "pw".toCharArray(), opts)) {
      List<Snapshot> snaps = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        byte[] b = new byte[2_000_000];
        rnd.nextBytes(b);
        Files.write(src.resolve("gen-" + i), b);
        if (i > 0) {
          Files.delete(src.resolve("gen-" + (i - 1)));
        }
        Files.writeString(src.resolve("common"), "always here");
        snaps.add(repo.backup(BackupRequest.of(FileTreeSource.of(src))));
      }
      long before = size(store);
      assertThat(repo.forget(List.of(snaps.get(0).id(), snaps.get(1).shortId())))
          .containsExactly(snaps.get(0).id(), snaps.get(1).id());
      PruneResult r = repo.prune(progress::add);
      assertThat(r.packsDeleted()).isPositive();
      assertThat(r.blobsRemoved()).isPositive();
      assertThat(size(store)).isLessThan(before - 3_000_000);
      assertThat(r.bytesFreed()).isPositive();
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      Path out = tmp.resolve("out");
      repo.restore(snaps.get(2).id(), out);
      TestTrees.assertSameTree(src, out);
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(snaps.get(2).id());
      PruneResult again = repo.prune(ProgressListener.NONE);
      assertThat(again.packsDeleted()).isZero();
    }
    assertThat(progress).last().satisfies(p -> assertThat(p.done()).isTrue());
  }

  /**
   * {@code maxUnused} (restic's {@code --max-unused}): 100 % only deletes what nothing uses, a
   * middle value repacks just enough of the partly used packs, 0 % repacks them all; the data
   * stays whole throughout.
   */
  @Test
  void maxUnusedLeavesPartlyUsedPacksWithinTheLimitAndRepacksTheRest() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Random rnd = new Random(9);
    InMemoryBlobStore store = new InMemoryBlobStore();
    // one encoder thread: which file lands in which pack is then the same in every run
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).chunkSizes(64 << 10, 128 << 10, 1 << 20)
        .parallelism(1).build();
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), "pw".toCharArray(), opts)) {
      for (int i = 0; i < 40; i++) {
        byte[] b = new byte[100_000];
        rnd.nextBytes(b);
        Files.write(src.resolve("f" + i), b);
      }
      Snapshot all = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      for (int i = 0; i < 40; i += 2) {
        Files.delete(src.resolve("f" + i));
      }
      Snapshot half = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      repo.forget(List.of(all.id()));
      long before = size(store);

      PruneResult none = repo.prune(1.0, ProgressListener.NONE);
      assertThat(none.packsRepacked()).as("100 %% tolerates every partly used pack").isZero();
      assertThat(none.packsWritten()).isZero();
      assertThat(size(store)).isGreaterThan(before - 200_000); // at most a pack nothing used went

      PruneResult some = repo.prune(0.25, ProgressListener.NONE);
      assertThat(some.packsRepacked()).isPositive();
      assertThat(some.bytesFreed()).isPositive();
      PruneResult rest = repo.prune(0.0, ProgressListener.NONE);
      assertThat(rest.packsRepacked()).as("25 %% left some partly used packs for 0 %% to repack").isPositive();
      assertThat(repo.prune(0.0, ProgressListener.NONE).packsRepacked()).isZero();
      assertThat(size(store)).isLessThan(before - 1_500_000);

      assertThat(repo.verify(true, ProgressListener.NONE).ok()).isTrue();
      repo.restore(half.id(), tmp.resolve("out"));
      TestTrees.assertSameTree(src, tmp.resolve("out"));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> repo.prune(1.5, ProgressListener.NONE))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxUnused");
    }
  }

  private static long size(InMemoryBlobStore store) {
    return store.list("").stream().mapToLong(BlobInfo::size).sum();
  }
}
