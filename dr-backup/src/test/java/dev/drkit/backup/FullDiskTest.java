package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.drkit.core.StorageFullException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk under the repository or under a restore target: the distinct
 * {@link StorageFullException} naming what was written, and nothing damaged. A backup cut off at
 * any point by the lack of space leaves the repository verifying clean, every earlier snapshot
 * restorable and no temporary file behind, and succeeds once space was freed; a restore into a
 * full target leaves no partial file under a final name and succeeds once space was freed. The
 * disk is a byte budget ({@link FullDisk}), or {@code /dev/full} for the JDK's own ENOSPC.
 */
class FullDiskTest {
  private static final char[] PASS = "full-disk".toCharArray();
  private static final RepositoryOptions SMALL = RepositoryOptions.builder().host("h").packSize(1 << 20)
      .chunkSizes(4 << 10, 16 << 10, 64 << 10).build();
  @TempDir Path tmp;

  private static void files(Path dir, Random rnd, String prefix, int count) throws IOException {
    Files.createDirectories(dir.resolve("sub"));
    for (int i = 0; i < count; i++) {
      byte[] data = new byte[rnd.nextInt(300_000)];
      rnd.nextBytes(data);
      Files.write(dir.resolve((i % 2 == 0 ? "" : "sub/") + prefix + i + ".bin"), data);
    }
  }

  private static List<Path> named(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
    }
  }

  @Test
  void theJdksOwnEnospcFromDevFullIsAStorageFullExceptionNamingTheKey() throws IOException {
    assumeThat(Files.isWritable(FullDisk.DEV_FULL)).as("/dev/full exists").isTrue();
    Path root = tmp.resolve("store");
    FileSystemBlobStore store = new FileSystemBlobStore(root, FullDisk.devFullTempWriter());
    for (boolean ifAbsent : new boolean[] {true, false}) {
      assertThatThrownBy(() -> {
        if (ifAbsent) {
          store.putIfAbsent("packs/ab", new byte[4096]);
        } else {
          store.put("index/cd", new byte[4096]);
        }
      }).as("putIfAbsent: %s", ifAbsent)
          .isInstanceOfSatisfying(StorageFullException.class, e -> {
            String key = ifAbsent ? "packs/ab" : "index/cd";
            assertThat(e.target()).isEqualTo(key);
            assertThat(e.usableBytes()).isPresent();
            assertThat(e.getCause()).isInstanceOf(IOException.class)
                .isNotInstanceOf(java.nio.file.FileSystemException.class) // the JDK's, not the test's
                .hasMessageContaining("No space left on device");
          })
          .hasMessageContaining(ifAbsent ? "packs/ab" : "index/cd")
          .hasMessageContaining("free space there or move it to a larger volume")
          .hasMessageContaining("nothing was damaged");
    }
    assertThat(store.list("")).isEmpty();
    assertThat(store.temporaryFiles()).isEmpty();
    assertThat(named(root, "#tmp-")).isEmpty();
  }

  @Test
  void anOtherWriteErrorIsNotMistakenForAFullDisk() {
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("store"), (file, b, off, len) -> {
      Files.write(file, new byte[1]);
      throw new java.nio.file.FileSystemException(file.toString(), null, "Input/output error");
    });
    assertThatThrownBy(() -> store.put("packs/ab", new byte[10]))
        .isInstanceOf(dev.drkit.core.StorageException.class).isNotInstanceOf(StorageFullException.class)
        .hasMessageContaining("packs/ab").hasMessageContaining("Input/output error");
    assertThat(store.temporaryFiles()).isEmpty();
  }

  @Test
  void aBackupCutOffAtAnyPointByAFullDiskDamagesNothingAndSucceedsOnceSpaceIsFreed() throws IOException {
    Random rnd = new Random(20261207);
    Path src1 = tmp.resolve("src1");
    Path src2 = tmp.resolve("src2");
    files(src1, rnd, "a", 8);
    files(src2, rnd, "b", 8);
    Path repoDir = tmp.resolve("repo");
    FullDisk disk = new FullDisk(Long.MAX_VALUE / 2);
    String first;
    try (Repository repo = Repository.init(new FileSystemBlobStore(repoDir, disk.tempWriter()),
        EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      first = repo.backup(BackupRequest.of(FileTreeSource.of(src1))).id();
    }
    Map<String, String> expected1 = TestTrees.describe(src1);
    List<String> failedOn = new ArrayList<>();
    String second = null;
    for (long budget = 0; second == null; budget = budget == 0 ? 2_000 : budget * 2) {
      disk.setFree(budget);
      try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir, disk.tempWriter()), PASS, SMALL)) {
        try {
          second = repo.backup(BackupRequest.of(FileTreeSource.of(src2))).id();
          continue;
        } catch (StorageFullException e) {
          failedOn.add(e.target());
          assertThat(e).as("budget %d", budget).hasMessageContaining(e.target())
              .hasMessageContaining("then run the operation (for example the backup) again; nothing was damaged");
        }
      }
      // nothing damaged: checked with all the space it needs
      disk.setFree(Long.MAX_VALUE / 2);
      assertThat(named(repoDir, "#tmp-")).as("budget %d: temporary files", budget).isEmpty();
      try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, SMALL)) {
        assertThat(repo.verify(true, ProgressListener.NONE).damage()).as("budget %d", budget).isEmpty();
        assertThat(repo.snapshots()).extracting(Snapshot::id).as("budget %d", budget).containsExactly(first);
        Path out = tmp.resolve("restore-" + budget);
        repo.restore(first, out);
        assertThat(TestTrees.describe(out)).as("budget %d", budget).isEqualTo(expected1);
      }
    }
    TreeSet<String> kinds = new TreeSet<>();
    failedOn.forEach(k -> kinds.add(k.substring(0, k.indexOf('/'))));
    assertThat(kinds).as("failed writing %s", failedOn).contains("locks", "packs");
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, SMALL)) {
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactlyInAnyOrder(first, second);
      Path out1 = tmp.resolve("final-1");
      Path out2 = tmp.resolve("final-2");
      repo.restore(first, out1);
      repo.restore(second, out2);
      assertThat(TestTrees.describe(out1)).isEqualTo(expected1);
      assertThat(TestTrees.describe(out2)).isEqualTo(TestTrees.describe(src2));
    }
  }

  @Test
  void aBackupFailingOnEachKindOfFileItWritesDamagesNothing() throws IOException {
    Random rnd = new Random(11);
    Path src1 = tmp.resolve("src1");
    Path src2 = tmp.resolve("src2");
    files(src1, rnd, "a", 4);
    files(src2, rnd, "b", 4);
    Path repoDir = tmp.resolve("repo");
    String first;
    try (Repository repo = Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.aes256Gcm("prompt"),
        PASS, SMALL)) {
      first = repo.backup(BackupRequest.of(FileTreeSource.of(src1))).id();
    }
    Map<String, String> expected1 = TestTrees.describe(src1);
    // in the order a backup writes them: what a failed run kept (packs, an index) the next one reuses
    for (String kind : List.of("locks", "packs", "index", "snapshots")) {
      FullDisk disk = new FullDisk(0);
      try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir, disk.tempWriter(kind)), PASS, SMALL)) {
        assertThatThrownBy(() -> repo.backup(BackupRequest.of(FileTreeSource.of(src2)))).as(kind)
            .isInstanceOfSatisfying(StorageFullException.class,
                e -> assertThat(e.target()).as(kind).startsWith(kind + "/"));
      }
      assertThat(named(repoDir, "#tmp-")).as(kind).isEmpty();
      try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, SMALL)) {
        assertThat(repo.verify(true, ProgressListener.NONE).damage()).as(kind).isEmpty();
        assertThat(repo.snapshots()).extracting(Snapshot::id).as(kind).containsExactly(first);
        Path out = tmp.resolve("restore-" + kind);
        repo.restore(first, out);
        assertThat(TestTrees.describe(out)).as(kind).isEqualTo(expected1);
      }
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, SMALL)) {
      String second = repo.backup(BackupRequest.of(FileTreeSource.of(src2))).id();
      Path out = tmp.resolve("second");
      repo.restore(second, out);
      assertThat(TestTrees.describe(out)).isEqualTo(TestTrees.describe(src2));
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
    }
  }

  @Test
  void aKeySlotNotWrittenForLackOfSpaceLeavesTheKeysAsTheyWere() {
    FullDisk disk = new FullDisk(Long.MAX_VALUE / 2);
    Path repoDir = tmp.resolve("repo");
    try (Repository repo = Repository.init(new FileSystemBlobStore(repoDir, disk.tempWriter()),
        EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      List<BlobInfo> before = new FileSystemBlobStore(repoDir).list("");
      disk.setFree(200); // the lock file (about 150 bytes) fits, the key slot does not
      assertThatThrownBy(() -> repo.addKey("second".toCharArray())).isInstanceOf(StorageFullException.class)
          .hasMessageContaining("keys/");
      assertThat(new FileSystemBlobStore(repoDir).list("")).isEqualTo(before);
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), PASS, SMALL)) {
      assertThat(repo.keys()).hasSize(1);
    }
  }

  @Test
  void aRestoreIntoAFullTargetNamesTheFileLeavesNoPartialFileAndSucceedsOnceSpaceIsFreed() throws IOException {
    Random rnd = new Random(7);
    Path src = tmp.resolve("src");
    files(src, rnd, "f", 12);
    Map<String, String> expected = TestTrees.describe(src);
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")),
        EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      String id = repo.backup(BackupRequest.of(FileTreeSource.of(src))).id();
      long total;
      try (Stream<Path> s = Files.walk(src)) {
        total = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
      FullDisk disk = new FullDisk(total / 2);
      Path out = tmp.resolve("out");
      assertThatThrownBy(() -> repo.restore(id, out, List.of(), ProgressListener.NONE, disk.channels()))
          .isInstanceOfSatisfying(StorageFullException.class, e -> {
            assertThat(e.target()).startsWith(out.toString());
            assertThat(e).hasMessageContaining("cannot restore " + e.target())
                .hasMessageContaining("then run the restore again");
          });
      assertThat(named(out, ".drkit-restore-")).isEmpty();
      // every file under its final name is complete
      Map<String, String> restored = TestTrees.describe(out);
      List<String> files = new ArrayList<>();
      restored.forEach((path, what) -> {
        if (what.startsWith("file")) {
          files.add(path);
          assertThat(what).as(path).isEqualTo(expected.get(path));
        }
      });
      assertThat(files.size()).as("some files were complete, some not").isBetween(1,
          (int) expected.values().stream().filter(v -> v.startsWith("file")).count() - 1);

      disk.setFree(Long.MAX_VALUE / 2);
      repo.restore(id, out, List.of(), ProgressListener.NONE, disk.channels());
      assertThat(TestTrees.describe(out)).isEqualTo(expected);
    }
  }

  @Test
  void aRestoreOntoDevFullFailsWithTheJdksErrorRecognised() throws IOException {
    assumeThat(Files.isWritable(FullDisk.DEV_FULL)).as("/dev/full exists").isTrue();
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Files.writeString(src.resolve("one.txt"), "content that will not fit");
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")),
        EncryptionConfig.aes256Gcm("prompt"), PASS, SMALL)) {
      String id = repo.backup(BackupRequest.of(FileTreeSource.of(src))).id();
      Path out = tmp.resolve("out");
      assertThatThrownBy(() -> repo.restore(id, out, List.of(), ProgressListener.NONE, FullDisk.devFullChannels()))
          .isInstanceOfSatisfying(StorageFullException.class,
              e -> assertThat(e.target()).isEqualTo(out.resolve("one.txt").toString()))
          .hasMessageContaining("cannot restore " + out.resolve("one.txt"));
      assertThat(named(out, ".drkit-restore-")).isEmpty();
      assertThat(out.resolve("one.txt")).doesNotExist();
    }
  }
}
