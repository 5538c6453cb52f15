package dev.drkit.replication;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a primary's append waits for its backup.
 *
 * @param kind the mode
 * @param timeout for {@link Kind#SEMI_SYNCHRONOUS}, how long an append waits before falling back
 *     to asynchronous; {@code null} otherwise
 */
public record ReplicationMode(Kind kind, @Nullable Duration timeout) {
  /** The modes. */
  public enum Kind {
    /** Appends return once durable locally; the backup follows as fast as it can. */
    ASYNCHRONOUS,
    /** Appends return only once the backup has the record durably. */
    SYNCHRONOUS,
    /**
     * Appends wait for the backup up to a timeout; on timeout the primary falls back to
     * asynchronous (event {@code replication.mode.degraded}) until the backup has caught up again
     * (event {@code replication.mode.restored}).
     */
    SEMI_SYNCHRONOUS
  }

  /**
   * Validates.
   *
   * @throws IllegalArgumentException if the timeout is missing, not positive, or given for another mode
   */
  public ReplicationMode {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.SEMI_SYNCHRONOUS) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("replication.mode.timeout must be positive for SEMI_SYNCHRONOUS, was "
            + timeout);
      }
    } else if (timeout != null) {
      throw new IllegalArgumentException("replication.mode.timeout applies only to SEMI_SYNCHRONOUS, not " + kind);
    }
  }

  /** @return asynchronous mode */
  public static ReplicationMode async() {
    return new ReplicationMode(Kind.ASYNCHRONOUS, null);
  }

  /** @return synchronous mode */
  public static ReplicationMode sync() {
    return new ReplicationMode(Kind.SYNCHRONOUS, null);
  }

  /**
   * @param timeout how long to wait for the backup before falling back
   * @return semi-synchronous mode
   */
  public static ReplicationMode semiSync(Duration timeout) {
    return new ReplicationMode(Kind.SEMI_SYNCHRONOUS, timeout);
  }
}
