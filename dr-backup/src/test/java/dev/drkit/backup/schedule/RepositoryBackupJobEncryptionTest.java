package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.KeySourceException;
import dev.drkit.core.config.KeySources;
import dev.drkit.core.WrongKeyException;
import dev.drkit.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job honours the strategy's encryption: its cipher must match, and its key source opens the repository. */
class RepositoryBackupJobEncryptionTest {
  @TempDir Path tmp;
  private Path src;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-03-02T00:30:00Z"));
  private final RepositoryOptions options = RepositoryOptions.builder().clock(clock).build();
  private final RunInfo run = new RunInfo("files", "nightly", clock.instant(), RunTrigger.SCHEDULED, 1, clock.instant());

  @BeforeEach
  void source() throws Exception {
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("data.txt"), "payload");
  }

  private static BackupStrategy strategy(EncryptionConfig encryption) {
    return BackupStrategy.builder().name("nightly").schedule("0 2 * * *").encryption(encryption).build();
  }

  @Test
  void refusesToWriteAnEncryptedStrategyIntoAnUnencryptedRepository() {
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    Repository.init(store, EncryptionConfig.none(), null, options).close();
    RepositoryBackupJob job = new RepositoryBackupJob(() -> Repository.open(store, null, options),
        s -> FileTreeSource.of(src), ZoneOffset.UTC, new EventBus());
    assertThatThrownBy(() -> job.run(strategy(EncryptionConfig.aes256Gcm("env:DRKIT_KEY")), run))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("encryption.algorithm: strategy 'nightly' asks for aes-256-gcm but repository")
        .hasMessageContaining("is not encrypted; refusing to back up into it");
    try (Repository r = Repository.open(store, null, options)) {
      assertThat(r.snapshots()).isEmpty();
    }
  }

  @Test
  void refusesAnotherCipher() {
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    KeySources keys = KeySources.builder().environment(Map.of("DRKIT_KEY", "pass phrase")::get).build();
    Repository.init(store, EncryptionConfig.chacha20Poly1305("env:DRKIT_KEY"), "pass phrase".toCharArray(), options)
        .close();
    RepositoryBackupJob job = RepositoryBackupJob.opening(store, options, keys, s -> FileTreeSource.of(src),
        ZoneOffset.UTC, new EventBus());
    assertThatThrownBy(() -> job.run(strategy(EncryptionConfig.aes256Gcm("env:DRKIT_KEY")), run))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("asks for aes-256-gcm but repository")
        .hasMessageContaining("is encrypted with chacha20-poly1305");
  }

  @Test
  void opensTheRepositoryWithThePassphraseOfTheStrategysKeySource() throws Exception {
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    Path keyFile = Files.writeString(tmp.resolve("backup.key"), "file pass phrase\n");
    Repository.init(store, EncryptionConfig.aes256Gcm("file:" + keyFile), "file pass phrase".toCharArray(), options)
        .close();
    RepositoryBackupJob job = RepositoryBackupJob.opening(store, options, KeySources.defaults(),
        s -> FileTreeSource.of(src), ZoneOffset.UTC, new EventBus());
    job.run(strategy(EncryptionConfig.aes256Gcm("file:" + keyFile)), run);
    try (Repository r = Repository.open(store, "file pass phrase".toCharArray(), options)) {
      assertThat(r.snapshots()).singleElement()
          .satisfies(s -> assertThat(s.tags()).contains(RepositoryBackupJob.STRATEGY_TAG + "nightly"));
      assertThat(r.algorithm()).isEqualTo(EncryptionConfig.Algorithm.AES_256_GCM);
    }
  }

  @Test
  void anUnresolvableOrWrongKeyFailsTheRunWithoutWriting() throws Exception {
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    Repository.init(store, EncryptionConfig.aes256Gcm("env:DRKIT_KEY"), "right".toCharArray(), options).close();
    KeySources unset = KeySources.builder().environment(Map.<String, String>of()::get).build();
    assertThatThrownBy(() -> RepositoryBackupJob.opening(store, options, unset, s -> FileTreeSource.of(src),
        ZoneOffset.UTC, new EventBus()).run(strategy(EncryptionConfig.aes256Gcm("env:DRKIT_KEY")), run))
        .isInstanceOf(KeySourceException.class).hasMessageContaining("DRKIT_KEY is not set");
    KeySources wrong = KeySources.builder().environment(Map.of("DRKIT_KEY", "wrong")::get).build();
    assertThatThrownBy(() -> RepositoryBackupJob.opening(store, options, wrong, s -> FileTreeSource.of(src),
        ZoneOffset.UTC, new EventBus()).run(strategy(EncryptionConfig.aes256Gcm("env:DRKIT_KEY")), run))
        .isInstanceOf(WrongKeyException.class);
    try (Repository r = Repository.open(store, "right".toCharArray(), options)) {
      assertThat(r.snapshots()).isEmpty();
    }
  }
}
