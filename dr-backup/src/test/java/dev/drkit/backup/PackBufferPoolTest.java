package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.MemoryBudget;
import dev.drkit.backup.internal.PackWriter;
import dev.drkit.core.StorageException;
import dev.drkit.core.config.EncryptionConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup seals its blobs into a bounded pool of pack buffers: at most {@code writeConcurrency + 2}
 * exist, an encoder that needs another waits until an upload ends, and every buffer returns to the
 * pool when its upload ends, also when the store fails (the writer then fails with the store's own
 * exception and the repository stays whole).
 */
class PackBufferPoolTest {
  private static final char[] PASS = "pool".toCharArray();
  private static final int PACK = 1 << 20;
  @TempDir Path tmp;

  /** A directory store whose pack writes can wait on a gate and fail from the nth on. */
  static final class GatedStore extends ForwardingBlobStore {
    final int failFromPack;
    final CountDownLatch gate;
    final AtomicInteger packPuts = new AtomicInteger();
    final AtomicInteger waiting = new AtomicInteger();

    GatedStore(Path dir, int failFromPack, boolean open) {
      super(new FileSystemBlobStore(dir));
      this.failFromPack = failFromPack;
      this.gate = new CountDownLatch(open ? 0 : 1);
    }

    @Override
    public int writeConcurrency() {
      return 2;
    }

    private void pack(String key) {
      if (!key.startsWith("packs/")) {
        return;
      }
      int n = packPuts.incrementAndGet();
      waiting.incrementAndGet();
      try {
        if (!gate.await(60, TimeUnit.SECONDS)) {
          throw new StorageException("gate not opened writing " + key);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("interrupted", e);
      } finally {
        waiting.decrementAndGet();
      }
      if (failFromPack > 0 && n >= failFromPack) {
        throw new StorageException("device unplugged (injected) writing " + key);
      }
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) {
      pack(key);
      return delegate.putIfAbsent(key, content);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content, int offset, int length) {
      pack(key);
      return delegate.putIfAbsent(key, content, offset, length);
    }
  }

  private static RepositoryOptions opts() {
    return RepositoryOptions.builder().packSize(PACK).chunkSizes(16 << 10, 64 << 10, 256 << 10).parallelism(2)
        .host("h").build();
  }

  private Path initRepo() {
    Path dir = tmp.resolve("repo");
    Repository.init(new FileSystemBlobStore(dir), EncryptionConfig.aes256Gcm("prompt"), PASS, opts()).close();
    return dir;
  }

  /** Adds {@code count} random blobs of 200 KiB (incompressible, about five to a pack). */
  private static void addBlobs(Ctx ctx, PackWriter w, int count, long seed) {
    Random rnd = new Random(seed);
    byte[] data = new byte[200 << 10];
    byte[] scratch = new byte[BlobCodec.scratchSize(data.length)];
    for (int i = 0; i < count; i++) {
      rnd.nextBytes(data);
      Id id = ctx.codec().id(data, 0, data.length);
      w.add(BlobCodec.DATA, id, data.length, scratch, ctx.codec().compress(data, 0, data.length, scratch));
    }
  }

  @Test
  void aFailingStoreGetsEveryBufferBackAndTheWriterFailsWithItsError() throws Exception {
    Path dir = initRepo();
    GatedStore store = new GatedStore(dir, 3, true);
    try (Repository repo = Repository.open(store, PASS, opts())) {
      Ctx ctx = repo.ctx();
      PackWriter w = new PackWriter(ctx, Index.load(ctx.store(), ctx.crypto()));
      ExecutorService encoders = Executors.newFixedThreadPool(2);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          long seed = t;
          fs.add(encoders.submit(() -> addBlobs(ctx, w, 60, seed)));
        }
        AtomicReference<Throwable> seen = new AtomicReference<>();
        for (Future<?> f : fs) {
          try {
            f.get(60, TimeUnit.SECONDS);
          } catch (java.util.concurrent.ExecutionException e) {
            seen.compareAndSet(null, e.getCause());
          }
        }
        Throwable failure = seen.get();
        if (failure == null) {
          failure = org.assertj.core.api.Assertions.catchThrowable(w::finish);
        }
        assertThat(failure).isInstanceOf(StorageException.class).hasMessageContaining("device unplugged (injected)");
      } finally {
        w.abandon();
        encoders.shutdown();
      }
      assertThat(w.buffersInUse()).as("pack buffers not returned to the pool").isZero();
      assertThat(w.buffersCreated()).isBetween(1, MemoryBudget.packBuffers(store.writeConcurrency()));
      assertThat(store.packPuts.get()).isGreaterThanOrEqualTo(3);
    }
    // what the failed writer stored is whole: the repository verifies, its packs read back
    try (Repository repo = Repository.open(new FileSystemBlobStore(dir), PASS, opts())) {
      assertThat(repo.verify(true, null).ok()).isTrue();
    }
  }

  @Test
  void aFailedUploadFailsTheBackupAndReturnsEveryBuffer() throws Exception {
    Path dir = initRepo();
    Path src = java.nio.file.Files.createDirectories(tmp.resolve("src"));
    Random rnd = new Random(3);
    for (int i = 0; i < 12; i++) {
      byte[] b = new byte[700_000];
      rnd.nextBytes(b);
      java.nio.file.Files.write(src.resolve("f" + i), b);
    }
    GatedStore store = new GatedStore(dir, 2, true);
    try (Repository repo = Repository.open(store, PASS, opts())) {
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(FileTreeSource.of(src))))
          .isInstanceOf(StorageException.class).hasMessageContaining("device unplugged (injected)");
      assertThat(repo.snapshots()).isEmpty();
      assertThat(store.list("locks/")).isEmpty();
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(dir), PASS, opts())) {
      assertThat(repo.verify(true, null).ok()).isTrue();
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      repo.restore(s.id(), tmp.resolve("out"));
      TestTrees.assertSameTree(src, tmp.resolve("out"));
    }
  }

  @Test
  void anEncoderWaitsForABufferWhileAllAreOutAndGoesOnWhenAnUploadEnds() throws Exception {
    Path dir = initRepo();
    GatedStore store = new GatedStore(dir, 0, false);
    int buffers = MemoryBudget.packBuffers(store.writeConcurrency());
    try (Repository repo = Repository.open(store, PASS, opts())) {
      Ctx ctx = repo.ctx();
      PackWriter w = new PackWriter(ctx, Index.load(ctx.store(), ctx.crypto()));
      AtomicReference<Thread> encoder = new AtomicReference<>();
      ExecutorService one = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "encoder");
        encoder.set(t);
        return t;
      });
      try {
        // far more blobs than the pool holds: 2 uploads blocked in the store, 1 pack filling
        Future<?> f = one.submit(() -> addBlobs(ctx, w, 5 * (buffers + 2), 9));
        await("both uploaders blocked in the store").atMost(Duration.ofSeconds(60))
            .until(() -> store.waiting.get() == store.writeConcurrency());
        await("the encoder waits for a pack buffer").atMost(Duration.ofSeconds(60))
            .until(() -> w.buffersInUse() == buffers && encoder.get().getState() == Thread.State.WAITING);
        assertThat(f).isNotDone();
        assertThat(w.buffersCreated()).isEqualTo(buffers);
        store.gate.countDown();
        f.get(60, TimeUnit.SECONDS);
        w.finish();
      } finally {
        store.gate.countDown();
        w.abandon();
        one.shutdown();
      }
      assertThat(w.buffersCreated()).isEqualTo(buffers);
      assertThat(w.buffersInUse()).isZero();
      assertThat(w.packs()).isEqualTo(store.packPuts.get());
      assertThat(w.packs()).isGreaterThanOrEqualTo(buffers + 2);
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(dir), PASS, opts())) {
      assertThat(repo.verify(true, null).ok()).isTrue();
    }
  }
}
