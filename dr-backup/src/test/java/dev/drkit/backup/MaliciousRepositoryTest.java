package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.Manifest;
import dev.drkit.backup.internal.Node;
import dev.drkit.backup.internal.PackWriter;
import dev.drkit.backup.internal.SnapshotFiles;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.backup.spi.EntryType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built, hostile snapshots: restore must never write outside its target. */
class MaliciousRepositoryTest {
  @TempDir Path tmp;
  Path target;
  Path outside;
  Repository repo;

  @BeforeEach
  void setUp() throws IOException {
    target = tmp.resolve("target");
    outside = tmp.resolve("outside");
    Files.createDirectories(outside);
    repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, RepositoryOptions.defaults());
  }

  private static Node file(String path) {
    return new Node(EntryType.FILE, path.getBytes(StandardCharsets.UTF_8), 0644, 0, 4, new byte[0], "",
        new Id[] {null});
  }

  private static Node dir(String path) {
    return new Node(EntryType.DIRECTORY, path.getBytes(StandardCharsets.UTF_8), 0755, 0, 0, new byte[0], "", new Id[0]);
  }

  private static Node link(String path, String to) {
    return new Node(EntryType.SYMLINK, path.getBytes(StandardCharsets.UTF_8), 0777, 0, 0,
        to.getBytes(StandardCharsets.UTF_8), "", new Id[0]);
  }

  /** Writes a snapshot with these entries; every file's content is "evil". */
  private String forge(Node... nodes) {
    Ctx ctx = repo.ctx();
    Index index = Index.load(ctx.store(), ctx.crypto());
    PackWriter w = new PackWriter(ctx, index);
    byte[] evil = "evil".getBytes(StandardCharsets.UTF_8);
    Id evilId = ctx.codec().id(evil, 0, evil.length);
    w.add(ctx.codec().encode(BlobCodec.DATA, evilId, evil, 0, evil.length));
    List<Node> list = new ArrayList<>();
    for (Node n : nodes) {
      list.add(n.type() == EntryType.FILE ? new Node(n.type(), n.path(), n.mode(), n.mtimeNanos(), n.size(),
          n.target(), n.fileKey(), new Id[] {evilId}) : n);
    }
    byte[] m = Manifest.encode(list);
    Id treeId = ctx.codec().id(m, 0, m.length);
    w.add(ctx.codec().encode(BlobCodec.TREE, treeId, m, 0, m.length));
    w.finish();
    return SnapshotFiles.write(ctx, new SnapshotFiles.SnapshotJson(1, "2026-01-01T00:00:00Z", "evil-host", "forged", null,
        List.of(), "full", null, List.of(treeId.hex()),
        new BackupStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
  }

  private void assertNothingEscaped() throws IOException {
    try (Stream<Path> s = Files.list(outside)) {
      assertThat(s).isEmpty();
    }
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).isSubsetOf("target", "outside");
    }
  }

  @Test
  void refusesASymlinkTargetWithANulNamingTheEntryBeforeWritingAnything() throws IOException {
    String id = forge(dir("ok"), file("ok/fine"), link("ok/bad", "a\u0000b"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(dev.drkit.core.StorageException.class)
        .hasMessageContaining("ok/bad").hasMessageContaining("NUL");
    assertThat(target.resolve("ok")).doesNotExist();
  }

  @Test
  void refusesDuplicateNamesInsteadOfRestoringEitherAtRandom() throws IOException {
    String id = forge(dir("d"), file("d/twice"), link("d/twice", "elsewhere"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(dev.drkit.core.IntegrityException.class)
        .hasMessageContaining("'d/twice' more than once");
    assertThat(target.resolve("d")).doesNotExist();
  }

  @Test
  void refusesDotDotNames() throws IOException {
    String id = forge(dir("ok"), file("ok/fine"), file("../escape"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class)
        .hasMessageContaining("../escape");
    assertNothingEscaped();
    assertThat(target.resolve("ok/fine")).doesNotExist();
  }

  @Test
  void aRefusedNameIsShownWithItsControlBytesEscapedSoItCannotForgeTerminalOutput() throws IOException {
    // a newline would forge a line of the operator's output, an escape sequence clear the screen
    String id = forge(file("x\n\u001b[2J/../y"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class)
        .hasMessageContaining("'x\\x0a\\x1b[2J/../y'").message().doesNotContain("\n", "\u001b");
    assertNothingEscaped();
  }

  @Test
  void refusesDotDotInsideAName() throws IOException {
    String id = forge(file("a/../../outside/x"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class);
    assertNothingEscaped();
  }

  @Test
  void refusesAbsoluteNames() throws IOException {
    String abs = outside.resolve("abs").toString();
    String id = forge(file(abs));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class)
        .hasMessageContaining("absolute");
    assertNothingEscaped();
  }

  @Test
  void refusesEmptyAndDotComponents() throws IOException {
    for (String bad : List.of("a//b", "./x", "x/.", "")) {
      String id = forge(file(bad));
      assertThatThrownBy(() -> repo.restore(id, target)).as(bad).isInstanceOf(UnsafePathException.class);
    }
    assertNothingEscaped();
  }

  @Test
  void refusesWritingThroughAnAbsoluteSymlink() throws IOException {
    String id = forge(link("link", outside.toString()), file("link/evil"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class)
        .hasMessageContaining("symbolic link");
    assertNothingEscaped();
  }

  @Test
  void refusesDirectoriesThroughARelativeSymlink() throws IOException {
    String id = forge(link("up", "../outside"), dir("up/sub"), file("up/sub/evil"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class);
    assertNothingEscaped();
  }

  @Test
  void refusesAFileEntryWhereASymlinkWasRestored() throws IOException {
    Files.writeString(outside.resolve("victim"), "precious");
    String id = forge(link("s", outside.resolve("victim").toString()), file("s"));
    // two entries named "s": refused as a whole before anything is written (it used to fail at the file)
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(dev.drkit.core.IntegrityException.class)
        .hasMessageContaining("'s' more than once");
    assertThat(target.resolve("s")).doesNotExist();
    assertThat(Files.readString(outside.resolve("victim"))).isEqualTo("precious");
    Files.delete(outside.resolve("victim"));
    assertNothingEscaped();
  }

  @Test
  void refusesSymlinkPlantedInTargetBeforeRestore() throws IOException {
    Files.createDirectories(target);
    Files.createSymbolicLink(target.resolve("d"), outside);
    String id = forge(dir("d"), file("d/evil"));
    assertThatThrownBy(() -> repo.restore(id, target)).isInstanceOf(UnsafePathException.class);
    assertNothingEscaped();
  }

  @Test
  void restoresHarmlessSymlinksAsLinksWithoutFollowingThem() throws IOException {
    String id = forge(link("abs", outside.toString()), link("rel", "../outside"), file("plain"));
    repo.restore(id, target);
    assertThat(Files.readSymbolicLink(target.resolve("abs"))).isEqualTo(outside);
    assertThat(Files.readSymbolicLink(target.resolve("rel"))).isEqualTo(Path.of("../outside"));
    assertThat(Files.readString(target.resolve("plain"))).isEqualTo("evil");
    assertNothingEscaped();
  }
}
