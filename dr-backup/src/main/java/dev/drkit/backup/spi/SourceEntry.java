package dev.drkit.backup.spi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a {@link BackupSource}: its relative path (raw bytes, so that names in any
 * encoding survive), type, size, permission bits, modification time, symlink target, an optional
 * change-tracking token and, for files, a way to open the content and optionally a
 * {@link ChangeCheck} to examine the file again after it was read. Immutable.
 */
public final class SourceEntry {
  /** Opens the content of a file entry. */
  @FunctionalInterface
  public interface ContentOpener {
    /**
     * @return a fresh stream of the content; drkit closes it
     * @throws IOException when it cannot be opened
     */
    InputStream open() throws IOException;
  }

  /**
   * Examines a file entry again once its content was read, to tell a file changed while it was
   * backed up from one that was not, even when its length stayed the same (restic's way: the
   * metadata before and after the read are compared; no content is read twice).
   */
  @FunctionalInterface
  public interface ChangeCheck {
    /**
     * @param scanned the entry as the scan emitted it
     * @return how the file now differs from {@code scanned} (for example its modification time,
     *     for a message), or empty when it does not as far as this check can see
     * @throws IOException when the file cannot be examined any more (it was deleted, for example)
     */
    Optional<String> since(SourceEntry scanned) throws IOException;
  }

  private final EntryType type;
  private final byte[] path;
  private final long size;
  private final int mode;
  private final Instant mtime;
  private final byte[] symlinkTarget;
  private final @Nullable String fileKey;
  private final @Nullable ContentOpener content;
  private final @Nullable ChangeCheck changeCheck;

  private SourceEntry(EntryType type, byte[] path, long size, int mode, Instant mtime, byte[] symlinkTarget,
      @Nullable String fileKey, @Nullable ContentOpener content, @Nullable ChangeCheck changeCheck) {
    this.type = type;
    this.path = validatePath(path);
    if (size < 0) {
      throw new IllegalArgumentException("size of " + pathString() + " must be >= 0");
    }
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("mode of " + pathString() + " must be within 07777");
    }
    this.size = size;
    this.mode = mode;
    this.mtime = Objects.requireNonNull(mtime, "mtime");
    this.symlinkTarget = symlinkTarget;
    this.fileKey = fileKey;
    this.content = content;
    this.changeCheck = changeCheck;
  }

  private static byte[] validatePath(byte[] path) {
    Objects.requireNonNull(path, "path");
    if (path.length == 0 || path.length > 65535) {
      throw new IllegalArgumentException("entry path must be 1-65535 bytes");
    }
    int start = 0;
    for (int i = 0; i <= path.length; i++) {
      if (i == path.length || path[i] == '/') {
        int len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.') || (len == 2 && path[start] == '.' && path[start + 1] == '.')) {
          throw new IllegalArgumentException("entry path '" + new String(path, StandardCharsets.UTF_8)
              + "' has an empty, '.' or '..' component or a leading/trailing slash");
        }
        start = i + 1;
      } else if (path[i] == 0) {
        throw new IllegalArgumentException("entry path '" + new String(path, StandardCharsets.UTF_8)
            + "' contains a NUL byte");
      }
    }
    return path.clone();
  }

  /**
   * @param path relative path bytes
   * @param size content length
   * @param mode permission bits (07777)
   * @param mtime modification time
   * @param fileKey change-tracking token (inode, version), or null. A key of the form
   *     {@code DEV:INODE:...} (digits, digits, anything; {@code FileTreeSource} writes device, inode and
   *     change time) also names the inode: files of one snapshot with equal such keys, size, mode,
   *     time and content are hard links and are restored as hard links.
   * @param content opens the content
   * @return a regular-file entry
   * @throws IllegalArgumentException for an invalid path, size or mode
   */
  public static SourceEntry file(byte[] path, long size, int mode, Instant mtime, @Nullable String fileKey,
      ContentOpener content) {
    return new SourceEntry(EntryType.FILE, path, size, mode, mtime, new byte[0], fileKey,
        Objects.requireNonNull(content, "content"), null);
  }

  /**
   * A regular-file entry whose source can tell, after its content was read, whether it changed
   * meanwhile: a backup then reports it as changed while it was backed up (see
   * {@link #changedSinceScan()}), whatever its length.
   *
   * @param path relative path bytes
   * @param size content length
   * @param mode permission bits (07777)
   * @param mtime modification time
   * @param fileKey change-tracking token, or null (see {@link #file(byte[], long, int, Instant, String,
   *     ContentOpener)})
   * @param content opens the content
   * @param changeCheck examines the file again after its content was read
   * @return a regular-file entry
   * @throws IllegalArgumentException for an invalid path, size or mode
   */
  public static SourceEntry file(byte[] path, long size, int mode, Instant mtime, @Nullable String fileKey,
      ContentOpener content, ChangeCheck changeCheck) {
    return new SourceEntry(EntryType.FILE, path, size, mode, mtime, new byte[0], fileKey,
        Objects.requireNonNull(content, "content"), Objects.requireNonNull(changeCheck, "changeCheck"));
  }

  /**
   * @param path relative path bytes
   * @param mode permission bits
   * @param mtime modification time
   * @return a directory entry
   */
  public static SourceEntry directory(byte[] path, int mode, Instant mtime) {
    return new SourceEntry(EntryType.DIRECTORY, path, 0, mode, mtime, new byte[0], null, null, null);
  }

  /**
   * @param path relative path bytes
   * @param target the link's target bytes, stored and restored exactly (relative or absolute, any
   *     bytes but NUL)
   * @param mtime modification time of the link itself
   * @return a symlink entry
   * @throws IllegalArgumentException for an invalid path, or a target that is empty, longer than
   *     65535 bytes or holds a NUL byte (the message names the entry)
   */
  public static SourceEntry symlink(byte[] path, byte[] target, Instant mtime) {
    Objects.requireNonNull(target, "target");
    SourceEntry e = new SourceEntry(EntryType.SYMLINK, path, 0, 0777, mtime, target.clone(), null, null, null);
    if (target.length == 0 || target.length > 65535) {
      throw new IllegalArgumentException("symlink target of '" + e.pathString() + "' must be 1-65535 bytes, not "
          + target.length);
    }
    for (int i = 0; i < target.length; i++) {
      if (target[i] == 0) {
        throw new IllegalArgumentException("symlink target of '" + e.pathString() + "' contains a NUL byte (at offset "
            + i + "); no file system can store it");
      }
    }
    return e;
  }

  /** @return the kind */
  public EntryType type() {
    return type;
  }

  /** @return a copy of the relative path bytes */
  public byte[] path() {
    return path.clone();
  }

  /** @return the path decoded as UTF-8 (lossy for other encodings), for display */
  public String pathString() {
    return new String(path, StandardCharsets.UTF_8);
  }

  /** @return content length (0 unless a file) */
  public long size() {
    return size;
  }

  /** @return permission bits */
  public int mode() {
    return mode;
  }

  /** @return modification time */
  public Instant mtime() {
    return mtime;
  }

  /** @return a copy of the symlink target bytes (empty unless a symlink) */
  public byte[] symlinkTarget() {
    return symlinkTarget.clone();
  }

  /** @return the change-tracking token, or null */
  public @Nullable String fileKey() {
    return fileKey;
  }

  /**
   * @return a fresh stream of a file's content
   * @throws IOException when it cannot be opened
   * @throws IllegalStateException when this entry is not a file
   */
  public InputStream openContent() throws IOException {
    if (content == null) {
      throw new IllegalStateException(pathString() + " is a " + type + ", it has no content");
    }
    return content.open();
  }

  /**
   * Asks the entry's {@link ChangeCheck} how the file changed since the scan; a backup calls it
   * once, right after reading the content, and only for a file it reads (not for one it takes as
   * unchanged from the previous snapshot).
   *
   * @return how the file differs now from this entry, or empty when it does not or the entry has
   *     no check
   * @throws IOException when the file cannot be examined any more
   */
  public Optional<String> changedSinceScan() throws IOException {
    return changeCheck == null ? Optional.empty() : changeCheck.since(this);
  }

  @Override
  public String toString() {
    return type + " " + pathString();
  }
}
