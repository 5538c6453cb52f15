package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.SnapshotRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotLogPositionTest {
  @TempDir Path tmp;

  private static BackupSource source(String name, boolean partial, Optional<LogPosition> position) {
    return new BackupSource() {
      @Override
      public String description() {
        return name;
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        sink.accept(SourceEntry.file("data".getBytes(StandardCharsets.UTF_8), 4, 0644, t, null,
            () -> new java.io.ByteArrayInputStream("data".getBytes(StandardCharsets.UTF_8))));
        if (partial) {
          sink.accept(SourceEntry.file("secret".getBytes(StandardCharsets.UTF_8), 2, 0600, t, null,
              () -> {
                throw new AccessDeniedException("/somewhere/secret");
              }));
        }
      }

      @Override
      public Optional<LogPosition> logPosition() {
        return position;
      }
    };
  }

  private Repository open() {
    return Repository.open(new FileSystemBlobStore(tmp.resolve("repo")), null,
        RepositoryOptions.builder().host("h").build());
  }

  @Test
  void aSnapshotRecordsItsSourcesLogPositionInItsFileAndTheCatalogueListsIt() {
    Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(), null,
        RepositoryOptions.builder().host("h").build()).close();
    Snapshot with;
    Snapshot without;
    try (Repository repo = open()) {
      with = repo.backup(BackupRequest.of(source("orders", false, Optional.of(new LogPosition(1234, 2)))));
      without = repo.backup(BackupRequest.of(source("plain", false, Optional.empty())));
      repo.backup(BackupRequest.of(source("orders", true, Optional.of(new LogPosition(2000, 2)))));
    }
    assertThat(with.logPosition()).isEqualTo(new LogPosition(1234, 2));
    assertThat(without.logPosition()).isNull();
    try (Repository repo = open()) {
      assertThat(repo.snapshots()).filteredOn(s -> s.id().equals(with.id())).singleElement()
          .satisfies(s -> assertThat(s.logPosition()).isEqualTo(new LogPosition(1234, 2)));
      assertThat(repo.snapshots()).filteredOn(s -> s.id().equals(without.id())).singleElement()
          .satisfies(s -> assertThat(s.logPosition()).isNull());
    }
    List<SnapshotRef> refs = new RepositorySnapshotCatalog(this::open, (service, s) -> s.source().equals(service))
        .snapshots("orders");
    assertThat(refs).as("the partial snapshot is never rebuilt from").singleElement().satisfies(r -> {
      assertThat(r.id()).isEqualTo(with.id());
      assertThat(r.time()).isEqualTo(with.time());
      assertThat(r.logPosition()).isEqualTo(new LogPosition(1234, 2));
      assertThat(r.sizeBytes()).isEqualTo(4);
    });
  }
}
