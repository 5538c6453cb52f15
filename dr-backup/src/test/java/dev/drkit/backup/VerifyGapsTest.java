package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.Manifest;
import dev.drkit.backup.internal.Node;
import dev.drkit.backup.internal.PackWriter;
import dev.drkit.backup.internal.SnapshotFiles;
import dev.drkit.testkit.FakeClock;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gaps of finding 7 that belong to prune and verify. */
class VerifyGapsTest {
  @TempDir Path tmp;

  private Path source() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("d"));
    byte[] b = new byte[40_000];
    new Random(1).nextBytes(b);
    Files.write(src.resolve("d/data.bin"), b);
    return src;
  }

  @Test
  void temporaryPackOfAKilledBackupIsReportedByVerifyAndRemovedByPruneOnceItsLeaseIsGone() throws IOException {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    FakeClock clock = new FakeClock(now);
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    RepositoryOptions o = RepositoryOptions.builder().clock(clock).lockLease(Duration.ofMinutes(5)).build();
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, o)) {
      repo.backup(BackupRequest.of(FileTreeSource.of(source())));
      Path dir = Files.createDirectories(tmp.resolve("repo/packs~/ab~"));
      Path dead = Files.write(dir.resolve("#tmp-dead"), new byte[1234]);
      Files.setLastModifiedTime(dead, FileTime.from(now.minus(Duration.ofMinutes(6)))); // older than lease + margin
      Path young = Files.write(dir.resolve("#tmp-young"), new byte[10]);
      Files.setLastModifiedTime(young, FileTime.from(now.minus(Duration.ofMinutes(1)))); // a write in progress

      VerifyReport before = repo.verify(false, ProgressListener.NONE);
      assertThat(before.ok()).isTrue();
      assertThat(before.notices()).anySatisfy(n -> assertThat(n).contains("packs~/ab~/#tmp-dead").contains("1234 bytes")
          .contains("prune removes it"));
      assertThat(before.notices()).noneSatisfy(n -> assertThat(n).contains("#tmp-young"));

      repo.prune(ProgressListener.NONE);
      assertThat(dead).doesNotExist();
      assertThat(young).exists();
      assertThat(repo.verify(false, ProgressListener.NONE).notices()).isEmpty();
    }
  }

  @Test
  void plainVerifyReportsAPackTruncatedToZeroBytesNamingItAndTheFilesItBreaks() throws IOException {
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, RepositoryOptions.defaults())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(source())));
      String pack = store.list("packs/").get(0).key();
      try (FileChannel ch = FileChannel.open(store.fileOf(pack), StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      VerifyReport report = repo.verify(false, ProgressListener.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.damage()).anySatisfy(d -> {
        assertThat(d.object()).isEqualTo(pack);
        assertThat(d.reason()).contains("pack is 0 bytes but its index entries say").contains("truncated");
        // the pack held the entry list too, so the snapshot as a whole is named
        assertThat(d.affected()).contains(s.shortId() + ":<entry list>");
      });
      // a backup does not deduplicate against the truncated pack: it stores the data again
      Snapshot again = repo.backup(BackupRequest.builder(FileTreeSource.of(source())).type(dev.drkit.core.config.BackupType.FULL)
          .build());
      assertThat(again.stats().bytesAdded()).isGreaterThanOrEqualTo(40_000);
      repo.restore(again.id(), tmp.resolve("out"));
      assertThat(Files.readAllBytes(tmp.resolve("out/d/data.bin"))).isEqualTo(Files.readAllBytes(source().resolve("d/data.bin")));
    }
  }

  /** Writes a snapshot with these entries; every file's content is the 4 bytes "evil". */
  private static String forge(Repository repo, Node... nodes) {
    Ctx ctx = repo.ctx();
    Index index = Index.load(ctx.store(), ctx.crypto());
    PackWriter w = new PackWriter(ctx, index);
    byte[] evil = "evil".getBytes(StandardCharsets.UTF_8);
    Id evilId = ctx.codec().id(evil, 0, evil.length);
    w.add(ctx.codec().encode(BlobCodec.DATA, evilId, evil, 0, evil.length));
    List<Node> list = new java.util.ArrayList<>();
    for (Node n : nodes) {
      list.add(n.type() == EntryType.FILE ? new Node(n.type(), n.path(), n.mode(), n.mtimeNanos(), n.size(),
          n.target(), n.fileKey(), new Id[] {evilId}) : n);
    }
    byte[] m = Manifest.encode(list);
    Id treeId = ctx.codec().id(m, 0, m.length);
    w.add(ctx.codec().encode(BlobCodec.TREE, treeId, m, 0, m.length));
    w.finish();
    return SnapshotFiles.write(ctx, new SnapshotFiles.SnapshotJson(1, "2026-01-01T00:00:00Z", "h", "forged", null,
        List.of(), "full", null, List.of(treeId.hex()), new BackupStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
  }

  private static Node file(String path, long size) {
    return new Node(EntryType.FILE, path.getBytes(StandardCharsets.UTF_8), 0644, 0, size, new byte[0], "",
        new Id[] {null});
  }

  @Test
  void verifyReportsAnEntryWhoseRecordedSizeDiffersFromItsContent() {
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null,
        RepositoryOptions.defaults())) {
      String id = forge(repo, file("fine", 4), file("liar", 999));
      for (boolean readData : new boolean[] {false, true}) {
        VerifyReport report = repo.verify(readData, ProgressListener.NONE);
        assertThat(report.damage()).singleElement().satisfies(d -> {
          assertThat(d.object()).isEqualTo("snapshots/" + id);
          assertThat(d.reason()).contains("entry liar records 999 bytes but its content blobs hold 4");
          assertThat(d.affected()).containsExactly(id.substring(0, 8) + ":liar");
        });
      }
    }
  }

  @Test
  void verifyReportsDuplicateNamesInOneTree() {
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null,
        RepositoryOptions.defaults())) {
      String id = forge(repo, file("twice", 4), file("other", 4), file("twice", 4));
      VerifyReport report = repo.verify(true, ProgressListener.NONE);
      assertThat(report.damage()).singleElement().satisfies(d -> {
        assertThat(d.object()).isEqualTo("snapshots/" + id);
        assertThat(d.reason()).contains("entry name twice occurs 2 times in one tree");
        assertThat(d.affected()).containsExactly(id.substring(0, 8) + ":twice");
      });
    }
  }
}
