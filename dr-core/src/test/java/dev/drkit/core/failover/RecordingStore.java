package dev.drkit.core.failover;

import dev.drkit.spi.ServiceState;
import dev.drkit.spi.StateStore;
import dev.drkit.spi.Versioned;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Wraps a store and remembers every state successfully written, in version order. */
final class RecordingStore implements StateStore {
  private final StateStore delegate;
  final List<Versioned<ServiceState>> written = new ArrayList<>();

  RecordingStore(StateStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public Optional<Versioned<ServiceState>> load(String service) {
    return delegate.load(service);
  }

  @Override
  public synchronized long compareAndSet(String service, long expectedVersion, ServiceState state) {
    long v = delegate.compareAndSet(service, expectedVersion, state);
    written.add(new Versioned<>(state, v));
    return v;
  }

  @Override
  public Set<String> services() {
    return delegate.services();
  }

  synchronized List<Versioned<ServiceState>> history() {
    return List.copyOf(written);
  }
}
