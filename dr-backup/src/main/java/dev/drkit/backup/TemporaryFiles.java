package dev.drkit.backup;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A {@link dev.drkit.core.spi.BlobStore} capability: the temporary files of writes that never completed
 * (a process killed while writing a pack leaves one behind), which the store's
 * {@link dev.drkit.core.spi.BlobStore#list} does not show. {@link Repository#prune} deletes those older
 * than a lock lease and {@link Repository#verify} reports them. {@link FileSystemBlobStore}
 * implements it; a store whose writes leave no debris (an object store's single-request upload)
 * need not.
 */
public interface TemporaryFiles {
  /**
   * One temporary file.
   *
   * @param name its path relative to the store's root, {@code /}-separated (for messages and
   *     {@link #deleteTemporaryFile})
   * @param size its size in bytes
   * @param lastModified when it was last written
   */
  record TemporaryFile(String name, long size, Instant lastModified) {
    /** Validates. */
    public TemporaryFile {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(lastModified, "lastModified");
    }
  }

  /**
   * @return every temporary file of an unfinished write, sorted by name
   * @throws dev.drkit.core.StorageException when the medium fails
   */
  List<TemporaryFile> temporaryFiles();

  /**
   * Deletes a temporary file that {@link #temporaryFiles} listed.
   *
   * @param name its name as listed
   * @return whether it was deleted (false when it was gone already)
   * @throws IllegalArgumentException when {@code name} does not name a temporary file of this store
   * @throws dev.drkit.core.StorageException when the medium fails
   */
  boolean deleteTemporaryFile(String name);
}
