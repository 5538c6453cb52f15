package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.DrException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.StorageException;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.backup.spi.SourceEntry;
import java.io.FilterInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumeAndConcurrencyTest {
  @TempDir Path tmp;

  /** Wraps a tree source: counts prepare/release, and can fail while reading one file. */
  static final class HookedSource implements BackupSource {
    final FileTreeSource tree;
    final String failOn;
    final AtomicInteger prepared = new AtomicInteger();
    final AtomicInteger released = new AtomicInteger();

    HookedSource(Path root, String failOn) {
      this.tree = FileTreeSource.of(root);
      this.failOn = failOn;
    }

    @Override
    public String description() {
      return tree.description();
    }

    @Override
    public void prepare() {
      prepared.incrementAndGet();
    }

    @Override
    public void release() {
      released.incrementAndGet();
    }

    @Override
    public void scan(Consumer<SourceEntry> sink) throws IOException {
      tree.scan(e -> {
        if (e.type() == EntryType.FILE && e.pathString().equals(failOn)) {
          sink.accept(SourceEntry.file(e.path(), e.size(), e.mode(), e.mtime(), e.fileKey(),
              () -> new FilterInputStream(e.openContent()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                  // unchecked: a source's IOException only skips its entry, this fails the backup
                  throw new java.io.UncheckedIOException(new IOException("disk read error (injected)"));
                }
              }));
        } else {
          sink.accept(e);
        }
      });
    }
  }

  private static Path tree(Path root, int files, long seed) throws IOException {
    Files.createDirectories(root);
    Random rnd = new Random(seed);
    for (int i = 0; i < files; i++) {
      byte[] b = new byte[700_000];
      rnd.nextBytes(b);
      Files.write(root.resolve(String.format("f%02d", i)), b);
    }
    return root;
  }

  @Test
  void interruptedBackupLeavesNoSnapshotAndTheNextOneReusesItsPacks() throws IOException {
    Path src = tree(tmp.resolve("src"), 12, 1);
    List<DrEvent> events = new CopyOnWriteArrayList<>();
    EventBus bus = new EventBus();
    bus.register(events::add);
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).parallelism(1).eventBus(bus).build();
    InMemoryBlobStore store = new InMemoryBlobStore();
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, opts)) {
      HookedSource failing = new HookedSource(src, "f11");
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(failing))).isInstanceOf(StorageException.class)
          .hasMessageContaining("f11");
      assertThat(failing.prepared.get()).isEqualTo(1);
      assertThat(failing.released.get()).isEqualTo(1);
      assertThat(repo.snapshots()).isEmpty();
      assertThat(store.list("packs/")).isNotEmpty();
      assertThat(store.list("locks/")).isEmpty();
      assertThat(events).extracting(DrEvent::type).contains("backup.failed");

      HookedSource ok = new HookedSource(src, "none");
      List<Progress> progress = new CopyOnWriteArrayList<>();
      Snapshot s = repo.backup(BackupRequest.builder(ok).listener(progress::add).build());
      assertThat(ok.released.get()).isEqualTo(1);
      // most of the 12 chunks were uploaded by the failed run and are reused
      assertThat(s.stats().blobsAdded()).isLessThan(12);
      assertThat(progress).last().satisfies(p -> {
        assertThat(p.done()).isTrue();
        assertThat(p.bytesDone()).isEqualTo(12 * 700_000L);
        assertThat(p.bytesTotal()).isEqualTo(12 * 700_000L);
        assertThat(p.filesTotal()).isEqualTo(12);
      });
      Path out = tmp.resolve("out");
      repo.restore(s.id(), out);
      TestTrees.assertSameTree(src, out);
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
    }
  }

  @Test
  void releaseRunsEvenWhenPrepareFails() {
    AtomicInteger released = new AtomicInteger();
    BackupSource broken = new BackupSource() {
      @Override
      public String description() {
        return "broken";
      }

      @Override
      public void prepare() throws IOException {
        throw new IOException("cannot freeze");
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        throw new AssertionError("must not scan after a failed prepare");
      }

      @Override
      public void release() {
        released.incrementAndGet();
      }
    };
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null,
        RepositoryOptions.defaults())) {
      assertThatThrownBy(() -> repo.backup(BackupRequest.of(broken))).isInstanceOf(DrException.class)
          .hasMessageContaining("cannot freeze");
    }
    assertThat(released.get()).isEqualTo(1);
  }

  @Test
  void concurrentBackupsOfDifferentSourcesBothSucceed() throws Exception {
    Path a = tree(tmp.resolve("a"), 6, 2);
    Path b = tree(tmp.resolve("b"), 6, 3);
    Files.copy(a.resolve("f00"), b.resolve("shared-with-a"));
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).build();
    Repository.init(store, EncryptionConfig.none(), null, opts).close();
    List<CompletableFuture<Snapshot>> runs = new ArrayList<>();
    for (Path src : List.of(a, b)) {
      runs.add(CompletableFuture.supplyAsync(() -> {
        try (Repository repo = Repository.open(store, null, opts)) {
          return repo.backup(BackupRequest.of(FileTreeSource.of(src)));
        }
      }));
    }
    Snapshot sa = runs.get(0).get(60, TimeUnit.SECONDS);
    Snapshot sb = runs.get(1).get(60, TimeUnit.SECONDS);
    try (Repository repo = Repository.open(store, null, opts)) {
      assertThat(repo.snapshots()).hasSize(2);
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      repo.restore(sa.id(), tmp.resolve("ra"));
      repo.restore(sb.id(), tmp.resolve("rb"));
      TestTrees.assertSameTree(a, tmp.resolve("ra"));
      TestTrees.assertSameTree(b, tmp.resolve("rb"));
      // prune keeps everything both snapshots need, even duplicated blobs
      repo.prune(ProgressListener.NONE);
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
    }
    assertThat(store.list("locks/")).isEmpty();
  }
}
