package dev.drkit.core.spi;

import java.util.List;
import java.util.Optional;

/**
 * Durable storage of immutable-by-convention blobs under string keys: a directory, an object
 * store, a test double. Backup repositories are built on it.
 *
 * <p>Keys are one or more segments separated by {@code /}; a segment is 1-255 characters from
 * {@code [A-Za-z0-9._-]} and is neither {@code .} nor {@code ..}; a key has no leading or trailing
 * slash and is at most 1024 characters. {@link dev.drkit.core.spi.BlobKeys#validate(String)} checks
 * this; implementations reject other keys with {@link IllegalArgumentException}.
 *
 * <p>Contract:
 * <ul>
 *   <li>Thread-safe.</li>
 *   <li>Atomic and durable writes: once {@link #putIfAbsent} or {@link #put} returns, the whole
 *       content is stored and survives a crash of the process or the machine; a reader never sees a
 *       partial blob, and a crash during a write leaves either the old state or the new one.</li>
 *   <li>{@link #putIfAbsent} is a real compare-and-set: of concurrent calls for one key exactly one
 *       returns {@code true}.</li>
 *   <li>Read-after-write consistency for one key; {@link #list} reflects completed writes.</li>
 *   <li>Failures of the medium are {@link dev.drkit.core.StorageException}s (a full disk, an I/O
 *       error); a missing key on {@link #get} is {@link dev.drkit.core.BlobNotFoundException}.
 *       A failed write leaves no blob and no debris visible through this interface.</li>
 * </ul>
 */
public interface BlobStore extends AutoCloseable {
  /**
   * Stores {@code content} under {@code key} unless a blob with that key exists.
   *
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @param content the content (not modified, not retained)
   * @return {@code true} if stored, {@code false} if the key existed (its blob is untouched)
   * @throws dev.drkit.core.StorageException when the medium fails
   */
  boolean putIfAbsent(String key, byte[] content);

  /**
   * Stores {@code content[offset, offset + length)} under {@code key} unless a blob with that key
   * exists, exactly as {@link #putIfAbsent(String, byte[])} stores a whole array. A writer that
   * fills a reused buffer (a backup's pack) hands over the part it filled without copying it into
   * an array of its own. The default copies the range and calls
   * {@link #putIfAbsent(String, byte[])}; a store that can write a range in place overrides it.
   *
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @param content the buffer holding the content (not modified, not retained after the call)
   * @param offset where the content starts in {@code content}
   * @param length the content's length
   * @return {@code true} if stored, {@code false} if the key existed (its blob is untouched)
   * @throws IndexOutOfBoundsException when the range is not inside {@code content}
   * @throws dev.drkit.core.StorageException when the medium fails
   */
  default boolean putIfAbsent(String key, byte[] content, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, content.length);
    return putIfAbsent(key, java.util.Arrays.copyOfRange(content, offset, offset + length));
  }

  /**
   * Stores {@code content} under {@code key}, atomically replacing any blob there.
   *
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @param content the blob's bytes, stored as given
   * @throws dev.drkit.core.StorageException when the medium fails
   */
  void put(String key, byte[] content);

  /**
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @return the whole blob
   * @throws dev.drkit.core.BlobNotFoundException when absent
   * @throws dev.drkit.core.StorageException when the medium fails
   */
  byte[] get(String key);

  /**
   * Reads part of a blob.
   *
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @param offset the first byte, {@code >= 0}
   * @param length how many bytes, {@code >= 0}
   * @return exactly {@code length} bytes
   * @throws dev.drkit.core.BlobNotFoundException when absent
   * @throws dev.drkit.core.StorageException when the range extends past the end or the medium fails
   */
  byte[] getRange(String key, long offset, int length);

  /**
   * Reads part of a blob into a caller's buffer, so that a reader of many ranges (a restore) reuses
   * its buffers instead of taking a new array per read. The default copies what
   * {@link #getRange} returns; a store that can read in place overrides it.
   *
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @param offset the first byte, {@code >= 0}
   * @param length how many bytes, {@code >= 0}
   * @param into the buffer
   * @param at where in {@code into} the bytes go; {@code at + length <= into.length}
   * @throws IndexOutOfBoundsException when {@code into} cannot hold them
   * @throws dev.drkit.core.BlobNotFoundException when absent
   * @throws dev.drkit.core.StorageException when the range extends past the end or the medium fails
   */
  default void getRange(String key, long offset, int length, byte[] into, int at) {
    java.util.Objects.checkFromIndexSize(at, length, into.length);
    byte[] b = getRange(key, offset, length);
    if (b.length != length) {
      throw new dev.drkit.core.StorageException("store returned " + b.length + " bytes of blob " + key
          + " for a range of " + length);
    }
    System.arraycopy(b, 0, into, at, length);
  }

  /**
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @return its size, or empty when absent
   */
  Optional<BlobInfo> stat(String key);

  /**
   * @param prefix a key prefix ({@code ""} for all; {@code "snapshots/"} for one folder)
   * @return every blob whose key starts with {@code prefix}, sorted by key
   */
  List<BlobInfo> list(String prefix);

  /**
   * @param key the blob's key (a valid {@link BlobKeys} key)
   * @return whether a blob was deleted
   */
  boolean delete(String key);

  /**
   * How many large writes (backup packs) a client should keep in flight at once. A local disk
   * gains little from more than one or two; a remote object store, where a write is mostly
   * waiting on the network and the server, gains from several. The default is 1.
   *
   * @return at least 1
   */
  default int writeConcurrency() {
    return 1;
  }

  /** Releases resources; the default does nothing. */
  @Override
  default void close() {}
}
