package dev.drkit.replication;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits on replication lag; crossing any of them publishes {@code replication.lag.exceeded},
 * coming back under all of them {@code replication.lag.recovered}.
 *
 * @param maxRecords the most unacknowledged records
 * @param maxBytes the most unacknowledged bytes
 * @param maxAge the oldest an unacknowledged record may be
 */
public record LagBounds(long maxRecords, long maxBytes, Duration maxAge) {
  /** Validates. */
  public LagBounds {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxRecords <= 0 || maxBytes <= 0 || maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("lag bounds must be positive, were " + maxRecords + " records, " + maxBytes
          + " bytes, " + maxAge);
    }
  }

  /** @return bounds that are never crossed */
  public static LagBounds unbounded() {
    return new LagBounds(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofMillis(Long.MAX_VALUE));
  }

  /**
   * @param maxAge the oldest an unacknowledged record may be
   * @return bounds on age only
   */
  public static LagBounds ofAge(Duration maxAge) {
    return new LagBounds(Long.MAX_VALUE, Long.MAX_VALUE, maxAge);
  }
}
