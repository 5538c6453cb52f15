package dev.drkit.replication;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The group-commit metrics of a {@link ReplicationLog}: how many forces made records durable, how
 * many records they covered, the longest, and a latency histogram in powers of two of
 * microseconds. Written by the one thread holding the flush lock, read by anyone.
 */
final class ForceStats {
  private volatile long forces;
  private volatile long forcedRecords;
  private volatile long longestNanos;
  /** Bucket {@code i} counts forces that took [2^i, 2^(i+1)) microseconds. */
  private final AtomicLongArray histogram = new AtomicLongArray(ReplicationLog.FORCE_BUCKETS);

  /** Records a force that took {@code nanos} and made {@code records} records durable. Caller holds the flush lock. */
  @SuppressWarnings("NonAtomicVolatileUpdate") // single writer: the flush lock's holder
  void record(long nanos, long records) {
    if (nanos > longestNanos) {
      longestNanos = nanos;
    }
    long micros = Math.max(1, nanos / 1000);
    histogram.incrementAndGet(Math.min(ReplicationLog.FORCE_BUCKETS - 1, 63 - Long.numberOfLeadingZeros(micros)));
    forces++;
    forcedRecords += records;
  }

  long forces() {
    return forces;
  }

  long forcedRecords() {
    return forcedRecords;
  }

  long longestNanos() {
    return longestNanos;
  }

  long[] histogram() {
    long[] out = new long[ReplicationLog.FORCE_BUCKETS];
    for (int i = 0; i < out.length; i++) {
      out[i] = histogram.get(i);
    }
    return out;
  }
}
