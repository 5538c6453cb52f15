package dev.drkit.backup;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobKeys;
import dev.drkit.core.spi.BlobStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A {@link BlobStore} held in memory: for tests, examples and short-lived scratch repositories.
 * Thread-safe; every blob is copied on the way in and out, so callers can never alter stored data.
 * Nothing survives the process.
 */
public final class InMemoryBlobStore implements BlobStore {
  private final ConcurrentSkipListMap<String, byte[]> blobs = new ConcurrentSkipListMap<>();

  /** Creates an empty store. */
  public InMemoryBlobStore() {}

  @Override
  public boolean putIfAbsent(String key, byte[] content) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    return blobs.putIfAbsent(key, content.clone()) == null;
  }

  /** Keeps one copy of the range (the store does not retain the caller's array). */
  @Override
  public boolean putIfAbsent(String key, byte[] content, int offset, int length) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    Objects.checkFromIndexSize(offset, length, content.length);
    return blobs.putIfAbsent(key, java.util.Arrays.copyOfRange(content, offset, offset + length)) == null;
  }

  @Override
  public void put(String key, byte[] content) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    blobs.put(key, content.clone());
  }

  @Override
  public byte[] get(String key) {
    BlobKeys.validate(key);
    byte[] b = blobs.get(key);
    if (b == null) {
      throw new BlobNotFoundException(key);
    }
    return b.clone();
  }

  @Override
  public byte[] getRange(String key, long offset, int length) {
    BlobKeys.validate(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0 for blob " + key);
    }
    byte[] b = blobs.get(key);
    if (b == null) {
      throw new BlobNotFoundException(key);
    }
    if (offset + length > b.length) {
      throw new StorageException("range " + offset + "+" + length + " extends past the end of blob " + key
          + " (" + b.length + " bytes)");
    }
    byte[] out = new byte[length];
    System.arraycopy(b, (int) offset, out, 0, length);
    return out;
  }

  @Override
  public Optional<BlobInfo> stat(String key) {
    BlobKeys.validate(key);
    byte[] b = blobs.get(key);
    return b == null ? Optional.empty() : Optional.of(new BlobInfo(key, b.length));
  }

  @Override
  public List<BlobInfo> list(String prefix) {
    BlobKeys.validatePrefix(prefix);
    List<BlobInfo> out = new ArrayList<>();
    Map<String, byte[]> tail = prefix.isEmpty() ? blobs : blobs.tailMap(prefix, true);
    for (Map.Entry<String, byte[]> e : tail.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.add(new BlobInfo(e.getKey(), e.getValue().length));
    }
    return out;
  }

  @Override
  public boolean delete(String key) {
    BlobKeys.validate(key);
    return blobs.remove(key) != null;
  }
}
