package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code latest} and listings filtered by host and paths, like restic's --host/--path. */
class SnapshotFilterTest {
  @TempDir Path tmp;

  private static RepositoryOptions host(String h) {
    return RepositoryOptions.builder().host(h).build();
  }

  private static Snapshot backup(Repository repo, String time, Path... roots) {
    return repo.backup(BackupRequest.builder(FileTreeSource.of(List.of(roots))).time(Instant.parse(time)).build());
  }

  @Test
  void latestIsTheNewestSnapshotOfTheGivenHostsHoldingTheGivenPaths() throws IOException {
    Path a = Files.createDirectories(tmp.resolve("a"));
    Path b = Files.createDirectories(tmp.resolve("b"));
    Files.writeString(a.resolve("x"), "x");
    Files.writeString(b.resolve("y"), "y");
    InMemoryBlobStore store = new InMemoryBlobStore();
    Snapshot db1a;
    Snapshot db1ab;
    Snapshot db2a;
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, host("db1"))) {
      db1a = backup(repo, "2026-01-01T00:00:00Z", a);
      db1ab = backup(repo, "2026-01-02T00:00:00Z", a, b);
    }
    try (Repository db2 = Repository.open(store, null, host("db2"))) {
      db2a = backup(db2, "2026-01-03T00:00:00Z", a);
      backup(db2, "2026-01-04T00:00:00Z", b);
      Repository repo = db2;
      assertThat(repo.snapshot("latest").time()).isEqualTo(Instant.parse("2026-01-04T00:00:00Z"));
      assertThat(repo.snapshot("latest", SnapshotFilter.of(List.of("db1"), List.of()))).isEqualTo(db1ab);
      assertThat(repo.snapshot("latest", SnapshotFilter.of(List.of(), List.of(a.toString())))).isEqualTo(db2a);
      // every given path must be held: only db1's two-root snapshot has both
      assertThat(repo.snapshot("latest", SnapshotFilter.of(List.of(), List.of(b.toString(), a.toString()))))
          .isEqualTo(db1ab);
      // several hosts: any of them; relative and unnormalized paths are made absolute
      assertThat(repo.snapshot("latest", SnapshotFilter.of(List.of("db1", "db9"), List.of(a + "/../a"))))
          .isEqualTo(db1ab);
      assertThat(repo.snapshots(new SnapshotFilter(Set.of("db1"), Set.of(a.toString())))).containsExactly(db1a, db1ab);
      assertThat(repo.snapshots(SnapshotFilter.ALL)).hasSize(4);

      assertThatThrownBy(() -> repo.snapshot("latest", SnapshotFilter.of(List.of("db3"), List.of())))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no snapshots of host db3");
      // an id outside the filter is not found
      assertThatThrownBy(() -> repo.snapshot(db2a.id(), SnapshotFilter.of(List.of("db1"), List.of())))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no snapshot of host db1");
      // a custom source's path (not a file-system path) is compared as given
      Snapshot custom = db2.backup(BackupRequest.of(new dev.drkit.backup.spi.BackupSource() {
        @Override
        public String description() {
          return "pg:orders";
        }

        @Override
        public void scan(java.util.function.Consumer<dev.drkit.backup.spi.SourceEntry> sink) {
          sink.accept(dev.drkit.backup.spi.SourceEntry.directory("d".getBytes(java.nio.charset.StandardCharsets.UTF_8),
              0755, Instant.EPOCH));
        }
      }));
      assertThat(custom.paths()).containsExactly("pg:orders");
      assertThat(repo.snapshots(SnapshotFilter.of(List.of(), List.of("pg:orders")))).containsExactly(custom);
      assertThatThrownBy(() -> SnapshotFilter.of(List.of(), List.of(" ")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    }
  }
}
