package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup or restore whose heap limit is below its documented need is refused before it writes
 * anything, with a message naming both figures; at the need exactly it runs.
 */
class HeapBudgetTest {
  private static final long MIB = 1 << 20;
  @TempDir Path tmp;
  Path src;
  Path repoDir;

  @BeforeEach
  void setUp() throws IOException {
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    repoDir = tmp.resolve("repo");
    Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").build()).close();
  }

  private Repository open(int parallelism, long heapLimit) {
    return Repository.open(new FileSystemBlobStore(repoDir), null,
        RepositoryOptions.builder().host("h").parallelism(parallelism).heapLimit(heapLimit).build());
  }

  private long count(String dir) throws IOException {
    Path d = repoDir.resolve(dir);
    if (!Files.exists(d)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(d)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  /** A sealed blob of 8 MiB + 1 payload bytes: 129 segments of 64 KiB, 28 bytes of nonce and tag each. */
  private static final long SEALED_8_MIB = 8 * MIB + 1 + 129 * 28;

  @Test
  void theNeedIsTheDocumentedFunctionOfTheOptions() {
    // defaults: 8 MiB chunks, 16 MiB packs, a directory store writes 2 packs at once
    try (Repository r = open(2, 0)) {
      // 2*8 (read buffer) + (32+8) (chunk buffers) + 2*8 (compression) + (2+1)*16 (pack buffers) + 16
      assertThat(r.backupMemory()).isEqualTo(136 * MIB);
      // 3 read buffers of one sealed 8 MiB blob, 2 workers' payload and plaintext buffers, 16 MiB
      assertThat(r.restoreMemory()).isEqualTo(3 * SEALED_8_MIB + 2 * (16 * MIB + 1) + 16 * MIB);
    }
    try (Repository r = open(8, 0)) {
      // 9 chunk buffers (every worker busy, the reader filling one), 8 compression buffers
      assertThat(r.backupMemory()).isEqualTo((16 + 72 + 64 + 48 + 16) * MIB);
      assertThat(r.restoreMemory()).isEqualTo(9 * SEALED_8_MIB + 8 * (16 * MIB + 1) + 16 * MIB);
    }
  }

  @Test
  void aBackupInATooSmallHeapFailsFastAndWritesNothing() throws IOException {
    long snapshots = count("snapshots");
    long packs = count("packs");
    try (Repository r = open(2, 64 * MIB)) {
      assertThatThrownBy(() -> r.backup(BackupRequest.of(FileTreeSource.of(src))))
          .isInstanceOf(InsufficientHeapException.class)
          .hasMessageContaining("backup of")
          .hasMessageContaining("needs 136 MiB of heap")
          .hasMessageContaining("limit is 64 MiB")
          .satisfies(e -> {
            InsufficientHeapException h = (InsufficientHeapException) e;
            assertThat(h.required()).isEqualTo(136 * MIB);
            assertThat(h.available()).isEqualTo(64 * MIB);
          });
    }
    assertThat(count("snapshots")).isEqualTo(snapshots);
    assertThat(count("packs")).isEqualTo(packs);
    assertThat(count("locks")).isZero();
  }

  @Test
  void atTheNeedExactlyBackupAndRestoreRun() throws IOException {
    Snapshot s;
    try (Repository r = open(2, 136 * MIB)) {
      s = r.backup(BackupRequest.of(FileTreeSource.of(src)));
    }
    long restoreNeed = 3 * SEALED_8_MIB + 2 * (16 * MIB + 1) + 16 * MIB;
    Path target = tmp.resolve("out");
    try (Repository r = open(2, restoreNeed - 1)) {
      assertThatThrownBy(() -> r.restore(s.id(), target, List.of(), ProgressListener.NONE))
          .isInstanceOf(InsufficientHeapException.class)
          .hasMessageContaining("restore of " + s.id());
    }
    assertThat(target).doesNotExist();
    try (Repository r = open(2, restoreNeed)) {
      r.restore(s.id(), target);
    }
    assertThat(target.resolve("a.txt")).hasContent("alpha");
  }

  @Test
  void theDefaultLimitIsTheJvmsAndAZeroOrTinyLimitIsRejected() {
    assertThat(RepositoryOptions.defaults().heapLimit()).isEqualTo(Runtime.getRuntime().maxMemory());
    assertThatThrownBy(() -> RepositoryOptions.builder().heapLimit(1000).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("heap-limit");
  }
}
