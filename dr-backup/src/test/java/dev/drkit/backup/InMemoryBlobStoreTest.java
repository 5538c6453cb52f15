package dev.drkit.backup;

import dev.drkit.core.spi.BlobStore;
import dev.drkit.testkit.BlobStoreContract;

class InMemoryBlobStoreTest extends BlobStoreContract {
  @Override
  protected BlobStore createStore() {
    return new InMemoryBlobStore();
  }
}
