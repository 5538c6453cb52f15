package dev.drkit.testkit;

import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.StateStore;

/** dr-core's InMemoryStateStore passes the StateStore contract. */
class InMemoryStateStoreContractTest extends StateStoreContract {
  @Override
  protected StateStore createStore() {
    return new InMemoryStateStore();
  }
}
