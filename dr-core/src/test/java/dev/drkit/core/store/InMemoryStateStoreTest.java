package dev.drkit.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * InMemoryStateStore's own behaviour; the StateStore contract suite runs over it in dr-testkit
 * ({@code InMemoryStateStoreContractTest}), which depends on dr-core and so cannot be used from here.
 */
class InMemoryStateStoreTest {
  private static ServiceState state(int n) {
    return new ServiceState("orders", FailoverState.values()[n], n, Site.PRIMARY,
        Instant.parse("2026-01-01T00:00:00Z").plusMillis(n), "reason " + n, Map.of());
  }

  @Test
  void copyIsIndependentOfItsSource() {
    InMemoryStateStore store = new InMemoryStateStore();
    store.compareAndSet("orders", 0, state(1));
    InMemoryStateStore copy = InMemoryStateStore.copyOf(store, List.of("orders", "absent"));
    copy.compareAndSet("orders", 1, state(2));
    assertThat(store.load("orders").orElseThrow().version()).isEqualTo(1);
    assertThat(copy.load("orders").orElseThrow().version()).isEqualTo(2);
    assertThat(copy.load("orders").orElseThrow().value()).isEqualTo(state(2));
    assertThat(copy.services()).containsExactly("orders");
  }
}
