package dev.drkit.core.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * One record of a service's replication log as a rebuild replays it.
 *
 * @param offset the record's offset (dense: every offset from the log's first to its end is present)
 * @param epoch the fencing epoch it was written under
 * @param commitTime when the primary that wrote it appended it, read from that primary's clock (see
 *     docs/failover.md on clock skew)
 * @param payload the host's bytes (not copied; do not modify)
 */
public record ReplayRecord(long offset, long epoch, Instant commitTime, byte[] payload) {
  /** Validates. */
  public ReplayRecord {
    Objects.requireNonNull(commitTime, "commitTime");
    Objects.requireNonNull(payload, "payload");
    if (offset < 0) {
      throw new IllegalArgumentException("record.offset must be >= 0 but was " + offset);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("record.epoch must be >= 0 but was " + epoch);
    }
  }
}
