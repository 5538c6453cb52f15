package dev.drkit.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Durable file writes: the one fsync policy of drkit's files (state store, audit journal, blob
 * store, run history; the replication log follows the same rules).
 *
 * <p><b>The policy.</b>
 * <ol>
 *   <li>A file's bytes are durable once its channel was forced with {@code force(true)} (content
 *       and metadata) after the last write. {@link #writeNew} does that for a new file.</li>
 *   <li>A name (a file created, renamed, linked or deleted) is durable once its directory was
 *       forced: the directory is opened read-only and forced ({@link #forceDirectory}).</li>
 *   <li>A file is replaced atomically by writing a temporary file in the same directory
 *       ({@code <name>.tmp-<random>}, created new), forcing it, renaming it over the file with
 *       {@link StandardCopyOption#ATOMIC_MOVE}, then forcing the directory ({@link #replace}). A
 *       crash at any point leaves the old or the new content, never a mix; a temporary file left
 *       by a crash is the owner's to delete when it next opens the directory.</li>
 *   <li><b>Where a directory cannot be opened.</b> Windows refuses to open a directory as a
 *       channel, so rule 2 cannot be applied there: on Windows (decided once, from
 *       {@code os.name}, not by catching errors) {@link #forceDirectory} does nothing and the
 *       durability of a name is NTFS's, which journals metadata changes such as the rename. On
 *       every other platform a directory that cannot be opened or forced is an
 *       {@link IOException} for the caller, which must report that the new name may not survive a
 *       power loss; it is never only logged.</li>
 * </ol>
 * Internal: shared by drkit's modules, not part of the API.
 */
public final class DurableFiles {
  /** The marker of temporary files written by {@link #replace}: {@code <name>.tmp-<random hex>}. */
  public static final String TEMP_MARKER = ".tmp-";

  private static final boolean DIRECTORY_SYNC = !System.getProperty("os.name", "")
      .toLowerCase(Locale.ROOT).startsWith("windows");

  private DurableFiles() {}

  /**
   * Whether this platform can force a directory (rule 4 of the policy): false on Windows only.
   *
   * @return true when {@link #forceDirectory} forces directories here
   */
  public static boolean directorySyncSupported() {
    return DIRECTORY_SYNC;
  }

  /**
   * Forces a directory, so that the names created, renamed or deleted in it survive a power loss
   * (rule 2); does nothing on a platform that cannot open a directory (rule 4).
   *
   * @param dir the directory
   * @throws IOException when the directory cannot be opened or forced on a platform that supports
   *     it (for example because it does not exist)
   */
  public static void forceDirectory(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (!DIRECTORY_SYNC) {
      return;
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /**
   * Creates {@code file} (it must not exist), writes {@code bytes} and forces it (rule 1). The
   * directory is not forced: the caller renames or links the file first, then forces it.
   *
   * @param file the new file
   * @param bytes its content
   * @throws java.nio.file.FileAlreadyExistsException when the file exists
   * @throws IOException when it cannot be created, written or forced
   */
  public static void writeNew(Path file, byte[] bytes) throws IOException {
    Objects.requireNonNull(bytes, "bytes");
    writeNew(file, bytes, 0, bytes.length);
  }

  /** The most bytes handed to one channel write (see {@link #writeNew(Path, byte[], int, int)}). */
  static final int WRITE_SLICE = 1 << 20;

  /**
   * Like {@link #writeNew(Path, byte[])}, for {@code bytes[offset, offset + length)}. The bytes go
   * to the channel in slices of at most 1 MiB: the JDK copies a heap buffer into a temporary direct
   * buffer as large as what one write hands it and keeps that per thread, so writing a 16 MiB array
   * at once would pin 16 MiB of native memory in every writing thread.
   *
   * @param file the new file
   * @param bytes the buffer holding its content
   * @param offset where the content starts
   * @param length its length
   * @throws IndexOutOfBoundsException when the range is not inside {@code bytes}
   * @throws java.nio.file.FileAlreadyExistsException when the file exists
   * @throws IOException when it cannot be created, written or forced
   */
  public static void writeNew(Path file, byte[] bytes, int offset, int length) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(bytes, "bytes");
    Objects.checkFromIndexSize(offset, length, bytes.length);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      int end = offset + length;
      for (int p = offset; p < end; ) {
        ByteBuffer buf = ByteBuffer.wrap(bytes, p, Math.min(WRITE_SLICE, end - p));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        p = buf.position();
      }
      ch.force(true);
    }
  }

  /**
   * A fresh temporary file name next to {@code target}: {@code <name>.tmp-<random hex>}.
   *
   * @param target the file the temporary file will replace
   * @return the temporary file's path (not created)
   */
  public static Path tempFor(Path target) {
    return target.resolveSibling(target.getFileName() + TEMP_MARKER
        + Long.toHexString(ThreadLocalRandom.current().nextLong()));
  }

  /**
   * Replaces {@code target} atomically and durably with {@code bytes} (rule 3): temporary file,
   * force, atomic rename, force the directory. When this returns, the new content survives a
   * power loss; when it throws before the rename, the old content is in place and the temporary
   * file was deleted.
   *
   * @param target the file to replace (or create)
   * @param bytes its new content
   * @throws DirectoryNotForcedException when the new content is in place but the directory could
   *     not be forced (the rename may not survive a power loss)
   * @throws IOException when the new content could not be written or renamed; the old content is
   *     kept
   */
  public static void replace(Path target, byte[] bytes) throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(bytes, "bytes");
    Path temp = tempFor(target);
    try {
      writeNew(temp, bytes);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    Path dir = target.toAbsolutePath().getParent();
    if (dir != null) {
      try {
        forceDirectory(dir);
      } catch (IOException e) {
        throw new DirectoryNotForcedException(target, e);
      }
    }
  }

  /**
   * The new content of a file is in place, but its directory could not be forced: the rename may
   * be lost by a power failure.
   */
  public static final class DirectoryNotForcedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param target the file that was replaced
     * @param cause why its directory could not be forced
     */
    public DirectoryNotForcedException(Path target, IOException cause) {
      super(target + " was replaced but its directory could not be forced to disk: " + cause, cause);
    }
  }
}
