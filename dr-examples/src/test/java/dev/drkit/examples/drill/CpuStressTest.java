package dev.drkit.examples.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuStressTest {
  @TempDir Path tmp;

  @Test
  void forcesChunksToATemporaryFileAndDeletesItOnClose() {
    Path file;
    try (CpuStress s = CpuStress.start(1, tmp, 64 * 1024)) {
      file = s.file();
      assertThat(file).isNotNull().startsWith(tmp);
      await("two chunks forced to disk").atMost(Duration.ofSeconds(60)).until(() -> s.chunksForced() >= 2);
      assertThat(s.describe()).startsWith("1 busy threads + 1 fsync writer (64 KiB chunks, ");
      assertThat(Files.exists(file)).isTrue();
    }
    assertThat(Files.exists(file)).isFalse();
  }

  @Test
  void zeroThreadsRunsNothing() {
    try (CpuStress s = CpuStress.start(0, tmp, CpuStress.DEFAULT_CHUNK_BYTES)) {
      assertThat(s.file()).isNull();
      assertThat(s.describe()).isEqualTo("off");
    }
  }

  @Test
  void rejectsANegativeCountAndATinyChunk() {
    assertThatThrownBy(() -> CpuStress.start(-1, tmp, 4096)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("busy threads must be >= 0 but was -1");
    assertThatThrownBy(() -> CpuStress.start(1, tmp, 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("chunk must be >= 4096 bytes but was 10");
  }
}
