package dev.drkit.core.coord;

import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The single-process {@link Coordinator}: this process is always the leader. Every leadership term
 * gets a token greater than the previous one; {@link #close()} (or {@link #relinquish()}) ends the
 * current term, and the next {@link #awaitLeadership(Duration)} starts a new one. Thread-safe.
 *
 * <p>Use it when exactly one drkit instance manages the services; to keep two processes on one
 * machine from both acting, use {@link FileLockCoordinator}.
 */
public final class LocalCoordinator implements Coordinator {
  private final AtomicLong tokens;
  private final Object monitor = new Object();
  private @Nullable RevocableLease current;
  private boolean closed;

  /** Creates a coordinator whose first term has token 1. */
  public LocalCoordinator() {
    this(0);
  }

  /**
   * @param lastToken the token of the latest term granted before (for example restored from
   *     storage); the first term here gets {@code lastToken + 1}
   * @throws IllegalArgumentException when {@code lastToken} is negative
   */
  public LocalCoordinator(long lastToken) {
    if (lastToken < 0) {
      throw new IllegalArgumentException("lastToken must be >= 0 but was " + lastToken);
    }
    this.tokens = new AtomicLong(lastToken);
  }

  /**
   * Returns the current lease, starting a new term if there is none.
   *
   * @param timeout ignored: leadership is granted at once
   * @return the lease, or empty once this coordinator is closed
   */
  @Override
  public Optional<Lease> awaitLeadership(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    synchronized (monitor) {
      if (closed) {
        return Optional.empty();
      }
      if (current == null || !current.isValid()) {
        current = new RevocableLease(tokens.incrementAndGet());
      }
      return Optional.of(current);
    }
  }

  @Override
  public Optional<Lease> currentLease() {
    synchronized (monitor) {
      return current != null && current.isValid() ? Optional.of(current) : Optional.empty();
    }
  }

  /** Ends the current term (its lease becomes invalid for good); a later await starts a new one. */
  public void relinquish() {
    synchronized (monitor) {
      if (current != null) {
        current.revoke();
        current = null;
      }
    }
  }

  @Override
  public void close() {
    synchronized (monitor) {
      relinquish();
      closed = true;
    }
  }

  @Override
  public String toString() {
    return "LocalCoordinator{lastToken=" + tokens.get() + "}";
  }
}
