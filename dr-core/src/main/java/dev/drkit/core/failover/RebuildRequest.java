package dev.drkit.core.failover;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@linkplain FailoverEngine#rebuild rebuild} restores: which snapshot (the latest, one by
 * id, or the newest taken at or before a time) and how far the replication log is replayed after
 * it (to its end, to an offset, or to a time). Immutable; build it from {@link #latest()} with the
 * {@code with...} methods.
 *
 * @param snapshotId the snapshot's id (or a unique prefix of at least 4 characters), or null
 * @param snapshotBefore use the newest snapshot taken at or before this instant, or null
 * @param toOffset replay up to and including this offset, or null
 * @param toTime replay every record committed at or before this instant, or null
 */
public record RebuildRequest(@Nullable String snapshotId, @Nullable Instant snapshotBefore, @Nullable Long toOffset,
    @Nullable Instant toTime) {
  /**
   * Validates.
   *
   * @throws IllegalArgumentException when both a snapshot id and a time are given, both an offset
   *     and a time target are given, the id is shorter than 4 characters, or the offset is negative
   */
  public RebuildRequest {
    if (snapshotId != null && snapshotBefore != null) {
      throw new IllegalArgumentException("rebuild: give a snapshot id or a time to pick it by, not both");
    }
    if (toOffset != null && toTime != null) {
      throw new IllegalArgumentException("rebuild: give a target offset or a target time, not both");
    }
    if (snapshotId != null && snapshotId.strip().length() < 4) {
      throw new IllegalArgumentException("rebuild: snapshot id '" + snapshotId + "' is shorter than 4 characters");
    }
    if (toOffset != null && toOffset < 0) {
      throw new IllegalArgumentException("rebuild: target offset must be >= 0 but was " + toOffset);
    }
  }

  /** @return the latest snapshot (the newest usable for the target), replayed to the end of the log */
  public static RebuildRequest latest() {
    return new RebuildRequest(null, null, null, null);
  }

  /**
   * @param id a snapshot id or a unique prefix of at least 4 characters
   * @return a copy that starts from that snapshot
   */
  public RebuildRequest withSnapshot(String id) {
    return new RebuildRequest(Objects.requireNonNull(id, "id").strip(), null, toOffset, toTime);
  }

  /**
   * @param time an instant
   * @return a copy that starts from the newest snapshot taken at or before it
   */
  public RebuildRequest withSnapshotBefore(Instant time) {
    return new RebuildRequest(null, Objects.requireNonNull(time, "time"), toOffset, toTime);
  }

  /**
   * @param offset the last offset to replay (inclusive)
   * @return a copy that replays up to it
   */
  public RebuildRequest withTargetOffset(long offset) {
    return new RebuildRequest(snapshotId, snapshotBefore, offset, null);
  }

  /**
   * @param time the last commit time to replay (inclusive)
   * @return a copy that replays every record committed at or before it
   */
  public RebuildRequest withTargetTime(Instant time) {
    return new RebuildRequest(snapshotId, snapshotBefore, null, Objects.requireNonNull(time, "time"));
  }

  /** @return the snapshot choice as persisted: {@code latest}, {@code id:ID} or {@code before:TIME} */
  String snapshotSpec() {
    return snapshotId != null ? "id:" + snapshotId : snapshotBefore != null ? "before:" + snapshotBefore : "latest";
  }

  /** @return the target as persisted: {@code end}, {@code offset:N} or {@code time:TIME} */
  String targetSpec() {
    return toOffset != null ? "offset:" + toOffset : toTime != null ? "time:" + toTime : "end";
  }

  /**
   * @param snapshot a persisted snapshot choice
   * @param target a persisted target
   * @return the request they describe
   * @throws IllegalArgumentException when either is malformed
   */
  static RebuildRequest parse(String snapshot, String target) {
    RebuildRequest r = latest();
    if (snapshot.startsWith("id:")) {
      r = r.withSnapshot(snapshot.substring(3));
    } else if (snapshot.startsWith("before:")) {
      r = r.withSnapshotBefore(Instant.parse(snapshot.substring(7)));
    } else if (!snapshot.equals("latest")) {
      throw new IllegalArgumentException("rebuild snapshot choice '" + snapshot + "' is malformed");
    }
    if (target.startsWith("offset:")) {
      r = r.withTargetOffset(Long.parseLong(target.substring(7)));
    } else if (target.startsWith("time:")) {
      r = r.withTargetTime(Instant.parse(target.substring(5)));
    } else if (!target.equals("end")) {
      throw new IllegalArgumentException("rebuild target '" + target + "' is malformed");
    }
    return r;
  }

  @Override
  public String toString() {
    return "snapshot " + snapshotSpec() + ", replay to " + targetSpec();
  }
}
