package dev.drkit.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.spi.StateStore;
import dev.drkit.spi.StateStoreContract;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryStateStoreTest extends StateStoreContract {
  @Override
  protected StateStore createStore() {
    return new InMemoryStateStore();
  }

  @Test
  void copyIsIndependentOfItsSource() {
    store.compareAndSet("orders", 0, state("orders", 1));
    InMemoryStateStore copy = InMemoryStateStore.copyOf(store, List.of("orders", "absent"));
    copy.compareAndSet("orders", 1, state("orders", 2));
    assertThat(store.load("orders").orElseThrow().version()).isEqualTo(1);
    assertThat(copy.load("orders").orElseThrow().version()).isEqualTo(2);
    assertThat(copy.services()).containsExactly("orders");
  }
}
