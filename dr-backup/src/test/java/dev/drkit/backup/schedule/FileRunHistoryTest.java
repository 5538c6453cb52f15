package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRunHistoryTest {
  @Test
  void survivesARestartAndNeverGoesBackwards(@TempDir Path dir) {
    Path file = dir.resolve("sub/runs.properties");
    RunHistory h = RunHistory.file(file);
    assertThat(h.lastHandled("db/inc")).isEmpty();
    h.handled("db/inc", Instant.parse("2026-01-01T02:00:00Z"));
    h.handled("db/inc", Instant.parse("2026-01-01T01:00:00Z"));
    h.handled("web/full", Instant.parse("2026-01-01T03:00:00Z"));

    RunHistory reopened = RunHistory.file(file);
    assertThat(reopened.lastHandled("db/inc")).contains(Instant.parse("2026-01-01T02:00:00Z"));
    assertThat(reopened.lastHandled("web/full")).contains(Instant.parse("2026-01-01T03:00:00Z"));
    assertThat(dir.resolve("sub/runs.properties.tmp")).doesNotExist();
  }

  @Test
  void refusesADamagedFileNamingTheEntry(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("runs.properties");
    Files.writeString(file, "db/inc=yesterday\n");
    assertThatThrownBy(() -> RunHistory.file(file)).isInstanceOf(StorageException.class)
        .hasMessageContaining("db/inc").hasMessageContaining("yesterday");
  }

  @Test
  void inMemoryHistoryKeepsTheLatest() {
    RunHistory h = RunHistory.inMemory();
    h.handled("k", Instant.parse("2026-01-01T02:00:00Z"));
    h.handled("k", Instant.parse("2026-01-01T01:00:00Z"));
    assertThat(h.lastHandled("k")).contains(Instant.parse("2026-01-01T02:00:00Z"));
  }
}
