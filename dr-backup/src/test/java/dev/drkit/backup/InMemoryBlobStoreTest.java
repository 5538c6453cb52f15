package dev.drkit.backup;

import dev.drkit.spi.BlobStore;
import dev.drkit.spi.BlobStoreContract;

class InMemoryBlobStoreTest extends BlobStoreContract {
  @Override
  protected BlobStore createStore() {
    return new InMemoryBlobStore();
  }
}
