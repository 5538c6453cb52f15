package dev.drkit.replication;

import java.util.Objects;

/**
 * One record of a {@link ReplicationLog}.
 *
 * @param epoch the fencing epoch of the writer
 * @param offset the record's position in the log (0-based, dense)
 * @param timestampMillis when the primary appended it (epoch millis from the injected clock)
 * @param payload the host's bytes (not copied; do not modify)
 */
public record LogRecord(long epoch, long offset, long timestampMillis, byte[] payload) {
  /** Validates. */
  public LogRecord {
    Objects.requireNonNull(payload, "payload");
    if (offset < 0) {
      throw new IllegalArgumentException("record.offset must be >= 0, was " + offset);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("record.epoch must be >= 0, was " + epoch);
    }
  }
}
