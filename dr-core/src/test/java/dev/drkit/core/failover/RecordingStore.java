package dev.drkit.core.failover;

import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Wraps a store and remembers every state successfully written, in version order. */
final class RecordingStore implements StateStore {
  private final StateStore delegate;
  final List<Versioned<ServiceState>> written = new ArrayList<>();
  /** Called before and after every write with "before"/"after"; may throw a {@link SimulatedCrash}. */
  volatile java.util.function.Consumer<String> crashPoint = where -> {};

  RecordingStore(StateStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public Optional<Versioned<ServiceState>> load(String service) {
    return delegate.load(service);
  }

  @Override
  public synchronized long compareAndSet(String service, long expectedVersion, ServiceState state) {
    crashPoint.accept("before");
    long v = delegate.compareAndSet(service, expectedVersion, state);
    written.add(new Versioned<>(state, v));
    crashPoint.accept("after");
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
