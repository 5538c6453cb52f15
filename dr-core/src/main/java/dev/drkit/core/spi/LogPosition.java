package dev.drkit.core.spi;

/**
 * A position in a service's replication log that a snapshot is consistent with: the snapshot holds
 * the effect of every record below {@code offset} and of none at or above it, so a rebuild replays
 * from {@code offset} on, with no gap and no duplicate.
 *
 * @param offset the first log offset the snapshot does not contain (the log's next offset when the
 *     snapshot was taken); {@code >= 0}
 * @param epoch the fencing epoch the log was written under at that point; {@code >= 0}
 */
public record LogPosition(long offset, long epoch) {
  /** Validates. */
  public LogPosition {
    if (offset < 0) {
      throw new IllegalArgumentException("logPosition.offset must be >= 0 but was " + offset);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("logPosition.epoch must be >= 0 but was " + epoch);
    }
  }
}
