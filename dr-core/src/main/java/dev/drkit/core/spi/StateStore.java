package dev.drkit.core.spi;

import java.util.Optional;
import java.util.Set;

/**
 * Persists each service's {@link ServiceState} with compare-and-set on a version, so that exactly
 * one of several concurrent writers (threads, processes, drkit instances) wins each transition.
 *
 * <p>Contract (checked by {@code StateStoreContract} in dr-core's test jar):
 * <ul>
 *   <li>Thread-safe; linearizable per service.</li>
 *   <li>{@link #compareAndSet} succeeds only when the stored version equals
 *       {@code expectedVersion} ({@code 0}: absent); it then stores the state durably at version
 *       {@code expectedVersion + 1} before returning. Otherwise it throws
 *       {@link dev.drkit.core.VersionConflictException} and changes nothing.</li>
 *   <li>Durable: a state returned by {@link #load} after a successful write survives a crash of
 *       the process (for durable implementations) and is never torn.</li>
 *   <li>Medium failures are {@link dev.drkit.core.StorageException}s and leave the previous
 *       state intact.</li>
 * </ul>
 */
public interface StateStore extends AutoCloseable {
  /**
   * @param service the service's name
   * @return its state and version, or empty if none was ever stored
   */
  Optional<Versioned<ServiceState>> load(String service);

  /**
   * @param service the service's name (must equal {@code state.service()})
   * @param expectedVersion the version the caller read, {@code 0} if it read none
   * @param state the new state
   * @return the new version, {@code expectedVersion + 1}
   * @throws dev.drkit.core.VersionConflictException when the stored version differs
   * @throws IllegalArgumentException when {@code service} differs from {@code state.service()}
   */
  long compareAndSet(String service, long expectedVersion, ServiceState state);

  /** @return the names of every service with a stored state */
  Set<String> services();

  /** Releases resources; the default does nothing. */
  @Override
  default void close() {}
}
