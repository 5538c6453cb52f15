package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Exclude patterns (restic-like globs matched against absolute paths), pattern files, marker files,
 * cache directory tags and {@code --one-file-system}, on real trees.
 */
class ExcludesTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} on {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "*.tmp            | /home/ann/a.tmp          | true",
      "*.tmp            | /home/ann/a.tmpx         | false",
      "*.tmp            | /home/ann/d.tmp/inner    | true",   // a matched directory takes its contents along
      "cache            | /home/ann/cache/x/y      | true",
      "cache            | /home/ann/cachex         | false",
      "ann/cache        | /home/ann/cache          | true",   // unanchored: at any depth
      "/ann/cache       | /home/ann/cache          | false",  // anchored at the root
      "/home/*/cache    | /home/bob/cache          | true",
      "/home/*/cache    | /home/bob/x/cache        | false",  // * stays within one component
      "/home/**/cache   | /home/bob/x/y/cache      | true",
      "/home/**/cache   | /home/cache              | true",   // ** also matches no component
      "**/node_modules  | /w/a/node_modules/b      | true",
      "?.txt            | /d/a.txt                 | true",
      "?.txt            | /d/ab.txt                | false",
      "?.txt            | /d/é.txt                 | true",   // ? is one character, not one byte
      "[ab].txt         | /d/b.txt                 | true",
      "[ab].txt         | /d/c.txt                 | false",
      "[!ab].txt        | /d/c.txt                 | true",
      "[^ab].txt        | /d/a.txt                 | false",
      "[a-c]x           | /d/bx                    | true",
      "\\*.txt          | /d/*.txt                 | true",
      "\\*.txt          | /d/a.txt                 | false",
      "/d/              | /d/e                     | true",   // a trailing slash is ignored
      "données          | /x/données               | true"})
  void patternsMatchLikeRestic(String pattern, String path, boolean expected) {
    Excludes e = Excludes.builder().pattern(pattern).build();
    assertThat(e.excludes(path.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
  }

  @Test
  void theLastMatchingPatternDecidesAndNegationIncludesAgain() {
    Excludes e = Excludes.builder().pattern("/data/*").pattern("!/data/keep").build();
    assertThat(e.excludes(b("/data/a"))).isTrue();
    assertThat(e.excludes(b("/data/keep"))).isFalse();
    assertThat(e.excludes(b("/data/keep/x"))).isFalse();
    assertThat(e.excludes(b("/data"))).isFalse();
  }

  @Test
  void malformedPatternsAreRefusedWithFileAndLine() throws IOException {
    assertThatThrownBy(() -> Excludes.builder().pattern("a[bc")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a[bc'").hasMessageContaining("']'");
    assertThatThrownBy(() -> Excludes.builder().pattern("")).isInstanceOf(IllegalArgumentException.class);
    Path f = Files.writeString(tmp.resolve("excludes.txt"), "# comment\n\n  *.tmp  \n[oops\n");
    assertThatThrownBy(() -> Excludes.builder().patternFile(f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(f + ":4:");
    assertThatThrownBy(() -> Excludes.builder().ifPresent("a/b")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFileTreeBackupLeavesOutWhatPatternsMarkersAndCacheTagsName() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("keep.txt"), "k");
    Files.writeString(src.resolve("junk.tmp"), "j");
    Files.writeString(src.resolve("wanted.tmp"), "w");
    Files.createDirectories(src.resolve("build/classes"));
    Files.writeString(src.resolve("build/classes/A.class"), "c");
    Files.createDirectories(src.resolve("p/node_modules/x"));
    Files.writeString(src.resolve("p/node_modules/x/i.js"), "n");
    Files.writeString(src.resolve("p/main.js"), "m");
    Files.createDirectories(src.resolve("private"));
    Files.writeString(src.resolve("private/.nobackup"), "");
    Files.writeString(src.resolve("private/secret"), "s");
    Files.createDirectories(src.resolve("cache"));
    Files.writeString(src.resolve("cache/CACHEDIR.TAG"), Excludes.CACHEDIR_SIGNATURE + "\n# a cache\n");
    Files.writeString(src.resolve("cache/blob"), "b");
    Files.createDirectories(src.resolve("fake-cache"));
    Files.writeString(src.resolve("fake-cache/CACHEDIR.TAG"), "no signature here\n");
    Files.writeString(src.resolve("fake-cache/data"), "d");
    Path patterns = Files.writeString(tmp.resolve("patterns"), "# build output\n" + src + "/build\n");

    Excludes ex = Excludes.builder().pattern("*.tmp").pattern("!wanted.tmp").pattern("**/node_modules")
        .patternFile(patterns).ifPresent(".nobackup").excludeCaches(true).build();
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(),
        null, RepositoryOptions.builder().host("h").build())) {
      Snapshot s = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).excludes(ex).build());
      assertThat(s.skipped()).isEmpty();
      Path out = tmp.resolve("out");
      repo.restore(s.id(), out);
      assertThat(list(out)).containsExactly("cache", "cache/CACHEDIR.TAG", "fake-cache", "fake-cache/CACHEDIR.TAG",
          "fake-cache/data", "keep.txt", "p", "p/main.js", "private", "private/.nobackup", "wanted.tmp");
    }
  }

  @Test
  void oneFileSystemStoresMountPointsEmpty() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path mnt = Files.createDirectories(src.resolve("mnt"));
    Files.writeString(src.resolve("here.txt"), "h");
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "none", mnt.toString()).redirectErrorStream(true).start();
    mount.getInputStream().readAllBytes();
    assumeThat(mount.waitFor()).as("mounting a tmpfs needs privileges").isZero();
    try {
      Files.writeString(mnt.resolve("other-fs.txt"), "o");
      try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(),
          null, RepositoryOptions.builder().host("h").build())) {
        Snapshot all = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
        Snapshot one = repo.backup(BackupRequest.builder(FileTreeSource.of(src))
            .excludes(Excludes.builder().oneFileSystem(true).build()).build());
        repo.restore(all.id(), tmp.resolve("all"));
        repo.restore(one.id(), tmp.resolve("one"));
        assertThat(list(tmp.resolve("all"))).containsExactly("here.txt", "mnt", "mnt/other-fs.txt");
        assertThat(list(tmp.resolve("one"))).containsExactly("here.txt", "mnt");
      }
    } finally {
      new ProcessBuilder("umount", mnt.toString()).start().waitFor();
    }
  }

  @Test
  void otherSourcesApplyPatternsToTheirPathsAndRefuseFileSystemOptions() throws IOException {
    BackupSource custom = new BackupSource() {
      @Override
      public String description() {
        return "custom";
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        sink.accept(SourceEntry.directory(b("logs"), 0755, t));
        sink.accept(SourceEntry.file(b("logs/a.log"), 1, 0644, t, null, () -> new java.io.ByteArrayInputStream(b("a"))));
        sink.accept(SourceEntry.file(b("data"), 1, 0644, t, null, () -> new java.io.ByteArrayInputStream(b("d"))));
      }
    };
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(),
        null, RepositoryOptions.builder().host("h").build())) {
      Snapshot s = repo.backup(BackupRequest.builder(custom).excludes(Excludes.builder().pattern("/logs").build())
          .build());
      assertThat(s.stats().files()).isEqualTo(1);
      assertThat(s.stats().directories()).isZero();
      assertThatThrownBy(() -> repo.backup(BackupRequest.builder(custom)
          .excludes(Excludes.builder().excludeCaches(true).build()).build()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("custom")
          .hasMessageContaining("--exclude-caches");
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> list(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return new TreeSet<>(s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).toList())
          .stream().toList();
    }
  }
}
