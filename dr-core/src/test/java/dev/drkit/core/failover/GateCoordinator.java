package dev.drkit.core.failover;

import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A coordinator the test grants and revokes by hand, like a ZooKeeper group where another
 * instance leads until the test says otherwise. Tokens of successive terms increase.
 */
final class GateCoordinator implements Coordinator {
  private final Object monitor = new Object();
  private long tokens;
  private TermLease current;

  /** Starts a new term (no-op while one is valid). */
  void grant() {
    synchronized (monitor) {
      if (current == null || !current.isValid()) {
        current = new TermLease(++tokens);
      }
      monitor.notifyAll();
    }
  }

  /** Ends the current term. */
  void revoke() {
    synchronized (monitor) {
      if (current != null) {
        current.valid.set(false);
        current = null;
      }
    }
  }

  @Override
  public Optional<Lease> awaitLeadership(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      while (current == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Optional.empty();
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
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

  @Override
  public void close() {
    revoke();
  }

  private static final class TermLease implements Lease {
    private final long token;
    private final AtomicBoolean valid = new AtomicBoolean(true);

    TermLease(long token) {
      this.token = token;
    }

    @Override
    public long token() {
      return token;
    }

    @Override
    public boolean isValid() {
      return valid.get();
    }
  }
}
