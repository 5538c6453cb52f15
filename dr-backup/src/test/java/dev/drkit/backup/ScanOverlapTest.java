package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.StorageException;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup scans its source on the calling thread while a second thread loads the snapshots, the
 * index and the parent's files: each can proceed while the other waits, the source is never called
 * from another thread, and a failed load still fails the backup with its own exception.
 */
class ScanOverlapTest {
  @TempDir Path tmp;

  /** A store whose snapshot listing waits for {@link #scanned} while {@link #gate} is set, or fails. */
  static final class GatedStore extends ForwardingBlobStore {
    final CountDownLatch scanned = new CountDownLatch(1);
    volatile boolean gate;
    volatile boolean fail;
    final List<String> listingThreads = new CopyOnWriteArrayList<>();

    GatedStore(Path dir) {
      super(new FileSystemBlobStore(dir));
    }

    @Override
    public List<BlobInfo> list(String prefix) {
      if (prefix.startsWith("snapshots")) {
        listingThreads.add(Thread.currentThread().getName());
        if (fail) {
          throw new StorageException("snapshot listing failed (injected)");
        }
        if (gate) {
          try {
            if (!scanned.await(60, TimeUnit.SECONDS)) {
              throw new StorageException("the scan never ran while the snapshots were being listed");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted", e);
          }
        }
      }
      return super.list(prefix);
    }
  }

  /** A tree source that records the threads it is called on and signals when its scan ran. */
  static final class RecordingSource implements BackupSource {
    final FileTreeSource tree;
    final CountDownLatch scanned;
    final List<Thread> threads = new CopyOnWriteArrayList<>();
    volatile boolean fail;

    RecordingSource(Path root, CountDownLatch scanned) {
      this.tree = FileTreeSource.of(root);
      this.scanned = scanned;
    }

    @Override
    public String description() {
      return tree.description();
    }

    @Override
    public void prepare() {
      threads.add(Thread.currentThread());
    }

    @Override
    public void release() {
      threads.add(Thread.currentThread());
    }

    @Override
    public void scan(Consumer<SourceEntry> sink) throws IOException {
      threads.add(Thread.currentThread());
      if (fail) {
        throw new IOException("source unreadable (injected)");
      }
      tree.scan(sink);
      scanned.countDown();
    }
  }

  @Test
  void theScanRunsOnTheCallingThreadWhileTheRepositoryLoads() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(5), 20);
    GatedStore store = new GatedStore(tmp.resolve("repo"));
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), "pw".toCharArray(),
        RepositoryOptions.builder().host("h").build())) {
      Snapshot full = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      RecordingSource source = new RecordingSource(src, store.scanned);
      store.gate = true; // the listing now waits for the scan: a backup that loads first never ends
      store.listingThreads.clear();
      Snapshot inc = repo.backup(BackupRequest.builder(source).type(BackupType.INCREMENTAL).build());
      assertThat(inc.parent()).isEqualTo(full.id());
      assertThat(inc.stats().filesUnchanged()).isEqualTo(full.stats().files());
      assertThat(inc.tree()).isEqualTo(full.tree());
      assertThat(source.threads).hasSize(3).containsOnly(Thread.currentThread());
      assertThat(store.listingThreads).containsExactly("drkit-backup-load");
    }
  }

  @Test
  void aFailedLoadFailsTheBackupAfterTheScanAndWinsOverAFailedScan() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(6), 10);
    GatedStore store = new GatedStore(tmp.resolve("repo"));
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").build())) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      RecordingSource source = new RecordingSource(src, new CountDownLatch(1));
      store.fail = true;
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(source))).isInstanceOf(StorageException.class)
          .hasMessageContaining("snapshot listing failed (injected)");
      assertThat(source.threads).hasSize(3); // prepared, scanned, released

      source.fail = true;
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(source))).isInstanceOf(StorageException.class)
          .hasMessageContaining("snapshot listing failed (injected)")
          .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
              .satisfies(s -> assertThat(s).hasMessageContaining("source unreadable (injected)")));

      store.fail = false;
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(source))).isInstanceOf(StorageException.class)
          .hasMessageContaining("source unreadable (injected)");
      // the lock was released every time: a backup of the healthy source goes through
      source.fail = false;
      assertThat(repo.backup(BackupRequest.of(source)).stats().files()).isEqualTo(12);
      assertThat(repo.snapshots()).hasSize(2);
    }
  }
}
