package dev.drkit.backup.schedule;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers, per strategy, the last cron time the {@link BackupScheduler} dealt with (ran, skipped
 * or caught up), so that after a restart it knows which runs were missed while it was down.
 * Implementations must be thread-safe.
 */
public interface RunHistory {
  /**
   * @param key the strategy's key ({@code service/strategy})
   * @return the last cron time dealt with, if any
   */
  Optional<Instant> lastHandled(String key);

  /**
   * @param key the strategy's key
   * @param scheduledFor the cron time just dealt with
   */
  void handled(String key, Instant scheduledFor);

  /** @return a history in memory (forgotten on restart: nothing is ever considered missed after one) */
  static RunHistory inMemory() {
    ConcurrentHashMap<String, Instant> map = new ConcurrentHashMap<>();
    return new RunHistory() {
      @Override
      public Optional<Instant> lastHandled(String key) {
        return Optional.ofNullable(map.get(key));
      }

      @Override
      public void handled(String key, Instant scheduledFor) {
        map.merge(key, scheduledFor, (a, b) -> a.isAfter(b) ? a : b);
      }
    };
  }

  /**
   * @param file a properties file, created on first write; replaced atomically on every write
   * @return a history that survives restarts
   * @throws dev.drkit.core.StorageException if the file exists and cannot be read
   */
  static RunHistory file(Path file) {
    return new FileRunHistory(file);
  }
}
