package dev.drkit.backup.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.StorageException;
import dev.drkit.core.StorageFullException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one recogniser of a full disk: ENOSPC and EDQUOT are, nothing else is. */
class OutOfSpaceTest {
  @TempDir Path tmp;

  private record Case(String name, IOException error, boolean full) {}

  @Test
  void recognisesEnospcAndEdquotOnly() {
    List<Case> cases = List.of(
        new Case("ENOSPC as the JDK reports a failed write", new IOException("No space left on device"), true),
        new Case("ENOSPC on a path", new FileSystemException("/r/x", null, "No space left on device"), true),
        new Case("EDQUOT on a path", new FileSystemException("/r/x", null, "Disk quota exceeded"), true),
        new Case("EDQUOT, wrapped", new IOException("flush failed",
            new UncheckedIOException(new IOException("Disk quota exceeded"))), true),
        new Case("a path that merely names the words", new FileSystemException("/No space left on device/x", null,
            "Permission denied"), false),
        new Case("a missing file so named", new java.nio.file.NoSuchFileException("/r/No space left on device"), false),
        new Case("permission denied", new AccessDeniedException("/r/x"), false),
        new Case("I/O error", new IOException("Input/output error"), false),
        new Case("read-only file system", new FileSystemException("/r/x", null, "Read-only file system"), false),
        new Case("no message", new IOException(), false));
    for (Case c : cases) {
      assertThat(OutOfSpace.isOutOfSpace(c.error())).as(c.name()).isEqualTo(c.full());
      StorageException e = OutOfSpace.failure("cannot write blob data/ab", "data/ab", tmp, "run the backup again",
          c.error());
      assertThat(e instanceof StorageFullException).as(c.name()).isEqualTo(c.full());
      assertThat(e).as(c.name()).hasCause(c.error()).hasMessageStartingWith("cannot write blob data/ab: ");
    }
  }

  @Test
  void theMessageNamesTheTargetTheSpaceLeftAndWhatToDo() {
    StorageException e = OutOfSpace.failure("cannot write blob data/ab in /repo", "data/ab", tmp,
        "run the backup again", new IOException("No space left on device"));
    assertThat(e).isInstanceOf(StorageFullException.class)
        .hasMessageContaining("cannot write blob data/ab in /repo")
        .hasMessageContaining("no space left on the file system holding " + tmp)
        .hasMessageMatching("(?s).*\\(\\d+ bytes usable there\\).*")
        .hasMessageContaining("free space there or move it to a larger volume, then run the backup again")
        .hasMessageContaining("nothing was damaged");
    StorageFullException full = (StorageFullException) e;
    assertThat(full.target()).isEqualTo("data/ab");
    assertThat(full.usableBytes()).isPresent();
    assertThat(full.usableBytes().getAsLong()).isNotNegative();
  }

  @Test
  void anExhaustedQuotaIsNamedAsSuch() {
    StorageException e = OutOfSpace.failure("cannot restore /t/f", "/t/f", tmp, "run the restore again",
        new java.nio.file.FileSystemException("/t/f", null, "Disk quota exceeded"));
    assertThat(e).isInstanceOf(StorageFullException.class)
        .hasMessageContaining("cannot restore /t/f: the disk quota is exhausted on the file system holding " + tmp)
        .hasMessageContaining("then run the restore again; nothing was damaged");
  }

  @Test
  void theSpaceLeftIsLearnedFromTheNearestExistingDirectory() {
    assertThat(OutOfSpace.usableSpace(tmp.resolve("not/yet/created"))).isNotNegative();
  }
}
