package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partial snapshots, restic's way: an entry that cannot be captured (changed type, vanished, a
 * FIFO swapped in after the scan, a special file, a path too long, unreadable) is left out and
 * reported; the snapshot is still written and lists it, and an event is published
 * ({@link PermissionDeniedTest} covers permissions). The timeout
 * only turns a hang (the old behaviour with a FIFO) into a failure.
 */
@Timeout(300)
class PartialSnapshotTest {
  @TempDir Path tmp;
  Path src;
  final List<DrEvent> events = new CopyOnWriteArrayList<>();
  Repository repo;

  @BeforeEach
  void setUp() throws IOException {
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    Files.writeString(src.resolve("victim"), "will change after the scan");
    Files.writeString(src.resolve("z.txt"), "zulu");
    EventBus bus = new EventBus();
    bus.register(events::add);
    repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").eventBus(bus).build());
  }

  /** A file tree whose {@code afterScan} runs between the scan and the reading of the files. */
  private static BackupSource changingAfterScan(Path root, IoAction afterScan) {
    FileTreeSource tree = FileTreeSource.of(root);
    return new BackupSource() {
      @Override
      public String description() {
        return tree.description();
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) throws IOException {
        tree.scan(sink);
      }

      @Override
      public void scan(Excludes excludes, ScanSink sink) throws IOException {
        tree.scan(excludes, sink);
        try {
          afterScan.run();
        } catch (Exception e) {
          throw new IOException("test hook failed", e);
        }
      }
    };
  }

  interface IoAction {
    void run() throws Exception;
  }

  private Snapshot backupChangingVictim(IoAction change) {
    Snapshot s = repo.backup(BackupRequest.of(changingAfterScan(src, change)));
    assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(s.id());
    return s;
  }

  private void assertRestoredWithoutVictim(Snapshot s) throws IOException {
    Path out = tmp.resolve("out");
    repo.restore(s.id(), out);
    assertThat(Files.readString(out.resolve("a.txt"))).isEqualTo("alpha");
    assertThat(Files.readString(out.resolve("z.txt"))).isEqualTo("zulu");
    assertThat(s.stats().files()).isEqualTo(2);
  }

  @Test
  void fileReplacedByAFifoAfterTheScanIsSkippedInsteadOfBlockingTheBackup() throws Exception {
    Snapshot s = backupChangingVictim(() -> {
      Files.delete(src.resolve("victim"));
      RawShell.run(src, "mkfifo victim");
    });
    assertThat(s.skipped()).singleElement().satisfies(k -> {
      assertThat(k.path()).isEqualTo("victim");
      assertThat(k.reason()).isEqualTo(SkippedEntry.Reason.TYPE_CHANGED);
      assertThat(k.detail()).contains("FIFO");
    });
    assertThat(s.isPartial()).isTrue();
    assertRestoredWithoutVictim(s);
    // the snapshot file records what was left out
    assertThat(repo.snapshot(s.id()).skipped()).isEqualTo(s.skipped());
    assertThat(events).filteredOn(e -> e.type().equals("backup.entry-skipped")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("victim").contains("type changed"));
  }

  @Test
  void fileTurnedIntoADirectoryOrSymlinkOrDeletedAfterTheScanIsSkipped() throws Exception {
    Snapshot dir = backupChangingVictim(() -> {
      Files.delete(src.resolve("victim"));
      Files.createDirectory(src.resolve("victim"));
    });
    assertThat(dir.skipped()).extracting(SkippedEntry::reason).containsExactly(SkippedEntry.Reason.TYPE_CHANGED);
    assertThat(dir.skipped().get(0).detail()).contains("directory");

    Files.delete(src.resolve("victim"));
    Files.writeString(src.resolve("victim"), "back");
    Snapshot link = repo.backup(BackupRequest.of(changingAfterScan(src, () -> {
      Files.delete(src.resolve("victim"));
      Files.createSymbolicLink(src.resolve("victim"), Path.of("a.txt"));
    })));
    assertThat(link.skipped()).extracting(SkippedEntry::reason).containsExactly(SkippedEntry.Reason.TYPE_CHANGED);
    assertThat(link.skipped().get(0).detail()).contains("symbolic link");

    Files.delete(src.resolve("victim"));
    Files.writeString(src.resolve("victim"), "back again");
    Snapshot gone = repo.backup(BackupRequest.of(changingAfterScan(src, () -> Files.delete(src.resolve("victim")))));
    assertThat(gone.skipped()).extracting(SkippedEntry::reason).containsExactly(SkippedEntry.Reason.VANISHED);
    assertRestoredWithoutVictim(gone);
  }

  @Test
  void specialFilesAndPathsTooLongForTheOsAreReportedAndTheRestIsStored() throws Exception {
    RawShell.run(src, "mkfifo pipe");
    // 20 levels of 250-byte names: 5000 bytes, over Linux's PATH_MAX of 4096 (mkdir and cd work relative)
    String name = "d".repeat(250);
    RawShell.run(src, "for i in $(seq 1 20); do mkdir " + name + " && cd " + name + "; done; echo deep > f");
    Snapshot s;
    try {
      s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    } finally {
      RawShell.run(src, "rm -rf " + name); // NIO cannot delete what it cannot name
    }
    assertThat(s.skipped()).extracting(SkippedEntry::reason)
        .contains(SkippedEntry.Reason.SPECIAL_FILE, SkippedEntry.Reason.PATH_TOO_LONG);
    assertThat(s.skipped()).filteredOn(k -> k.reason() == SkippedEntry.Reason.SPECIAL_FILE).singleElement()
        .satisfies(k -> assertThat(k.path()).isEqualTo("pipe"));
    assertThat(s.skipped()).filteredOn(k -> k.reason() == SkippedEntry.Reason.PATH_TOO_LONG)
        .allSatisfy(k -> assertThat(k.path()).startsWith(name + "/"));
    Path out = tmp.resolve("out");
    repo.restore(s.id(), out);
    assertThat(Files.readString(out.resolve("victim"))).isEqualTo("will change after the scan");
  }

  @Test
  void aFileThatChangedSizeAfterTheScanIsStoredAsReadAndReportedNotTakenForGoodSilently() throws Exception {
    Snapshot s = backupChangingVictim(() -> Files.writeString(src.resolve("victim"), ", and it did",
        java.nio.file.StandardOpenOption.APPEND));
    assertThat(s.isPartial()).isFalse();
    assertThat(events).filteredOn(e -> e.type().equals("backup.entry-changed")).singleElement().satisfies(e -> {
      assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN);
      assertThat(e.attributes()).containsEntry("snapshot", s.id()).containsEntry("path", "victim")
          .containsEntry("scannedBytes", "26").containsEntry("readBytes", "38");
      assertThat(e.message()).contains("victim changed while it was backed up");
    });
    Path out = tmp.resolve("out");
    repo.restore(s.id(), out);
    assertThat(Files.readString(out.resolve("victim"))).isEqualTo("will change after the scan, and it did");
  }

  @Test
  void aContentThatCannotBeOpenedIsSkippedWithItsReason() {
    BackupSource source = new BackupSource() {
      @Override
      public String description() {
        return "custom";
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        sink.accept(SourceEntry.file("ok".getBytes(StandardCharsets.UTF_8), 2, 0644, t, null,
            () -> new java.io.ByteArrayInputStream("ok".getBytes(StandardCharsets.UTF_8))));
        sink.accept(SourceEntry.file("secret".getBytes(StandardCharsets.UTF_8), 2, 0600, t, null,
            () -> {
              throw new AccessDeniedException("/somewhere/secret");
            }));
      }
    };
    Snapshot s = repo.backup(BackupRequest.of(source));
    assertThat(s.skipped()).containsExactly(
        new SkippedEntry("secret", SkippedEntry.Reason.PERMISSION_DENIED, "permission denied"));
    assertThat(s.stats().files()).isEqualTo(1);
  }

  @Test
  void duplicatePathsAreRefusedNamingThemAndNothingIsWritten() {
    BackupSource dup = new BackupSource() {
      @Override
      public String description() {
        return "dups";
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        sink.accept(SourceEntry.directory("d".getBytes(StandardCharsets.UTF_8), 0755, t));
        sink.accept(SourceEntry.symlink("d/x".getBytes(StandardCharsets.UTF_8), "a".getBytes(StandardCharsets.UTF_8), t));
        sink.accept(SourceEntry.file("d/x".getBytes(StandardCharsets.UTF_8), 1, 0644, t, null,
            () -> new java.io.ByteArrayInputStream(new byte[1])));
      }
    };
    assertThatThrownBy(() -> repo.backup(BackupRequest.of(dup))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("d/x").hasMessageContaining("more than once");
    assertThat(repo.snapshots()).isEmpty();
  }

  @Test
  void aNulInASymlinkTargetIsRefusedNamingTheEntry() {
    byte[] target = {'a', 0, 'b'};
    assertThatThrownBy(() -> SourceEntry.symlink("dir/link".getBytes(StandardCharsets.UTF_8), target, Instant.EPOCH))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dir/link").hasMessageContaining("NUL");
  }
}
