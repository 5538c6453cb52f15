package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.util.Locale;

/**
 * What a backup re-reads from its source. Every snapshot is logically complete whatever its type;
 * the type only decides which files are trusted unchanged.
 */
public enum BackupType {
  /** Re-read every file. */
  FULL,
  /** Trust files unchanged (size, mtime, file key) since the latest snapshot of any type. */
  INCREMENTAL,
  /** Trust files unchanged since the latest {@link #FULL} snapshot. */
  DIFFERENTIAL;

  /** @return the name used in plan files */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param value {@code full}, {@code incremental} or {@code differential} (any case)
   * @return the type
   * @throws ConfigException naming field {@code type} for any other value
   */
  public static BackupType parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ConfigException("type",
          "must be one of full, incremental, differential but was '" + value + "'");
    }
  }
}
