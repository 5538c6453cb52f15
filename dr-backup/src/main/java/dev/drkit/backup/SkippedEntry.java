package dev.drkit.backup;

import dev.drkit.backup.internal.RawPaths;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Objects;

/**
 * An entry a backup left out of its snapshot, and why. A backup that skips entries still writes its
 * snapshot (like restic's "incomplete snapshot"); {@link Snapshot#skipped()} lists them, the snapshot
 * file records them, a {@code backup.entry-skipped} event is published for each and the {@code drkit}
 * tool prints them and exits with 3.
 *
 * @param path the entry's path in the snapshot, for display: UTF-8, each byte that is not valid
 *     UTF-8 shown as {@code \xNN}
 * @param reason why it was skipped
 * @param detail what the source or the operating system said
 */
public record SkippedEntry(String path, Reason reason, String detail) {
  /** Why an entry was skipped. */
  public enum Reason {
    /** The entry could not be read or listed: permission denied. */
    PERMISSION_DENIED,
    /** The entry was deleted between the scan and the moment it was read. */
    VANISHED,
    /** The entry changed type since the scan (a file became a directory, a symlink or a FIFO). */
    TYPE_CHANGED,
    /** The entry is not a regular file, directory or symlink (a FIFO, socket or device). */
    SPECIAL_FILE,
    /** The entry's path is longer than the operating system accepts. */
    PATH_TOO_LONG,
    /** Any other error while listing, opening or reading the entry. */
    READ_ERROR
  }

  /** Validates. */
  public SkippedEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
  }

  /**
   * @param path the entry's path bytes
   * @param reason why
   * @param detail what happened
   * @return the skipped entry, its path shown as {@link #path()} describes
   */
  public static SkippedEntry of(byte[] path, Reason reason, String detail) {
    return new SkippedEntry(RawPaths.display(path), reason, detail);
  }

  /**
   * Classifies an I/O error of an entry: {@link NoSuchFileException} is {@link Reason#VANISHED},
   * {@link AccessDeniedException} {@link Reason#PERMISSION_DENIED}, {@code ENAMETOOLONG}
   * {@link Reason#PATH_TOO_LONG}, {@code ELOOP} on a file opened without following links
   * {@link Reason#TYPE_CHANGED} (it became a symlink), an {@link EntrySkippedException} its own
   * reason, anything else {@link Reason#READ_ERROR}.
   *
   * @param path the entry's path bytes
   * @param e the error
   * @return the skipped entry
   */
  public static SkippedEntry of(byte[] path, IOException e) {
    if (e instanceof EntrySkippedException s) {
      return of(path, s.reason(), Objects.requireNonNull(s.getMessage())); // always has one
    }
    String msg = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason()
        : String.valueOf(e.getMessage());
    Reason r;
    if (e instanceof NoSuchFileException) {
      r = Reason.VANISHED;
      msg = "no longer exists";
    } else if (e instanceof AccessDeniedException) {
      r = Reason.PERMISSION_DENIED;
      msg = "permission denied";
    } else if (msg.contains("File name too long")) {
      r = Reason.PATH_TOO_LONG;
    } else if (msg.contains("Too many levels of symbolic links")) {
      r = Reason.TYPE_CHANGED;
      msg = "it is now a symbolic link";
    } else if (msg.contains("Is a directory")) {
      r = Reason.TYPE_CHANGED;
      msg = "it is now a directory";
    } else {
      r = Reason.READ_ERROR;
      msg = e.getClass().getSimpleName() + ": " + msg;
    }
    return of(path, r, msg);
  }

  @Override
  public String toString() {
    return path + ": " + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " (" + detail + ")";
  }
}
