package dev.drkit.replication.spi;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Consecutive log records shipped from a primary to a backup, as record frames (the on-disk frame
 * format of {@code docs/replication-protocol.md}: length, CRC32C, epoch, offset, timestamp,
 * payload). The receiver checks every frame's CRC before it applies anything.
 *
 * @param service the protected service whose log the records belong to
 * @param epoch the sender's fencing epoch (no frame carries a newer one)
 * @param firstOffset the offset of the first frame
 * @param count how many frames
 * @param frames the frames, from position to limit
 */
public record ReplicationBatch(String service, long epoch, long firstOffset, int count, ByteBuffer frames) {
  /** Validates. */
  public ReplicationBatch {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(frames, "frames");
    if (count <= 0 || firstOffset < 0 || epoch < 0) {
      throw new IllegalArgumentException("batch of " + service + " needs count > 0, firstOffset >= 0, epoch >= 0; was "
          + count + ", " + firstOffset + ", " + epoch);
    }
  }

  /** @return the offset of the last frame */
  public long lastOffset() {
    return firstOffset + count - 1;
  }
}
