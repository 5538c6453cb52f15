package dev.drkit.backup.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.EntrySkippedException;
import dev.drkit.backup.SkippedEntry;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file opener never lets a FIFO block the backup, even one swapped in between its check and
 * its open (simulated by skipping the check): the blocked open is released and the channel is
 * refused after opening. The timeout only turns a hang into a failure.
 */
@Timeout(120)
class FileOpenerTest {
  @TempDir Path tmp;

  @Test
  void aFifoReachedPastTheCheckIsReleasedAndRefusedAfterOpening() throws Exception {
    Path fifo = tmp.resolve("fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThatThrownBy(() -> FileOpener.open(fifo, Duration.ofMillis(50), false))
        .isInstanceOf(EntrySkippedException.class)
        .satisfies(e -> assertThat(((EntrySkippedException) e).reason()).isEqualTo(SkippedEntry.Reason.TYPE_CHANGED))
        .hasMessageContaining("FIFO");
  }

  @Test
  void aFifoFoundByTheCheckIsRefusedWithoutOpening() throws Exception {
    Path fifo = tmp.resolve("fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    assertThatThrownBy(() -> FileOpener.open(fifo)).isInstanceOf(EntrySkippedException.class)
        .hasMessageContaining("it is now a FIFO, not a regular file");
  }

  @Test
  void aRegularFileOpensAndReads() throws Exception {
    Path f = Files.writeString(tmp.resolve("f"), "content");
    try (FileChannel ch = FileOpener.open(f)) {
      ByteBuffer b = ByteBuffer.allocate(16);
      assertThat(ch.read(b)).isEqualTo(7);
    }
  }
}
