package dev.drkit.replication;

import java.time.Duration;
import java.util.Objects;

/**
 * Replication lag at one moment.
 *
 * @param records committed records the backup has not acknowledged
 * @param bytes their size in frame bytes (an upper estimate)
 * @param age how long ago the oldest unacknowledged record was committed (an upper estimate;
 *     {@link Duration#ZERO} when nothing is outstanding): the window of writes a failover now would lose
 */
public record Lag(long records, long bytes, Duration age) {
  /** Validates. */
  public Lag {
    Objects.requireNonNull(age, "age");
  }

  /** @return no lag */
  public static Lag none() {
    return new Lag(0, 0, Duration.ZERO);
  }
}
