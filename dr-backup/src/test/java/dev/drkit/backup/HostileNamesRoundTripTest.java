package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.Normalizer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names an operator's tree really holds and a careless tool alters: a newline, a tab, a backslash,
 * a leading dash, dots that are not {@code .} or {@code ..}, the NFC and the NFD form of one name side
 * by side, a name of 255 bytes; and times to the nanosecond. A backup and a restore give back the
 * exact names and times.
 */
class HostileNamesRoundTripTest {
  @TempDir Path tmp;

  private static final List<String> NAMES = List.of("new\nline", "tab\there", "back\\slash", "-dash", "--", "...",
      "..x", "x..", " lead and trail ", "é-" + Normalizer.normalize("é", Normalizer.Form.NFC),
      "é-" + Normalizer.normalize("é", Normalizer.Form.NFD), "L".repeat(255), "*?[a]", "$(echo no)");

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void awkwardNamesAndNanosecondTimesComeBackExactly() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Instant t = Instant.parse("2024-02-29T12:34:56.123456789Z");
    for (String name : NAMES) {
      Path f = Files.writeString(src.resolve(name), "content of " + name);
      Files.setLastModifiedTime(f, FileTime.from(t));
    }
    Path dir = Files.createDirectories(src.resolve("dir\nwith newline"));
    Files.writeString(dir.resolve("-inner"), "inner");
    Files.setLastModifiedTime(dir, FileTime.from(t.plusNanos(1)));
    Path link = Files.createSymbolicLink(src.resolve("link\tto dash"), Path.of("-dash"));
    Files.getFileAttributeView(link, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(FileTime.from(t), null, null);
    assertThat(names(src)).hasSize(NAMES.size() + 2); // NFC and NFD are two names

    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").build())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      assertThat(s.isPartial()).isFalse();
      Path out = tmp.resolve("out");
      repo.restore(s.id(), out);

      assertThat(names(out)).isEqualTo(names(src));
      for (String name : NAMES) {
        assertThat(Files.readString(out.resolve(name))).as(name).isEqualTo("content of " + name);
        assertThat(Files.getLastModifiedTime(out.resolve(name)).to(TimeUnit.NANOSECONDS)).as(name)
            .isEqualTo(Files.getLastModifiedTime(src.resolve(name)).to(TimeUnit.NANOSECONDS));
      }
      assertThat(Files.readString(out.resolve("dir\nwith newline").resolve("-inner"))).isEqualTo("inner");
      assertThat(Files.getLastModifiedTime(out.resolve("dir\nwith newline")))
          .isEqualTo(Files.getLastModifiedTime(dir));
      assertThat(Files.readSymbolicLink(out.resolve("link\tto dash"))).isEqualTo(Path.of("-dash"));
      // a symbolic link's time: the JDK sets it with lutimes(2), to the microsecond
      assertThat(Files.getLastModifiedTime(out.resolve("link\tto dash"), LinkOption.NOFOLLOW_LINKS)
          .to(TimeUnit.MICROSECONDS))
          .isEqualTo(Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.MICROSECONDS));
    }
  }
}
