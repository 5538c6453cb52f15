package dev.drkit.backup;

import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link BlobStore} that hands every call to another one: the tests' gated, slow and failing stores
 * extend it and override only the calls they intercept. The SPI's default methods (the range put and
 * the range read into a buffer) are not forwarded: they keep their defaults, which go through
 * {@link #putIfAbsent(String, byte[])} and {@link #getRange(String, long, int)}, so an override of
 * those sees every put and read.
 */
abstract class ForwardingBlobStore implements BlobStore {
  final BlobStore delegate;

  ForwardingBlobStore(BlobStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) {
    return delegate.putIfAbsent(key, content);
  }

  @Override
  public void put(String key, byte[] content) {
    delegate.put(key, content);
  }

  @Override
  public byte[] get(String key) {
    return delegate.get(key);
  }

  @Override
  public byte[] getRange(String key, long offset, int length) {
    return delegate.getRange(key, offset, length);
  }

  @Override
  public Optional<BlobInfo> stat(String key) {
    return delegate.stat(key);
  }

  @Override
  public List<BlobInfo> list(String prefix) {
    return delegate.list(prefix);
  }

  @Override
  public boolean delete(String key) {
    return delegate.delete(key);
  }

  @Override
  public int writeConcurrency() {
    return delegate.writeConcurrency();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
