package dev.drkit.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one fsync policy: atomic replace leaves old or new content and no temporary file, and a directory that cannot be forced is an error. */
class DurableFilesTest {
  @TempDir
  Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void replaceCreatesThenReplacesAndLeavesNoTemporaryFile() throws IOException {
    Path f = dir.resolve("runs.properties");
    DurableFiles.replace(f, "one".getBytes(StandardCharsets.UTF_8));
    DurableFiles.replace(f, "two".getBytes(StandardCharsets.UTF_8));
    assertThat(Files.readString(f)).isEqualTo("two");
    assertThat(names()).containsExactly("runs.properties");
  }

  @Test
  void aReplaceThatCannotRenameKeepsTheOldContentAndDeletesItsTemporaryFile() throws IOException {
    Path target = dir.resolve("state");
    Files.createDirectory(target);
    Files.writeString(target.resolve("keep"), "old");
    assertThatThrownBy(() -> DurableFiles.replace(target, "new".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class).isNotInstanceOf(DurableFiles.DirectoryNotForcedException.class);
    assertThat(Files.readString(target.resolve("keep"))).isEqualTo("old");
    assertThat(names()).containsExactly("state");
  }

  @Test
  void aReplaceIntoAMissingDirectoryFailsAndCreatesNothing() {
    Path f = dir.resolve("missing").resolve("f");
    assertThatThrownBy(() -> DurableFiles.replace(f, new byte[] {1})).isInstanceOf(NoSuchFileException.class);
    assertThat(Files.exists(dir.resolve("missing"))).isFalse();
  }

  @Test
  void writeNewRefusesAnExistingFileAndKeepsIt() throws IOException {
    Path f = dir.resolve("blob");
    DurableFiles.writeNew(f, "first".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> DurableFiles.writeNew(f, "second".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(f)).isEqualTo("first");
  }

  @Test
  void writeNewOfARangeLargerThanOneWriteSliceStoresExactlyThatRange() throws IOException {
    byte[] b = new byte[DurableFiles.WRITE_SLICE * 2 + 777];
    new java.util.Random(3).nextBytes(b);
    Path f = dir.resolve("range");
    int off = 13;
    int len = b.length - off - 5;
    DurableFiles.writeNew(f, b, off, len);
    assertThat(Files.readAllBytes(f)).isEqualTo(java.util.Arrays.copyOfRange(b, off, off + len));
    assertThatThrownBy(() -> DurableFiles.writeNew(dir.resolve("bad"), b, b.length - 1, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(dir.resolve("bad")).doesNotExist();
  }

  @Test
  void aDirectoryThatCannotBeForcedIsAnErrorNotALogLine() throws IOException {
    assumeTrue(DurableFiles.directorySyncSupported(), "this platform cannot open directories");
    DurableFiles.forceDirectory(dir);
    assertThatThrownBy(() -> DurableFiles.forceDirectory(dir.resolve("gone"))).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void directorySyncIsSkippedOnlyOnWindows() {
    boolean windows = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
    assertThat(DurableFiles.directorySyncSupported()).isEqualTo(!windows);
  }

  @Test
  void temporaryFilesAreNamedAfterTheirTargetWithTheMarker() {
    Path t = DurableFiles.tempFor(dir.resolve("orders.state"));
    assertThat(t.getParent()).isEqualTo(dir);
    assertThat(t.getFileName().toString()).startsWith("orders.state" + DurableFiles.TEMP_MARKER);
    assertThat(DurableFiles.tempFor(dir.resolve("orders.state"))).isNotEqualTo(t);
  }
}
