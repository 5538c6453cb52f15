package dev.drkit.replication;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * When a {@link ReplicationLog} forces appended records to stable storage.
 *
 * @param kind the policy
 * @param interval for {@link Kind#INTERVAL}, how often the log is forced; {@code null} otherwise
 */
public record Durability(Kind kind, @Nullable Duration interval) {

  /** The durability policies. */
  public enum Kind {
    /** Every append writes and forces its own record before it returns (one fsync per record). */
    EVERY_RECORD,
    /** Every append returns once a force covers it; concurrent appends share one force. */
    GROUP_COMMIT,
    /** Appends return at once; a background task forces the log every interval. */
    INTERVAL
  }

  /**
   * Validates.
   *
   * @throws NullPointerException if kind is null, or interval is null for {@link Kind#INTERVAL}
   * @throws IllegalArgumentException if an interval is given for another kind, or is not positive
   */
  public Durability {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.INTERVAL) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("durability.interval must be positive, was " + interval);
      }
    } else if (interval != null) {
      throw new IllegalArgumentException("durability.interval applies only to INTERVAL, not " + kind);
    }
  }

  /** @return one force per record */
  public static Durability everyRecord() {
    return new Durability(Kind.EVERY_RECORD, null);
  }

  /** @return appends wait for a shared force */
  public static Durability groupCommit() {
    return new Durability(Kind.GROUP_COMMIT, null);
  }

  /**
   * @param interval how often to force
   * @return appends do not wait; the log is forced every interval
   * @throws IllegalArgumentException if the interval is not positive
   */
  public static Durability interval(Duration interval) {
    return new Durability(Kind.INTERVAL, interval);
  }
}
