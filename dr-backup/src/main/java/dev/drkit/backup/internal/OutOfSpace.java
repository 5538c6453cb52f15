package dev.drkit.backup.internal;

import dev.drkit.core.StorageException;
import dev.drkit.core.StorageFullException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The one place where dr-backup recognises a full disk: an {@link IOException} (anywhere in a
 * cause chain) whose reason is {@code ENOSPC} ("No space left on device") or {@code EDQUOT}
 * ("Disk quota exceeded"), the texts the JDK takes from {@code strerror} on Linux and macOS. Such
 * a failure becomes a {@link StorageFullException} naming what was written, the space left and
 * what to do; every other I/O failure stays a plain {@link StorageException}.
 */
public final class OutOfSpace {
  private static final String ENOSPC = "no space left on device";
  private static final String EDQUOT = "disk quota exceeded";

  private OutOfSpace() {}

  /**
   * @param e a failure
   * @return whether it, or one of its causes, is an {@link IOException} saying the space or the
   *     quota ran out
   */
  public static boolean isOutOfSpace(@Nullable Throwable e) {
    return reason(e) != null;
  }

  /** @return {@link #ENOSPC} or {@link #EDQUOT} when {@code e} or a cause says so, else null */
  private static @Nullable String reason(@Nullable Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException io) {
        // a FileSystemException's message also holds its paths, which may contain any words: its reason only
        String text = io instanceof FileSystemException fse ? fse.getReason() : io.getMessage();
        if (text != null) {
          String lower = text.toLowerCase(Locale.ROOT);
          if (lower.contains(ENOSPC)) {
            return ENOSPC;
          }
          if (lower.contains(EDQUOT)) {
            return EDQUOT;
          }
        }
      }
    }
    return null;
  }

  /**
   * The exception for a failed write: a {@link StorageFullException} when {@code e} says the space
   * ran out, otherwise a {@link StorageException} with {@code failure} and {@code e} as message.
   *
   * @param failure what failed, naming the object (for example "cannot write blob data/ab in /repo")
   * @param target the file or key being written, named by the full-disk message
   * @param location a path on the file system written to (the file, or the nearest directory that
   *     exists), to learn the space left there
   * @param advice what to do once space was freed (for example "run the backup again")
   * @param e the underlying failure
   * @return the exception to throw
   */
  public static StorageException failure(String failure, String target, Path location, String advice, IOException e) {
    String reason = reason(e);
    if (reason == null) {
      return new StorageException(failure + ": " + e, e);
    }
    long usable = usableSpace(location);
    String left = usable < 0 ? "" : " (" + usable + " bytes usable there)";
    String what = reason.equals(ENOSPC) ? "no space left on the file system holding "
        : "the disk quota is exhausted on the file system holding ";
    return new StorageFullException(failure + ": " + what + location + left
        + "; free space there or move it to a larger volume, then " + advice + "; nothing was damaged",
        target, usable, e);
  }

  /** @return the usable space of the file store holding {@code p} (or its nearest existing ancestor), or -1 */
  static long usableSpace(Path p) {
    for (Path q = p.toAbsolutePath(); q != null; q = q.getParent()) {
      if (Files.exists(q)) {
        try {
          return Files.getFileStore(q).getUsableSpace();
        } catch (IOException | RuntimeException e) {
          return -1;
        }
      }
    }
    return -1;
  }
}
