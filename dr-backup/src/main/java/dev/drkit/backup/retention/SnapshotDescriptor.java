package dev.drkit.backup.retention;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What retention needs to know about one snapshot: its id, time, host, tags and paths. The
 * engine's snapshot type is adapted to this interface (or copied into {@link #of}), so that the
 * retention rules do not depend on how snapshots are stored.
 */
public interface SnapshotDescriptor {
  /** @return the snapshot's id (unique in its repository) */
  String id();

  /** @return when the snapshot was taken */
  Instant time();

  /** @return the host that took it; empty when unknown */
  String host();

  /** @return its tags */
  Set<String> tags();

  /** @return the source paths it captured, in any order */
  List<String> paths();

  /**
   * @param id the snapshot's id (hex)
   * @param time when it was taken
   * @param host the host ({@code ""} when unknown)
   * @param tags its tags
   * @param paths its source paths
   * @return an immutable descriptor
   * @throws NullPointerException if any argument is null
   * @throws IllegalArgumentException if {@code id} is blank
   */
  static SnapshotDescriptor of(String id, Instant time, String host, Set<String> tags, List<String> paths) {
    return new Simple(id, time, host, tags, paths);
  }

  /**
   * A plain immutable {@link SnapshotDescriptor}.
   *
   * @param id the snapshot's id (hex)
   * @param time when it was taken
   * @param host the host the snapshot was taken on
   * @param tags the tags (copied, sorted)
   * @param paths the paths (copied)
   */
  record Simple(String id, Instant time, String host, Set<String> tags, List<String> paths)
      implements SnapshotDescriptor {
    /** Validates and copies. */
    public Simple {
      Objects.requireNonNull(id, "id");
      if (id.isBlank()) {
        throw new IllegalArgumentException("snapshot id must not be blank");
      }
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(host, "host");
      SortedSet<String> sorted = new TreeSet<>(Objects.requireNonNull(tags, "tags"));
      tags = java.util.Collections.unmodifiableSortedSet(sorted);
      paths = List.copyOf(Objects.requireNonNull(paths, "paths"));
    }
  }
}
