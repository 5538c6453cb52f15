package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.Node;
import dev.drkit.backup.internal.PackEntry;
import dev.drkit.backup.internal.Packs;
import dev.drkit.backup.internal.SnapshotFiles;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pack-ordered, parallel restore: seeded random trees come back byte for byte with any
 * parallelism (whole, over an earlier restore, and in part); a damaged blob met mid-restore fails
 * with the integrity error naming it and leaves no partial file under a final name; a restore cut
 * off by a store outage leaves only complete files and, run again, gives the whole tree.
 */
class ParallelRestoreTest {
  private static final char[] PASS = "parallel".toCharArray();
  /** Small chunks and packs: many blobs per file, many packs per tree, runs split across packs. */
  private static final RepositoryOptions SMALL = RepositoryOptions.builder().host("h").packSize(1 << 20)
      .chunkSizes(4 << 10, 16 << 10, 64 << 10).build();
  @TempDir Path tmp;

  private static RepositoryOptions withParallelism(int n) {
    return RepositoryOptions.builder().host("h").packSize(1 << 20).parallelism(n).build();
  }

  @Test
  void restoresSeededRandomTreesByteForByteWithAnyParallelism() throws IOException {
    Path repoDir = tmp.resolve("repo");
    Random rnd = new Random(20261206);
    List<Path> sources = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    try (Repository repo = Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.aes256Gcm("prompt"),
        PASS, SMALL)) {
      for (int t = 0; t < 4; t++) {
        Path src = tmp.resolve("src" + t);
        TestTrees.randomTree(src, rnd, 25 + rnd.nextInt(30));
        if (t > 0) { // shares content with the earlier trees: blobs used by many files of many snapshots
          Files.copy(sources.get(0).resolve("sparse.img"), src.resolve("copy-of-sparse.img"));
        }
        sources.add(src);
        ids.add(repo.backup(BackupRequest.of(FileTreeSource.of(src))).id());
      }
    }
    for (int t = 0; t < sources.size(); t++) {
      int parallelism = 1 + rnd.nextInt(4);
      Path src = sources.get(t);
      try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, withParallelism(parallelism))) {
        Path out = tmp.resolve("out" + t);
        RestoreResult r = repo.restore(ids.get(t), out);
        assertThat(TestTrees.describe(out)).as("tree %d, parallelism %d", t, parallelism)
            .isEqualTo(TestTrees.describe(src));
        assertThat(r.bytes()).isEqualTo(fileBytes(src));

        // again over the first restore, after damaging it: every file is replaced, none written through
        List<Path> files = regularFiles(out);
        Path victim = files.get(rnd.nextInt(files.size()));
        Files.delete(victim);
        Files.writeString(victim, "stale");
        Path linked = files.get(rnd.nextInt(files.size()));
        Path outsider = Files.writeString(tmp.resolve("outsider-" + t), "must stay");
        Files.delete(linked);
        Files.createSymbolicLink(linked, outsider);
        repo.restore(ids.get(t), out);
        assertThat(TestTrees.describe(out)).as("tree %d restored over itself", t).isEqualTo(TestTrees.describe(src));
        assertThat(Files.readString(outsider)).isEqualTo("must stay");

        // a part: one file with its parent directories
        Path pick = regularFiles(src).get(rnd.nextInt(regularFiles(src).size()));
        String include = src.relativize(pick).toString();
        Path part = tmp.resolve("part" + t);
        repo.restore(ids.get(t), part, List.of(include), ProgressListener.NONE);
        String key = src.toUri().relativize(pick.toUri()).getRawPath();
        Map<String, String> expected = new TreeMap<>(TestTrees.describe(src));
        expected.keySet().removeIf(k -> !k.equals(key) && !key.startsWith(k + "/"));
        assertThat(TestTrees.describe(part)).as("part %s of tree %d", include, t).isEqualTo(expected);
      }
    }
  }

  @Test
  void aDirectoryWhereAFileGoesFailsTheRestoreAndIsLeftAsItWas() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("d"));
    Files.writeString(src.resolve("d/file.txt"), "content");
    Files.writeString(src.resolve("one.txt"), "a file of one blob");
    Files.write(src.resolve("zeros.bin"), new byte[3000]); // one all-zero blob, left as a hole
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")),
        EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      String id = repo.backup(BackupRequest.of(FileTreeSource.of(src))).id();
      Path out = tmp.resolve("out");
      repo.restore(id, out);
      assertThat(TestTrees.describe(out)).isEqualTo(TestTrees.describe(src));
      assertThat(Files.size(out.resolve("zeros.bin"))).isEqualTo(3000);
      assertThat(Files.readAllBytes(out.resolve("zeros.bin"))).isEqualTo(new byte[3000]);

      for (boolean empty : new boolean[] {true, false}) {
        Path blocked = tmp.resolve("blocked-" + empty);
        Files.createDirectories(blocked.resolve("d/file.txt"));
        if (!empty) {
          Files.writeString(blocked.resolve("d/file.txt/inside"), "kept");
        }
        assertThatThrownBy(() -> repo.restore(id, blocked)).as("empty directory: %s", empty)
            .isInstanceOf(UnsafePathException.class)
            .hasMessageContaining("refusing to replace directory " + blocked.resolve("d/file.txt"));
        assertThat(blocked.resolve("d/file.txt")).isDirectory();
        if (!empty) {
          assertThat(Files.readString(blocked.resolve("d/file.txt/inside"))).isEqualTo("kept");
        }
        try (Stream<Path> s = Files.walk(blocked)) {
          assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".drkit-restore-"));
        }
      }
    }
  }

  @Test
  void aDamagedBlobMidRestoreFailsNamingItAndLeavesNoPartialFile() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Random rnd = new Random(7);
    for (int i = 0; i < 12; i++) {
      byte[] b = new byte[200_000 + rnd.nextInt(200_000)]; // several 4-64 KiB chunks each
      rnd.nextBytes(b);
      Files.write(src.resolve("f" + i), b);
    }
    InMemoryBlobStore store = new InMemoryBlobStore();
    Path out = tmp.resolve("out");
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Ctx ctx = repo.ctx();
      Index index = Index.load(ctx.store(), ctx.crypto());
      Node f6 = SnapshotFiles.entries(ctx, index, s).stream()
          .filter(n -> n.type() == EntryType.FILE && n.pathString().equals("f6")).findFirst().orElseThrow();
      assertThat(f6.chunks()).hasSizeGreaterThan(2);
      Id middle = f6.chunks()[f6.chunks().length / 2]; // earlier chunks of f6 are fine
      PackEntry e = index.get(middle);
      byte[] pack = store.get(Packs.key(e.pack()));
      pack[e.offset() + e.length() / 2] ^= 0x10;
      store.put(Packs.key(e.pack()), pack);

      assertThatThrownBy(() -> repo.restore(s.id(), out)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining("blob " + middle.hex()).hasMessageContaining("pack " + Packs.key(e.pack()));
    }
    assertThat(out.resolve("f6")).doesNotExist();
    assertNoTemporaryFiles(out);
    for (Path p : regularFiles(out)) { // what is there is complete and exact
      Path original = src.resolve(p.getFileName().toString());
      assertThat(Files.readAllBytes(p)).as("%s", p).isEqualTo(Files.readAllBytes(original));
    }
  }

  @Test
  void aRestoreCutOffByAStoreOutageLeavesOnlyCompleteFilesAndRunAgainGivesTheTree() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(99), 60);
    OutageStore store = new OutageStore(new FileSystemBlobStore(tmp.resolve("repo")));
    String id;
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      id = repo.backup(BackupRequest.of(FileTreeSource.of(src))).id();
    }
    Path out = tmp.resolve("out");
    try (Repository repo = Repository.open(store, PASS, withParallelism(3))) {
      store.packReadsLeft.set(4); // the store goes away after four reads of packs
      assertThatThrownBy(() -> repo.restore(id, out)).isInstanceOf(StorageException.class)
          .hasMessageContaining("outage");
      assertNoTemporaryFiles(out);
      Map<String, String> want = TestTrees.describe(src);
      Map<String, String> got = TestTrees.describe(out);
      got.forEach((key, what) -> { // every file there is complete: content, size, mode and time
        if (what.startsWith("file ")) {
          assertThat(what).as("%s after the outage", key).isEqualTo(want.get(key));
        }
      });
      store.packReadsLeft.set(Integer.MAX_VALUE);
      repo.restore(id, out);
    }
    assertThat(TestTrees.describe(out)).isEqualTo(TestTrees.describe(src));
    assertNoTemporaryFiles(out);
  }

  private static void assertNoTemporaryFiles(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".drkit-restore-"));
    }
  }

  private static List<Path> regularFiles(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
  }

  private static long fileBytes(Path root) throws IOException {
    long n = 0;
    for (Path p : regularFiles(root)) {
      n += Files.size(p);
    }
    return n;
  }

  /** A store whose range reads of packs fail once a budget is used up, as when a remote store goes away. */
  private static final class OutageStore extends ForwardingBlobStore {
    final AtomicInteger packReadsLeft = new AtomicInteger(Integer.MAX_VALUE);

    OutageStore(BlobStore delegate) {
      super(delegate);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
      if (key.startsWith("packs/") && packReadsLeft.getAndDecrement() <= 0) {
        throw new StorageException("injected outage reading " + key);
      }
      return delegate.getRange(key, offset, length);
    }
  }
}
