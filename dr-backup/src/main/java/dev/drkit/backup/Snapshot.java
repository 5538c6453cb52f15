package dev.drkit.backup;

import dev.drkit.backup.retention.SnapshotDescriptor;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.spi.LogPosition;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot: one logically complete capture of a {@link dev.drkit.backup.spi.BackupSource}. It is
 * a {@link SnapshotDescriptor}, so a repository's snapshots can be passed to
 * {@link dev.drkit.backup.retention.RetentionPlanner} as they are.
 *
 * @param id the snapshot's id (64 hex digits; any unique prefix of at least 4 finds it)
 * @param time when it was taken
 * @param host the host that took it
 * @param source the source's description (for example the backed-up path)
 * @param paths the roots the source captured (for example the backed-up directories); incremental
 *     and differential backups take the latest snapshot of the same host and set of paths as parent
 * @param tags its tags
 * @param type what was re-read
 * @param parent the id of the snapshot it was compared with (incremental, differential), or null
 * @param stats what the backup did
 * @param tree ids of the blobs holding the entry stream (internal detail, for verify and tools)
 * @param skipped the entries the backup had to leave out (unreadable, vanished, changed type, a
 *     special file, a path too long); empty for a complete snapshot
 * @param logPosition the replication-log position the snapshot is consistent with (recorded when
 *     its source is a replicated service's, see {@link dev.drkit.backup.spi.BackupSource#logPosition()}),
 *     or null
 */
public record Snapshot(String id, Instant time, String host, String source, List<String> paths, Set<String> tags,
    BackupType type,
    @Nullable String parent, BackupStats stats, List<String> tree, List<SkippedEntry> skipped,
    @Nullable LogPosition logPosition)
    implements SnapshotDescriptor {
  /**
   * A snapshot without a log position.
   *
   * @param id the snapshot's id: the hex SHA-256 of its encrypted manifest file
   * @param time when the backup started
   * @param host the host the backup ran on
   * @param source the source's description
   * @param paths the roots
   * @param tags the user's labels, for selecting snapshots in forget and restore
   * @param type what was re-read
   * @param parent the parent's id, or null
   * @param stats what the backup did
   * @param tree the tree blobs' ids
   * @param skipped the entries left out
   */
  public Snapshot(String id, Instant time, String host, String source, List<String> paths, Set<String> tags,
      BackupType type, @Nullable String parent, BackupStats stats, List<String> tree, List<SkippedEntry> skipped) {
    this(id, time, host, source, paths, tags, type, parent, stats, tree, skipped, null);
  }

  /**
   * A complete snapshot (no skipped entries).
   *
   * @param id the snapshot's id: the hex SHA-256 of its encrypted manifest file
   * @param time when the backup started
   * @param host the host the backup ran on
   * @param source the source's description
   * @param paths the roots
   * @param tags the user's labels, for selecting snapshots in forget and restore
   * @param type what was re-read
   * @param parent the parent's id, or null
   * @param stats what the backup did
   * @param tree the tree blobs' ids
   */
  public Snapshot(String id, Instant time, String host, String source, List<String> paths, Set<String> tags,
      BackupType type, @Nullable String parent, BackupStats stats, List<String> tree) {
    this(id, time, host, source, paths, tags, type, parent, stats, tree, List.of());
  }

  /** Validates and copies. */
  public Snapshot {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(source, "source");
    paths = List.copyOf(paths);
    tags = Set.copyOf(tags);
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(stats, "stats");
    tree = List.copyOf(tree);
    skipped = List.copyOf(skipped);
  }

  /** @return whether the backup left entries out ({@link #skipped()} is not empty) */
  public boolean isPartial() {
    return !skipped.isEmpty();
  }

  /** @return the first 8 hex digits of the id, for display */
  public String shortId() {
    return id.substring(0, 8);
  }
}
