package dev.drkit.backup.internal;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.backup.EntrySkippedException;
import dev.drkit.backup.SkippedEntry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens a backup source's regular file for reading so that the backup can never block on it.
 *
 * <p>{@code open(2)} of a FIFO for reading blocks until a writer appears, and NIO has no
 * {@code O_NONBLOCK}. So: (1) the path is checked with {@code lstat} right before opening and
 * anything but a regular file is refused (this catches a file replaced since the scan); (2) the
 * open itself ({@code O_RDONLY|O_NOFOLLOW}) runs on a daemon opener thread, and if it has not
 * returned within the timeout while the path is a FIFO (swapped in between the check and the
 * open), the opener is released by opening the FIFO read-write, which never blocks on Linux;
 * if it cannot be released, or the open is merely slow, the entry is skipped and the opener
 * thread is left to finish (closing what it opens); (3) after opening, the channel itself is
 * checked: {@code lseek} fails on a FIFO or socket, reading a directory fails ({@code EISDIR}) and
 * {@code O_NOFOLLOW} refuses a symbolic link ({@code ELOOP}). The backup thread therefore waits at most twice the timeout for one
 * entry (once before a release, once after it), never indefinitely.
 */
public final class FileOpener {
  /** How long an open may take before its entry is skipped. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  private static final AtomicLong SEQ = new AtomicLong();
  private static final ExecutorService OPENERS = Executors.newCachedThreadPool(r -> {
    Thread t = DrkitThreads.create(r, "drkit-file-opener-" + SEQ.incrementAndGet(), true);
    return t;
  });

  private FileOpener() {}

  /**
   * @param p a path that was a regular file when scanned
   * @return its content, read without following a symbolic link
   * @throws EntrySkippedException when it is no longer a regular file, or the open did not finish in time
   * @throws IOException when it cannot be opened (vanished, permission denied, ...)
   */
  public static FileChannel open(Path p) throws IOException {
    return open(p, DEFAULT_TIMEOUT, true);
  }

  /**
   * @param p the path
   * @param timeout how long the open may take
   * @param checkFirst whether to {@code lstat} before opening (tests turn it off to open a FIFO
   *     as if it had been swapped in after the check)
   * @return the open channel of a regular file
   * @throws IOException as {@link #open(Path)}
   */
  static FileChannel open(Path p, Duration timeout, boolean checkFirst) throws IOException {
    if (checkFirst) {
      checkRegular(p);
    }
    CompletableFuture<FileChannel> f = CompletableFuture.supplyAsync(() -> {
      try {
        return FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, OPENERS);
    FileChannel ch = await(f, p, timeout);
    try {
      try {
        ch.position(); // lseek(2): fails with ESPIPE on a FIFO or socket
      } catch (IOException e) {
        throw new EntrySkippedException(SkippedEntry.Reason.TYPE_CHANGED,
            "it is now a FIFO or socket, not a regular file (" + e.getMessage() + ")");
      }
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static FileChannel await(CompletableFuture<FileChannel> f, Path p, Duration timeout) throws IOException {
    boolean released = false;
    while (true) {
      try {
        return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause()
            : e.getCause();
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException("cannot open " + p + ": " + c, c);
      } catch (InterruptedException e) {
        abandon(f);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while opening " + p);
      } catch (TimeoutException e) {
        boolean fifo = isFifo(p);
        if (fifo && !released && release(p)) {
          released = true; // the opener now returns a FIFO channel, refused after opening
          continue;
        }
        abandon(f);
        if (fifo) {
          throw new EntrySkippedException(SkippedEntry.Reason.TYPE_CHANGED,
              "it is now a FIFO, whose open blocked for " + timeout.toMillis() + " ms and could not be released");
        }
        throw new EntrySkippedException(SkippedEntry.Reason.READ_ERROR,
            "open did not finish within " + timeout.toMillis() + " ms");
      }
    }
  }

  /** Closes whatever an abandoned open eventually returns. */
  @SuppressWarnings("FutureReturnValueIgnored") // the callback handles the outcome itself
  private static void abandon(CompletableFuture<FileChannel> f) {
    f.whenComplete((ch, err) -> {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing was read from it
        }
      }
    });
  }

  /** Opening a FIFO read-write never blocks on Linux, and makes a blocked reader's open return. */
  private static boolean release(Path p) {
    try {
      FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).close();
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean isFifo(Path p) {
    try {
      return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000) == 0010000;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * @param p a path
   * @throws EntrySkippedException when it is not a regular file (the message says what it is now)
   * @throws IOException when it cannot be examined
   */
  static void checkRegular(Path p) throws IOException {
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      int fmt = a.isDirectory() ? 0040000 : a.isSymbolicLink() ? 0120000
          : (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
      throw new EntrySkippedException(SkippedEntry.Reason.TYPE_CHANGED, "it is now " + kind(fmt)
          + ", not a regular file");
    }
  }

  /**
   * @param fmt the {@code S_IFMT} bits of a mode
   * @return what they name, with an article ("a directory")
   */
  public static String kind(int fmt) {
    switch (fmt) {
      case 0040000:
        return "a directory";
      case 0120000:
        return "a symbolic link";
      case 0010000:
        return "a FIFO";
      case 0140000:
        return "a socket";
      case 0020000:
        return "a character device";
      case 0060000:
        return "a block device";
      case 0100000:
        return "a regular file";
      default:
        return "a file of type " + Integer.toOctalString(fmt);
    }
  }
}
