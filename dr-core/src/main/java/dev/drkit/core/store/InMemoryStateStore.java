package dev.drkit.core.store;

import dev.drkit.core.VersionConflictException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A {@link StateStore} held in memory: linearizable compare-and-set per service through
 * {@link ConcurrentHashMap#compute}. Not durable; for tests, drills and single-process hosts that
 * keep no state across restarts. Thread-safe.
 */
public final class InMemoryStateStore implements StateStore {
  private final ConcurrentMap<String, Versioned<ServiceState>> states = new ConcurrentHashMap<>();

  /** Creates an empty store. */
  public InMemoryStateStore() {}

  /**
   * @param source a store to copy
   * @param services the services to copy (absent ones are skipped)
   * @return a new in-memory store holding the same states at the same versions; later writes to
   *     either store do not affect the other (used by drills to isolate production state)
   */
  public static InMemoryStateStore copyOf(StateStore source, Iterable<String> services) {
    InMemoryStateStore copy = new InMemoryStateStore();
    for (String s : services) {
      source.load(s).ifPresent(v -> copy.states.put(s, v));
    }
    return copy;
  }

  @Override
  public Optional<Versioned<ServiceState>> load(String service) {
    Objects.requireNonNull(service, "service");
    return Optional.ofNullable(states.get(service));
  }

  @Override
  public long compareAndSet(String service, long expectedVersion, ServiceState state) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(state, "state");
    if (!service.equals(state.service())) {
      throw new IllegalArgumentException("state of service '" + state.service()
          + "' cannot be stored under service '" + service + "'");
    }
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expectedVersion must be >= 0 but was " + expectedVersion);
    }
    Versioned<ServiceState> updated = states.compute(service, (k, current) -> {
      long actual = current == null ? 0 : current.version();
      if (actual != expectedVersion) {
        throw new VersionConflictException(service, expectedVersion, actual);
      }
      return new Versioned<>(state, expectedVersion + 1);
    });
    return updated.version();
  }

  @Override
  public Set<String> services() {
    return Set.copyOf(states.keySet());
  }

  @Override
  public String toString() {
    return "InMemoryStateStore{services=" + states.size() + "}";
  }
}
