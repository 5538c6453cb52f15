package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.backup.Excludes;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.SkippedEntry;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.backup.spi.SourceEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup command's early scan hands the backup what it found before the backup asked. */
class EarlyScanTest {
  @TempDir Path tmp;

  /** @return what {@code s} found with {@code ex}, an entry or a skipped entry per line */
  private static List<String> scan(BackupSource s, Excludes ex) throws IOException {
    List<String> out = new ArrayList<>();
    s.scan(ex, new ScanSink() {
      @Override
      public void entry(SourceEntry entry) {
        out.add(entry.type() + " " + entry.pathString() + " " + entry.fileKey());
      }

      @Override
      public void skipped(SkippedEntry skipped) {
        out.add("skipped " + skipped.path());
      }
    });
    return out;
  }

  private static List<String> direct(Path root, Excludes ex) throws IOException {
    return scan(FileTreeSource.of(root), ex);
  }

  @Test
  void handsOverTheTreeAsTheEarlyScanFoundItAndScansAgainForOtherExcludes() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("src"));
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("sub/a"), "a");
    Files.writeString(root.resolve("b.log"), "b");
    Excludes ex = Excludes.builder().pattern("*.log").build();
    List<String> expected = direct(root, ex);

    EarlyScan early = EarlyScan.start(FileTreeSource.of(root), ex);
    await().atMost(Duration.ofMinutes(1)).until(early::isDone);
    Files.writeString(root.resolve("later"), "written after the early scan");

    assertThat(scan(early, ex)).isEqualTo(expected).hasSize(2).noneMatch(l -> l.contains("later"));
    // other excludes: the tree as it is now
    assertThat(scan(early, Excludes.NONE)).isEqualTo(direct(root, Excludes.NONE)).anyMatch(l -> l.contains("later"))
        .anyMatch(l -> l.contains("b.log"));
    assertThat(early.paths()).isEqualTo(List.of(root.toAbsolutePath().normalize().toString()));
  }

  @Test
  void aFailedEarlyScanFailsTheBackupsScanWithItsException() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("gone"));
    FileTreeSource tree = FileTreeSource.of(root);
    Files.delete(root);
    EarlyScan early = EarlyScan.start(tree, Excludes.NONE);
    assertThatThrownBy(() -> scan(early, Excludes.NONE)).isInstanceOf(IOException.class)
        .hasMessageContaining("gone");
  }
}
