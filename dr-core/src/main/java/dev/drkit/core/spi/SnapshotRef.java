package dev.drkit.core.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot a rebuild may start from, as a {@link SnapshotCatalog} lists it.
 *
 * @param id the snapshot's id in its repository
 * @param time when it was taken
 * @param logPosition the replication-log position it is consistent with, or {@code null} when it
 *     was not recorded (the rebuild then cannot replay after it and stops at the snapshot)
 * @param sizeBytes its logical size in bytes ({@code 0} when unknown)
 */
public record SnapshotRef(String id, Instant time, @Nullable LogPosition logPosition, long sizeBytes) {
  /** Validates. */
  public SnapshotRef {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
    if (id.isBlank()) {
      throw new IllegalArgumentException("snapshot id must not be blank");
    }
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("snapshot " + id + ": sizeBytes must be >= 0 but was " + sizeBytes);
    }
  }
}
