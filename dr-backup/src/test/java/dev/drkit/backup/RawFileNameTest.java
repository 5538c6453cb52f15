package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.EncryptionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File names are bytes on Linux, not text: names that are not valid UTF-8 (a Latin-1 {@code é},
 * a lone {@code 0xFF}), in files, directories and symlink targets, are backed up and restored byte
 * for byte. The files are made by the shell, since Java cannot spell such names as strings.
 */
@Tag("integration")
class RawFileNameTest {
  @TempDir Path tmp;

  private static void sh(Path dir, String script) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("sh: %s", out).isZero();
  }

  private static List<String> rawNames(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> dir.toUri().relativize(p.toUri()).getRawPath()).sorted().toList();
    }
  }

  @Test
  void namesThatAreNotUtf8SurviveBackupAndRestoreByteForByte() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    sh(src, "printf 'latin-1 name' > \"$(printf 'caf\\351.txt')\"; "
        + "printf 'lone ff' > \"$(printf 'x\\377y')\"; "
        + "mkdir \"$(printf 'd\\351j\\340')\"; printf 'inside' > \"$(printf 'd\\351j\\340')/f\"; "
        + "ln -s \"$(printf 'caf\\351.txt')\" link-to-latin1; "
        + "printf 'utf-8' > \"$(printf 'caf\\303\\251.txt')\"");
    assertThat(rawNames(src)).contains("caf%E9.txt", "x%FFy", "d%E9j%E0/", "caf%C3%A9.txt");

    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")),
        EncryptionConfig.aes256Gcm("prompt"), "raw".toCharArray(), RepositoryOptions.builder().host("h").build())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      assertThat(s.stats().files()).isEqualTo(4);
      Path out = tmp.resolve("out");
      repo.restore(s.id(), out);
      TestTrees.assertSameTree(src, out);
      assertThat(rawNames(out)).isEqualTo(rawNames(src));
      // the link still points at the Latin-1 name, and reading through it finds the content
      assertThat(Files.readString(out.resolve("link-to-latin1"))).isEqualTo("latin-1 name");
    }
  }
}
