package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.EncryptionConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup asks a source's stream for at most 1 MiB at once, not for the rest of its 16 MiB read
 * buffer: a file's stream reads through a channel, and the JDK would keep a temporary direct buffer
 * as large as the largest request in the reading thread. The content still arrives whole.
 */
class BoundedSourceReadsTest {
  @TempDir Path tmp;

  /** Records the largest length any read asked for. */
  static final class RecordingStream extends ByteArrayInputStream {
    final AtomicInteger largest;

    RecordingStream(byte[] b, AtomicInteger largest) {
      super(b);
      this.largest = largest;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      largest.accumulateAndGet(len, Math::max);
      return super.read(b, off, len);
    }
  }

  @Test
  void readsOfASourceAskForAtMostOneMebibyte() throws Exception {
    byte[] content = new byte[5 << 20];
    new Random(2).nextBytes(content);
    AtomicInteger largest = new AtomicInteger();
    BackupSource source = new BackupSource() {
      @Override
      public String description() {
        return "recording";
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        sink.accept(SourceEntry.file("big".getBytes(StandardCharsets.UTF_8), content.length, 0644,
            Instant.parse("2026-01-01T00:00:00Z"), null, () -> new RecordingStream(content, largest)));
      }
    };
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").build())) {
      Snapshot s = repo.backup(BackupRequest.of(source));
      assertThat(largest.get()).isPositive().isLessThanOrEqualTo(1 << 20);
      repo.restore(s.id(), tmp.resolve("out"));
      assertThat(Files.readAllBytes(tmp.resolve("out").resolve("big"))).isEqualTo(content);
    }
  }
}
