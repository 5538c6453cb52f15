package dev.drkit.replication;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Consecutive record frames read from a {@link ReplicationLog}, in the on-disk (and wire) frame
 * format, ready to ship.
 *
 * @param firstOffset the offset of the first record
 * @param count how many records
 * @param lastTimestampMillis the timestamp of the last record
 * @param frames the frames (position 0, limit = their total size); read-only use
 */
public record FrameBatch(long firstOffset, int count, long lastTimestampMillis, ByteBuffer frames) {
  /** Validates. */
  public FrameBatch {
    Objects.requireNonNull(frames, "frames");
    if (count <= 0) {
      throw new IllegalArgumentException("batch.count must be positive, was " + count);
    }
  }

  /** @return the offset of the last record */
  public long lastOffset() {
    return firstOffset + count - 1;
  }
}
