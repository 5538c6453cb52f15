package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packs travel to the store on uploader threads, as many at once as the store's
 * {@link BlobStore#writeConcurrency()}: the uploads really overlap, never exceed that number, a
 * failed upload fails the backup with the store's own exception and leaves no upload running, and
 * the repository stays whole.
 */
class ParallelUploadTest {
  private static final char[] PASS = "parallel".toCharArray();
  @TempDir Path tmp;

  /**
   * A real directory store whose pack writes are counted and can fail from the nth on. The first
   * {@code concurrency} pack writes wait for each other: each holds its upload open until that many
   * are in flight at once (or gives up after a minute, and the test's overlap assert fails), so the
   * uploads overlap however the machine schedules the threads, without sleeping.
   */
  static final class SlowPackStore extends ForwardingBlobStore {
    final int concurrency;
    final int failFromPack;
    final CountDownLatch overlap;
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final AtomicInteger packPuts = new AtomicInteger();

    SlowPackStore(Path dir, int concurrency, int failFromPack) {
      super(new FileSystemBlobStore(dir));
      this.concurrency = concurrency;
      this.failFromPack = failFromPack;
      this.overlap = new CountDownLatch(concurrency);
    }

    @Override
    public int writeConcurrency() {
      return concurrency;
    }

    private void slowPack(String key) {
      if (!key.startsWith("packs/")) {
        return;
      }
      int n = packPuts.incrementAndGet();
      if (failFromPack > 0 && n >= failFromPack) {
        throw new StorageException("no space left on the medium (injected) writing " + key);
      }
      int now = running.incrementAndGet();
      maxRunning.accumulateAndGet(now, Math::max);
      try {
        overlap.countDown();
        overlap.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("interrupted", e);
      } finally {
        running.decrementAndGet();
      }
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) {
      slowPack(key);
      return delegate.putIfAbsent(key, content);
    }

    @Override
    public void put(String key, byte[] content) {
      slowPack(key);
      delegate.put(key, content);
    }
  }

  private static Path tree(Path root, int files) throws IOException {
    Files.createDirectories(root);
    Random rnd = new Random(7);
    for (int i = 0; i < files; i++) {
      byte[] b = new byte[600_000];
      rnd.nextBytes(b);
      Files.write(root.resolve("f" + i), b);
    }
    return root;
  }

  private static RepositoryOptions opts() {
    return RepositoryOptions.builder().packSize(1 << 20).parallelism(2).host("h").build();
  }

  private static long uploaderThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("drkit-pack-upload") && t.isAlive()).count();
  }

  @Test
  void packsUploadConcurrentlyUpToTheStoresWriteConcurrencyAndRestoreWhole() throws Exception {
    Path src = tree(tmp.resolve("src"), 24);
    SlowPackStore store = new SlowPackStore(tmp.resolve("repo"), 3, 0);
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, opts())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      assertThat(store.packPuts.get()).isGreaterThanOrEqualTo(8);
      assertThat(store.maxRunning.get()).as("uploads in flight at once").isEqualTo(3);
      assertThat(s.stats().packsWritten()).isEqualTo(store.packPuts.get());
      assertThat(repo.verify(true, null).ok()).isTrue();
      repo.restore(s.id(), tmp.resolve("out"));
      TestTrees.assertSameTree(src, tmp.resolve("out"));
    }
    waitForNoUploader();
  }

  @Test
  void aFailedUploadFailsTheBackupWithTheStoresErrorAndKeepsEarlierSnapshotsWhole() throws Exception {
    Path src = tree(tmp.resolve("src"), 24);
    Path repoDir = tmp.resolve("repo");
    String first;
    try (Repository repo = Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.aes256Gcm("prompt"),
        PASS, opts())) {
      first = repo.backup(BackupRequest.of(FileTreeSource.of(tree(tmp.resolve("small"), 3)))).id();
    }
    SlowPackStore failing = new SlowPackStore(repoDir, 3, 4);
    try (Repository repo = Repository.open(failing, PASS, opts())) {
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(FileTreeSource.of(src))))
          .isInstanceOf(StorageException.class).hasMessageContaining("no space left on the medium (injected)");
      // no upload outlives the failed backup (the lock is released right after)
      waitForNoUploader();
      assertThat(failing.list("locks/")).isEmpty();
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(first);
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, opts())) {
      assertThat(repo.verify(true, null).ok()).isTrue();
      repo.restore(first, tmp.resolve("out"));
      TestTrees.assertSameTree(tmp.resolve("small"), tmp.resolve("out"));
      // and the next backup completes, reusing whatever packs the failed one finished
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      repo.restore(s.id(), tmp.resolve("out2"));
      TestTrees.assertSameTree(src, tmp.resolve("out2"));
    }
  }

  private static void waitForNoUploader() {
    // the pool's threads end just after shutdown
    await("no uploader thread left").atMost(Duration.ofSeconds(60)).until(() -> uploaderThreads() == 0);
  }
}
