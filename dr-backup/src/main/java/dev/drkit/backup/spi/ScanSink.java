package dev.drkit.backup.spi;

import dev.drkit.backup.SkippedEntry;

/** Receives what {@link BackupSource#scan(dev.drkit.backup.Excludes, ScanSink)} finds. */
public interface ScanSink {
  /** @param entry an entry to back up (each parent directory before its children) */
  void entry(SourceEntry entry);

  /**
   * @param skipped an entry the source could not capture (unreadable, vanished, a special file, a
   *     path too long); the backup goes on and reports it
   */
  void skipped(SkippedEntry skipped);
}
