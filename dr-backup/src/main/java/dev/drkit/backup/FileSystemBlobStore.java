package dev.drkit.backup;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.StorageException;
import dev.drkit.core.StorageFullException;
import dev.drkit.backup.internal.OutOfSpace;
import dev.drkit.core.internal.DurableFiles;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobKeys;
import dev.drkit.core.spi.BlobStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default {@link BlobStore}: one file per blob under a root directory.
 *
 * <p>Layout: the key {@code a/b/c} is the file {@code ROOT/a~/b~/c}. Directory names carry a
 * {@code ~} suffix (a character keys cannot contain) so that the keys {@code a} and {@code a/b}
 * can coexist. Files whose names are not valid key segments (the {@code #tmp-*} files of writes in
 * progress, anything a human drops there) are invisible through this interface.
 *
 * <p>Writes are atomic and durable: the content goes to a temporary file in the target directory,
 * which is fsynced, then renamed over the target ({@link #put}) or hard-linked to it
 * ({@link #putIfAbsent}: {@code link(2)} fails when the target exists, so of concurrent writers,
 * even in different processes, exactly one wins), then the directory is fsynced (drkit's one fsync
 * policy, {@code dev.drkit.core.internal.DurableFiles}, which also says what happens where a
 * directory cannot be opened). A failure (full
 * disk, I/O error) removes the temporary file and is reported as a {@link StorageException}; a full
 * disk or exhausted quota ({@code ENOSPC}, {@code EDQUOT}) as a {@link StorageFullException} naming
 * the key and the space left, after which the store holds exactly what it held before. The
 * file system must support hard links (every local POSIX file system does). A process killed
 * while writing leaves its temporary file behind: {@link #temporaryFiles} lists such files and
 * {@link #deleteTemporaryFile} removes them (prune does, once they are older than a lock lease).
 */
public final class FileSystemBlobStore implements BlobStore, TemporaryFiles {
  private static final Logger LOG = LoggerFactory.getLogger(FileSystemBlobStore.class);
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,255}");
  private static final String DIR_SUFFIX = "~";
  private static final String TEMP_PREFIX = "#tmp-";
  /** What to do after a full disk, as the full-disk message says it. */
  private static final String ADVICE = "run the operation (for example the backup) again";
  private final Path root;
  private final TempWriter tempWriter;

  /** Creates, writes and forces a new temporary file; a seam for tests that fill the disk. */
  @FunctionalInterface
  interface TempWriter {
    /**
     * @param file the new file (must not exist)
     * @param bytes the buffer holding its content
     * @param offset where the content starts
     * @param length its length
     * @throws IOException when it cannot be created, written or forced
     */
    void writeNew(Path file, byte[] bytes, int offset, int length) throws IOException;
  }

  /**
   * Opens (creating when absent) a store rooted at {@code root}.
   *
   * @param root the root directory
   * @throws StorageException when the directory cannot be created
   */
  public FileSystemBlobStore(Path root) {
    this(root, DurableFiles::writeNew);
  }

  /**
   * @param root the root directory
   * @param tempWriter writes each temporary file ({@link DurableFiles#writeNew} but in tests)
   */
  FileSystemBlobStore(Path root, TempWriter tempWriter) {
    this.tempWriter = Objects.requireNonNull(tempWriter, "tempWriter");
    this.root = Objects.requireNonNull(root, "root").toAbsolutePath();
    try {
      Files.createDirectories(this.root);
    } catch (IOException e) {
      throw OutOfSpace.failure("cannot create blob store directory " + this.root, this.root.toString(), this.root,
          ADVICE, e);
    }
  }

  /** @return the root directory */
  public Path root() {
    return root;
  }

  /**
   * @param key a valid key
   * @return the file that holds it
   */
  Path fileOf(String key) {
    String[] segs = key.split("/");
    Path p = root;
    for (int i = 0; i < segs.length - 1; i++) {
      p = p.resolve(segs[i] + DIR_SUFFIX);
    }
    return p.resolve(segs[segs.length - 1]);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) {
    Objects.requireNonNull(content, "content");
    return putIfAbsent(key, content, 0, content.length);
  }

  /**
   * Writes the range straight from the caller's buffer to the temporary file (no copy of it).
   *
   * @param key the blob's key
   * @param content the buffer holding the content (not modified, not retained)
   * @param offset where the content starts
   * @param length its length
   * @return {@code true} if stored, {@code false} if the key existed
   * @throws IndexOutOfBoundsException when the range is not inside {@code content}
   * @throws StorageException when the file system fails
   */
  @Override
  public boolean putIfAbsent(String key, byte[] content, int offset, int length) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    Objects.checkFromIndexSize(offset, length, content.length);
    Path target = fileOf(key);
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    Path tmp = writeTemp(key, target, content, offset, length);
    try {
      Files.createLink(target, tmp);
      DurableFiles.forceDirectory(Objects.requireNonNull(target.getParent())); // blobs live under the root
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw OutOfSpace.failure("cannot store blob " + key + " in " + root, key, target, ADVICE, e);
    } catch (UnsupportedOperationException e) {
      throw new StorageException("cannot store blob " + key + " in " + root + ": " + e, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  @Override
  public void put(String key, byte[] content) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    Path target = fileOf(key);
    Path tmp = writeTemp(key, target, content, 0, content.length);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      DurableFiles.forceDirectory(Objects.requireNonNull(target.getParent())); // blobs live under the root
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw OutOfSpace.failure("cannot store blob " + key + " in " + root, key, target, ADVICE, e);
    }
  }

  private Path writeTemp(String key, Path target, byte[] content, int offset, int length) {
    Path dir = Objects.requireNonNull(target.getParent()); // blobs live under the root
    Path tmp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      Files.createDirectories(dir);
      tempWriter.writeNew(tmp, content, offset, length);
      return tmp;
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw OutOfSpace.failure("cannot write blob " + key + " (" + length + " bytes) in " + root, key, dir, ADVICE, e);
    } catch (RuntimeException e) {
      deleteQuietly(tmp);
      throw new StorageException("cannot write blob " + key + " (" + length + " bytes) in " + root
          + ": " + e, e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("could not remove temporary file {}", p, e);
    }
  }

  @Override
  public byte[] get(String key) {
    BlobKeys.validate(key);
    Path f = fileOf(key);
    try {
      return Files.readAllBytes(f);
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(key);
    } catch (IOException e) {
      throw new StorageException("cannot read blob " + key + " from " + root + ": " + e, e);
    }
  }

  @Override
  public byte[] getRange(String key, long offset, int length) {
    if (length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0 for blob " + key);
    }
    byte[] out = new byte[length];
    getRange(key, offset, length, out, 0);
    return out;
  }

  @Override
  public void getRange(String key, long offset, int length, byte[] into, int at) {
    BlobKeys.validate(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0 for blob " + key);
    }
    java.util.Objects.checkFromIndexSize(at, length, into.length);
    Path f = fileOf(key);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      if (offset + length > size) {
        throw new StorageException("range " + offset + "+" + length + " extends past the end of blob " + key
            + " (" + size + " bytes)");
      }
      ByteBuffer buf = ByteBuffer.wrap(into, at, length);
      long pos = offset;
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new StorageException("blob " + key + " shrank while being read");
        }
        pos += n;
      }
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(key);
    } catch (IOException e) {
      throw new StorageException("cannot read blob " + key + " from " + root + ": " + e, e);
    }
  }

  @Override
  public Optional<BlobInfo> stat(String key) {
    BlobKeys.validate(key);
    try {
      BasicFileAttributes a = Files.readAttributes(fileOf(key), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() ? Optional.of(new BlobInfo(key, a.size())) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new StorageException("cannot stat blob " + key + " in " + root + ": " + e, e);
    }
  }

  @Override
  public List<BlobInfo> list(String prefix) {
    BlobKeys.validatePrefix(prefix);
    int slash = prefix.lastIndexOf('/');
    String dirKey = slash < 0 ? "" : prefix.substring(0, slash);
    Path dir = root;
    if (!dirKey.isEmpty()) {
      for (String seg : dirKey.split("/")) {
        dir = dir.resolve(seg + DIR_SUFFIX);
      }
    }
    List<BlobInfo> out = new ArrayList<>();
    try {
      walk(dir, dirKey.isEmpty() ? "" : dirKey + "/", prefix, out);
    } catch (IOException e) {
      throw new StorageException("cannot list blobs with prefix '" + prefix + "' in " + root + ": " + e, e);
    }
    out.sort(Comparator.comparing(BlobInfo::key));
    return out;
  }

  private void walk(Path dir, String keyPrefix, String filter, List<BlobInfo> out) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue; // removed concurrently
        }
        if (a.isDirectory() && name.endsWith(DIR_SUFFIX)) {
          String seg = name.substring(0, name.length() - 1);
          if (!isSegment(seg)) {
            continue;
          }
          String sub = keyPrefix + seg + "/";
          if (sub.startsWith(filter) || filter.startsWith(sub)) {
            walk(p, sub, filter, out);
          }
        } else if (a.isRegularFile() && isSegment(name)) {
          String key = keyPrefix + name;
          if (key.startsWith(filter)) {
            out.add(new BlobInfo(key, a.size()));
          }
        }
      }
    }
  }

  private static boolean isSegment(String s) {
    return SEGMENT.matcher(s).matches() && !s.equals(".") && !s.equals("..");
  }

  /** @return 2: one pack's write and fsync overlap the next one's */
  @Override
  public int writeConcurrency() {
    return 2;
  }

  @Override
  public boolean delete(String key) {
    BlobKeys.validate(key);
    Path f = fileOf(key);
    try {
      boolean deleted = Files.deleteIfExists(f);
      if (deleted) {
        DurableFiles.forceDirectory(Objects.requireNonNull(f.getParent())); // blobs live under the root
      }
      return deleted;
    } catch (IOException e) {
      throw new StorageException("cannot delete blob " + key + " in " + root + ": " + e, e);
    }
  }

  @Override
  public List<TemporaryFile> temporaryFiles() {
    List<TemporaryFile> out = new ArrayList<>();
    try {
      collectTemporary(root, "", out);
    } catch (IOException e) {
      throw new StorageException("cannot list temporary files in " + root + ": " + e, e);
    }
    out.sort(Comparator.comparing(TemporaryFile::name));
    return out;
  }

  private void collectTemporary(Path dir, String prefix, List<TemporaryFile> out) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue;
        }
        if (a.isDirectory() && name.endsWith(DIR_SUFFIX)) {
          collectTemporary(p, prefix + name + "/", out);
        } else if (a.isRegularFile() && name.startsWith(TEMP_PREFIX)) {
          out.add(new TemporaryFile(prefix + name, a.size(), a.lastModifiedTime().toInstant()));
        }
      }
    }
  }

  @Override
  public boolean deleteTemporaryFile(String name) {
    Objects.requireNonNull(name, "name");
    String[] segs = name.split("/", -1);
    Path p = root;
    for (int i = 0; i < segs.length - 1; i++) {
      if (!segs[i].endsWith(DIR_SUFFIX) || !isSegment(segs[i].substring(0, segs[i].length() - 1))) {
        throw new IllegalArgumentException("'" + name + "' is not a temporary file of " + root);
      }
      p = p.resolve(segs[i]);
    }
    String last = segs[segs.length - 1];
    if (!last.startsWith(TEMP_PREFIX) || last.contains("/") || last.contains("\\")) {
      throw new IllegalArgumentException("'" + name + "' is not a temporary file of " + root);
    }
    try {
      return Files.deleteIfExists(p.resolve(last));
    } catch (IOException e) {
      throw new StorageException("cannot delete temporary file " + name + " in " + root + ": " + e, e);
    }
  }

  @Override
  public String toString() {
    return "FileSystemBlobStore{" + root + "}";
  }
}
