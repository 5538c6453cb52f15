package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.internal.RawPaths;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scan's shortcuts keep a no-change backup exact: change keys byte-identical to the form earlier
 * snapshots hold ({@code dev:inode:Instant.toString()}), names read without a second {@code stat}
 * byte-identical to their URI form, every kind of change still detected, and a backup of an unchanged
 * tree equal to its parent.
 */
class NoChangeBackupTest {
  @TempDir Path tmp;

  private static String oldKey(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,ctime", LinkOption.NOFOLLOW_LINKS);
    return a.get("dev") + ":" + a.get("ino") + ":" + ((FileTime) a.get("ctime")).toInstant();
  }

  private static Map<String, SourceEntry> scan(Path src) throws IOException {
    Map<String, SourceEntry> out = new HashMap<>();
    FileTreeSource.of(src).scan(e -> out.put(e.pathString(), e));
    return out;
  }

  @Test
  void fileKeysOfScannedFilesAreTheEarlierFormatByteForByte() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(15), 30);
    Map<String, SourceEntry> entries = scan(src);
    int files = 0;
    for (SourceEntry e : entries.values()) {
      if (e.type() == EntryType.FILE) {
        assertThat(e.fileKey()).as(e.pathString()).isEqualTo(oldKey(src.resolve(RawPaths.path(e.path()))));
        files++;
      }
    }
    assertThat(files).isEqualTo(32); // and the odd name and the sparse file
  }

  @Test
  void fileKeyIsTheEarlierFormatForAnyCtime() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < 50_000; i++) {
      long dev = i % 3 == 0 ? rnd.nextLong() : rnd.nextLong(0, 1 << 20);
      long ino = rnd.nextLong(0, Long.MAX_VALUE);
      long s = i % 2 == 0 ? rnd.nextLong(-5_000_000_000L, 5_000_000_000L)
          : rnd.nextLong(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond());
      int n = i % 3 == 0 ? 0 : i % 3 == 1 ? rnd.nextInt(1000) * 1_000_000 : rnd.nextInt(1_000_000_000);
      Instant ctime = Instant.ofEpochSecond(s, n);
      Long boxedDev = dev;
      Long boxedIno = ino;
      assertThat(FileTreeSource.fileKey(dev, ino, ctime)).isEqualTo(boxedDev + ":" + boxedIno + ":" + ctime);
    }
  }

  @Test
  void namesAreReadWithoutTheUriAndStayByteIdentical() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("names"));
    List<byte[]> names = List.of(b("plain.txt"), b("with space"), b("caf\u00e9"), b("\u65e5\u672c"),
        b("real-\ufffd-char"), new byte[] {'l', (byte) 0xe9}, new byte[] {'x', (byte) 0xff, 'y'},
        new byte[] {(byte) 0xc3, (byte) 0x28}, b("100%25"), b("a#b?c"));
    StringBuilder sh = new StringBuilder("set -e\n");
    for (byte[] n : names) {
      sh.append("n=").append(RawShell.word(n)).append("; printf d > \"${n%x}\"\n");
    }
    sh.append("mkdir sub-dir\n");
    RawShell.run(dir, sh.toString());
    List<String> checked = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String raw = p.toUri().getRawPath();
        raw = raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
        byte[] viaUri = RawPaths.unescape(raw, raw.lastIndexOf('/') + 1, raw.length());
        assertThat(FileTreeSource.nameBytes(p)).as(raw).isEqualTo(viaUri);
        checked.add(RawPaths.display(viaUri));
      }
    }
    assertThat(checked).hasSize(names.size() + 1);
    // under a UTF-8 file-name encoding (this build's), valid names need no URI, invalid ones do
    if ("UTF-8".equals(System.getProperty("sun.jnu.encoding"))) {
      assertThat(RawPaths.fileNameBytes(dir.resolve("caf\u00e9"))).isEqualTo(b("caf\u00e9"));
      assertThat(RawPaths.fileNameBytes(dir.resolve("sub-dir"))).isEqualTo(b("sub-dir"));
      try (Stream<Path> s = Files.list(dir)) {
        assertThat(s.filter(p -> RawPaths.fileNameBytes(p) == null).count()).isEqualTo(4); // 0xe9, 0xff, c3 28, U+FFFD
      }
    }
  }

  @Test
  void aBackupOfAnUnchangedTreeEqualsItsParent() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(3), 40);
    try (Repository repo = repo()) {
      Snapshot full = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Snapshot again = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.INCREMENTAL).build());
      assertThat(again.parent()).isEqualTo(full.id());
      assertThat(again.tree()).isEqualTo(full.tree());
      assertThat(again.stats().filesRead()).isZero();
      assertThat(again.stats().filesUnchanged()).isEqualTo(full.stats().files());
      assertThat(again.stats().blobsAdded()).isZero();
      Path out = tmp.resolve("out");
      repo.restore(again.id(), out);
      TestTrees.assertSameTree(src, out);
    }
  }

  @Test
  void everyKindOfChangeIsStillDetected() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    FileTime t = FileTime.fromMillis(1_600_000_000_123L);
    for (String n : List.of("ctime", "inode", "size", "becomes-dir", "renamed", "same")) {
      Files.writeString(src.resolve(n), "content of " + n);
      Files.setLastModifiedTime(src.resolve(n), t);
    }
    try (Repository repo = repo()) {
      Snapshot full = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      assertThat(full.stats().files()).isEqualTo(6);
      Map<String, String> keys = new HashMap<>();
      for (SourceEntry e : scan(src).values()) {
        keys.put(e.pathString(), e.fileKey());
      }

      // same size and mtime, new content: only the change time tells
      Path c = src.resolve("ctime");
      Files.writeString(c, "CONTENT OF ctime");
      Files.setLastModifiedTime(c, t);
      for (int i = 0; oldKey(c).equals(keys.get("ctime")) && i < 1_000_000; i++) {
        Files.setAttribute(c, "unix:mode", i % 2 == 0 ? 0600 : 0644); // a coarse clock: until the ctime moves
      }
      Files.setAttribute(c, "unix:mode", 0644);
      // same size and mtime, another inode
      Path i2 = src.resolve("inode.tmp");
      Files.writeString(i2, "CONTENT OF inode");
      Files.setLastModifiedTime(i2, t);
      Files.move(i2, src.resolve("inode"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      // another size, same mtime
      Files.writeString(src.resolve("size"), "content of size, longer");
      Files.setLastModifiedTime(src.resolve("size"), t);
      // a file replaced by a directory of the same name
      Files.delete(src.resolve("becomes-dir"));
      Files.createDirectory(src.resolve("becomes-dir"));
      Files.writeString(src.resolve("becomes-dir/inner"), "inner");
      // a renamed file
      Files.move(src.resolve("renamed"), src.resolve("renamed-to"));

      Snapshot inc = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.INCREMENTAL).build());
      assertThat(inc.parent()).isEqualTo(full.id());
      // read again: ctime, inode, size, becomes-dir/inner, renamed-to; trusted: same
      assertThat(inc.stats().filesRead()).isEqualTo(5);
      assertThat(inc.stats().filesUnchanged()).isEqualTo(1);
      assertThat(inc.stats().files()).isEqualTo(6);
      assertThat(inc.stats().directories()).isEqualTo(1);
      Path out = tmp.resolve("out");
      repo.restore(inc.id(), out);
      TestTrees.assertSameTree(src, out);
      assertThat(Files.readString(out.resolve("ctime"))).isEqualTo("CONTENT OF ctime");
      assertThat(Files.readString(out.resolve("inode"))).isEqualTo("CONTENT OF inode");
      assertThat(Files.exists(out.resolve("renamed"))).isFalse();
    }
  }

  private Repository repo() {
    return Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.aes256Gcm("prompt"),
        "pw".toCharArray(), RepositoryOptions.builder().host("h").build());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
