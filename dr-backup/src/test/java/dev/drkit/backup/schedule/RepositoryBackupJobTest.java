package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler driving real backups into a real repository on a fake clock, with retention. */
class RepositoryBackupJobTest {
  @Test
  void scheduledBackupsLandInTheRepositoryAndEachStrategyKeepsItsOwnRetention(@TempDir Path tmp) throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Files.writeString(src.resolve("data.txt"), "v0");
    FakeClock clock = new FakeClock(Instant.parse("2026-03-02T00:30:00Z"));
    ManualTaskScheduler tasks = new ManualTaskScheduler(clock);
    List<DrEvent> events = new CopyOnWriteArrayList<>();
    EventBus bus = EventBus.of(events::add);
    RepositoryOptions options = RepositoryOptions.builder().clock(clock).build();
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    Repository.init(store, EncryptionConfig.none(), null, options).close();

    BackupStrategy hourly = BackupStrategy.builder().name("hourly").type(BackupType.INCREMENTAL)
        .schedule("0 * * * *").retention(RetentionPolicy.builder().keepLast(2).build())
        .encryption(EncryptionConfig.none()).build();
    BackupStrategy daily = BackupStrategy.builder().name("daily").type(BackupType.FULL)
        .schedule("0 0 3 * * ?").retention(RetentionPolicy.builder().keepDaily(7).build())
        .encryption(EncryptionConfig.none()).build();
    RepositoryBackupJob work = new RepositoryBackupJob(() -> Repository.open(store, null, options),
        s -> FileTreeSource.of(src), ZoneOffset.UTC, bus);
    try (BackupScheduler scheduler = BackupScheduler.builder(BackupJob.blocking(work, Runnable::run))
        .taskScheduler(tasks).eventBus(bus).build()) {
      scheduler.add("files", hourly);
      scheduler.add("files", daily);
      scheduler.start();
      for (int i = 1; i <= 5; i++) {
        tasks.advance(Duration.ofHours(1));
        Files.writeString(src.resolve("data.txt"), "v" + i);
      }
    }

    List<Snapshot> left;
    try (Repository r = Repository.open(store, null, options)) {
      left = r.snapshots();
      assertThat(r.verify(true, p -> { }).ok()).isTrue();
    }
    assertThat(left).filteredOn(s -> s.tags().contains("strategy=hourly")).extracting(Snapshot::time)
        .containsExactlyInAnyOrder(Instant.parse("2026-03-02T04:00:00Z"), Instant.parse("2026-03-02T05:00:00Z"));
    assertThat(left).filteredOn(s -> s.tags().contains("strategy=daily")).singleElement()
        .satisfies(s -> assertThat(s.type()).isEqualTo(BackupType.FULL));
    assertThat(events).filteredOn(e -> e.type().equals("backup.run.succeeded")).hasSize(6);
    assertThat(events).filteredOn(e -> e.type().equals("backup.retention.applied")).last()
        .satisfies(e -> assertThat(e.attributes()).containsEntry("kept", "2").containsEntry("forgotten", "1"));
  }
}
