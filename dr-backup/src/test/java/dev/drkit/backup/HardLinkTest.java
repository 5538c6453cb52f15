package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.EncryptionConfig;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hard links (two names of one inode) come back as hard links, wherever the pair lies in the
 * tree; a pair cut by {@code --include} comes back as a file; and equal version tokens of another
 * source never link two files.
 */
class HardLinkTest {
  private static final char[] PASS = "links".toCharArray();
  @TempDir Path tmp;

  private static int nlink(Path p) throws Exception {
    return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
  }

  private Repository repo() {
    return Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.aes256Gcm("prompt"), PASS,
        RepositoryOptions.builder().host("h").build());
  }

  @Test
  void hardLinksAreRestoredAsHardLinks() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.createDirectories(src.resolve("a/b"));
    Files.createDirectories(src.resolve("c"));
    Files.writeString(src.resolve("a/b/original"), "shared content ".repeat(5000));
    Files.createLink(src.resolve("c/second-name"), src.resolve("a/b/original"));
    Files.createLink(src.resolve("third-name"), src.resolve("a/b/original"));
    Files.writeString(src.resolve("alone"), "shared content ".repeat(5000)); // same bytes, own inode
    assertThat(nlink(src.resolve("a/b/original"))).isEqualTo(3);
    try (Repository repo = repo()) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Path out = tmp.resolve("out");
      RestoreResult r = repo.restore(s.id(), out);
      assertThat(r.files()).isEqualTo(4);
      TestTrees.assertSameTree(src, out);
      assertThat(nlink(out.resolve("a/b/original"))).isEqualTo(3);
      assertThat(Files.isSameFile(out.resolve("a/b/original"), out.resolve("c/second-name"))).isTrue();
      assertThat(Files.isSameFile(out.resolve("a/b/original"), out.resolve("third-name"))).isTrue();
      assertThat(nlink(out.resolve("alone"))).isEqualTo(1);

      // restoring over an existing restore replaces the names, still as one inode
      repo.restore(s.id(), out);
      assertThat(nlink(out.resolve("third-name"))).isEqualTo(3);

      // only one name of the pair selected: a file of its own
      Path part = tmp.resolve("part");
      repo.restore(s.id(), part, List.of("c"), ProgressListener.NONE);
      assertThat(Files.readString(part.resolve("c/second-name"))).isEqualTo("shared content ".repeat(5000));
      assertThat(nlink(part.resolve("c/second-name"))).isEqualTo(1);
    }
  }

  @Test
  void equalVersionTokensOfAnotherSourceNeverLinkFiles() throws Exception {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    byte[] content = "same".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    BackupSource tokens = new BackupSource() {
      @Override
      public String description() {
        return "versioned";
      }

      @Override
      public List<String> paths() {
        return List.of("/versioned");
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        for (String name : List.of("x", "y")) {
          sink.accept(SourceEntry.file(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), content.length, 0644,
              t, "v1", () -> new java.io.ByteArrayInputStream(content)));
        }
      }
    };
    try (Repository repo = repo()) {
      Snapshot s = repo.backup(BackupRequest.of(tokens));
      Path out = tmp.resolve("out");
      repo.restore(s.id(), out);
      assertThat(nlink(out.resolve("x"))).isEqualTo(1);
      assertThat(nlink(out.resolve("y"))).isEqualTo(1);
      assertThat(Files.readString(out.resolve("y"))).isEqualTo("same");
    }
  }
}
