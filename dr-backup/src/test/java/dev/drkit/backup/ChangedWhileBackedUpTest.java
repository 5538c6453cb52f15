package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.DrEvent;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file rewritten in place at the same length while it is backed up is reported as changed,
 * restic's way and without a format change: after reading it the file is examined again and its
 * size, modification time, change time and inode are compared with the scan's. Real files; the
 * rewrites run from hooks between the scan and the read or inside the read (no sleeps), and times
 * are set explicitly so that nothing depends on timestamp granularity. An unchanged file (with a
 * sub-second modification time) is never reported, and a file taken as unchanged from the
 * previous snapshot is not examined at all.
 */
class ChangedWhileBackedUpTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123456789Z");
  @TempDir Path tmp;
  Path src;
  Path victim;
  final List<DrEvent> events = new CopyOnWriteArrayList<>();
  final AtomicInteger checks = new AtomicInteger();
  Repository repo;

  interface IoAction {
    void run() throws IOException;
  }

  @BeforeEach
  void setUp() throws IOException {
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    victim = src.resolve("victim");
    Files.writeString(victim, "version one of it");
    Files.setLastModifiedTime(victim, FileTime.from(T0));
    EventBus bus = new EventBus();
    bus.register(events::add);
    repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").eventBus(bus).build());
  }

  /**
   * The file tree with hooks: {@code afterScan} runs between the scan and the reading of the
   * files, {@code inRead} once the first read of the victim's content has returned bytes; every
   * examination after a read is counted in {@link #checks}.
   */
  private BackupSource hooked(IoAction afterScan, IoAction inRead) {
    FileTreeSource tree = FileTreeSource.of(src);
    byte[] victimPath = "victim".getBytes(StandardCharsets.UTF_8);
    return new BackupSource() {
      @Override
      public String description() {
        return tree.description();
      }

      @Override
      public List<String> paths() {
        return tree.paths();
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        throw new UnsupportedOperationException("the backup scans with excludes");
      }

      @Override
      public void scan(Excludes excludes, ScanSink sink) throws IOException {
        tree.scan(excludes, new ScanSink() {
          @Override
          public void entry(SourceEntry e) {
            if (e.type() != EntryType.FILE) {
              sink.entry(e);
              return;
            }
            boolean isVictim = java.util.Arrays.equals(e.path(), victimPath);
            sink.entry(SourceEntry.file(e.path(), e.size(), e.mode(), e.mtime(), e.fileKey(),
                () -> isVictim ? hookAfterFirstRead(e.openContent(), inRead) : e.openContent(),
                scanned -> {
                  checks.incrementAndGet();
                  return e.changedSinceScan();
                }));
          }

          @Override
          public void skipped(SkippedEntry skipped) {
            sink.skipped(skipped);
          }
        });
        afterScan.run();
      }
    };
  }

  private static InputStream hookAfterFirstRead(InputStream in, IoAction hook) {
    return new FilterInputStream(in) {
      boolean fired;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0 && !fired) {
          fired = true;
          hook.run();
        }
        return n;
      }
    };
  }

  private static final IoAction NOTHING = () -> { };

  /** Overwrites the file's bytes from offset 0 without truncating it. */
  private static void rewriteInPlace(Path p, String content) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
    }
    assertThat(Files.size(p)).isEqualTo(content.length());
  }

  private static FileTime ctime(Path p) throws IOException {
    return (FileTime) Files.getAttribute(p, "unix:ctime");
  }

  private DrEvent theChange() {
    List<DrEvent> changed = events.stream().filter(e -> e.type().equals("backup.entry-changed")).toList();
    assertThat(changed).hasSize(1);
    DrEvent e = changed.get(0);
    assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(e.attributes()).containsEntry("path", "victim").containsEntry("scannedBytes", "17")
        .containsEntry("readBytes", "17");
    assertThat(e.message()).contains("victim changed while it was backed up (");
    return e;
  }

  private String restoredVictim(Snapshot s) throws IOException {
    Path out = tmp.resolve("out-" + s.shortId());
    repo.restore(s.id(), out);
    return Files.readString(out.resolve("victim"));
  }

  @Test
  void aSameLengthRewriteBetweenTheScanAndTheReadIsReportedByItsModificationTime() throws IOException {
    FileTime scanned = Files.getLastModifiedTime(victim);
    FileTime later = FileTime.from(T0.plusSeconds(1));
    Snapshot s = repo.backup(BackupRequest.of(hooked(() -> {
      rewriteInPlace(victim, "version two of it");
      Files.setLastModifiedTime(victim, later);
    }, NOTHING)));
    DrEvent e = theChange();
    assertThat(e.attributes()).containsEntry("snapshot", s.id());
    assertThat(e.attributes().get("change")).contains("modification time " + scanned.toInstant() + " at the scan, now "
        + Files.getLastModifiedTime(victim).toInstant()).doesNotContain("inode").doesNotContain("size");
    assertThat(s.isPartial()).isFalse();
    assertThat(restoredVictim(s)).isEqualTo("version two of it");
  }

  @Test
  void aSameLengthRewriteDuringTheReadWithTheModificationTimePutBackIsReportedByItsChangeTime() throws IOException {
    FileTime mtime = Files.getLastModifiedTime(victim);
    FileTime scannedCtime = ctime(victim);
    Snapshot s = repo.backup(BackupRequest.of(hooked(NOTHING, () -> {
      rewriteInPlace(victim, "VERSION TWO OF IT");
      Files.setLastModifiedTime(victim, mtime); // as a tool that keeps times would
      // the change time is the kernel's (coarse) clock: setting the time again moves it to now,
      // so repeat until it differs from the scan's
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
        Files.setLastModifiedTime(victim, mtime);
        return !ctime(victim).equals(scannedCtime);
      });
    })));
    String change = theChange().attributes().get("change");
    assertThat(change).contains("status change time").doesNotContain("modification time").doesNotContain("inode");
    assertThat(Files.getLastModifiedTime(victim)).isEqualTo(mtime);
    // the first read had the whole small file: the snapshot holds the old version
    assertThat(restoredVictim(s)).isEqualTo("version one of it");
  }

  @Test
  void aFileReplacedByRenameWithTheSameLengthAndTimeIsReportedByItsInode() throws IOException {
    FileTime mtime = Files.getLastModifiedTime(victim);
    Path staged = tmp.resolve("staged");
    Snapshot s = repo.backup(BackupRequest.of(hooked(() -> {
      Files.writeString(staged, "version 2 of it!!");
      Files.setLastModifiedTime(staged, mtime);
      Files.move(staged, victim, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }, NOTHING)));
    assertThat(theChange().attributes().get("change")).contains("inode").contains("(replaced)")
        .doesNotContain("modification time");
    assertThat(restoredVictim(s)).isEqualTo("version 2 of it!!");
  }

  @Test
  void unchangedFilesWithSubSecondTimesAreNeverReportedAndFilesTakenAsUnchangedAreNotExamined()
      throws IOException {
    int n = 40;
    for (int i = 0; i < n; i++) {
      Path f = src.resolve("f" + i);
      Files.writeString(f, "content " + i + "x".repeat(i * 37));
      Files.setLastModifiedTime(f, FileTime.from(T0.plusNanos(i * 1_234_567L + 1)));
    }
    int files = n + 2; // and a.txt and the victim
    Snapshot full = repo.backup(BackupRequest.builder(hooked(NOTHING, NOTHING)).type(BackupType.FULL).build());
    assertThat(full.stats().filesRead()).isEqualTo(files);
    assertThat(checks.get()).as("one examination per file read").isEqualTo(files);

    checks.set(0);
    Snapshot incremental = repo.backup(BackupRequest.builder(hooked(NOTHING, NOTHING))
        .type(BackupType.INCREMENTAL).build());
    assertThat(incremental.stats().filesUnchanged()).isEqualTo(files);
    assertThat(checks.get()).as("no examination of a file taken as unchanged").isZero();

    checks.set(0);
    repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.FULL).build());
    assertThat(events).filteredOn(e -> e.type().equals("backup.entry-changed")).isEmpty();
  }
}
