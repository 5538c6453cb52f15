package dev.drkit.core.spi;

import java.util.Objects;

/**
 * A blob's key and size, as listed by a {@link BlobStore}.
 *
 * @param key the blob's key
 * @param size its size in bytes
 */
public record BlobInfo(String key, long size) {
  /** Validates. */
  public BlobInfo {
    Objects.requireNonNull(key, "key");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0");
    }
  }
}
