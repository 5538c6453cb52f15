package dev.drkit.spi;

/** The kinds of entries a {@link BackupSource} yields and a snapshot stores. */
public enum EntryType {
  /** A regular file with content. */
  FILE,
  /** A directory (stored even when empty). */
  DIRECTORY,
  /** A symbolic link, stored as its target and never followed. */
  SYMLINK
}
