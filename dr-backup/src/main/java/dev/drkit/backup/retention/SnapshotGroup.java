package dev.drkit.backup.retention;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The key of one group of snapshots to which a retention policy is applied on its own. A
 * component is {@code null} when snapshots are not grouped by it.
 *
 * @param host the host, or {@code null} when not grouped by host
 * @param paths the sorted, distinct source paths, or {@code null} when not grouped by paths
 * @param tags the sorted tags, or {@code null} when not grouped by tags
 */
public record SnapshotGroup(@Nullable String host, @Nullable List<String> paths, @Nullable Set<String> tags)
    implements Comparable<SnapshotGroup> {

  /** Copies the collections. */
  public SnapshotGroup {
    paths = paths == null ? null : List.copyOf(new TreeSet<>(paths));
    if (tags != null) {
      SortedSet<String> sorted = new TreeSet<>(tags);
      tags = java.util.Collections.unmodifiableSortedSet(sorted);
    }
  }

  /**
   * @param snapshot the snapshot whose group key to compute
   * @param groupBy what to group by
   * @return the group the snapshot belongs to
   */
  public static SnapshotGroup of(SnapshotDescriptor snapshot, Set<GroupBy> groupBy) {
    Objects.requireNonNull(snapshot, "snapshot");
    return new SnapshotGroup(groupBy.contains(GroupBy.HOST) ? snapshot.host() : null,
        groupBy.contains(GroupBy.PATHS) ? snapshot.paths() : null,
        groupBy.contains(GroupBy.TAGS) ? snapshot.tags() : null);
  }

  /** @return a human-readable description such as {@code host db1, paths [/srv]} */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    if (host != null) {
      sb.append("host ").append(host.isEmpty() ? "(none)" : host);
    }
    if (paths != null) {
      sb.append(sb.length() > 0 ? ", " : "").append("paths ").append(paths);
    }
    if (tags != null) {
      sb.append(sb.length() > 0 ? ", " : "").append("tags ").append(tags);
    }
    return sb.length() == 0 ? "all snapshots" : sb.toString();
  }

  @Override
  public int compareTo(SnapshotGroup o) {
    return describe().compareTo(o.describe());
  }
}
