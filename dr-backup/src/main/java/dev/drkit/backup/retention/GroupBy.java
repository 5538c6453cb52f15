package dev.drkit.backup.retention;

/**
 * What snapshots are grouped by before a retention policy is applied to each group on its own,
 * as restic's {@code --group-by}. The default is {@link #HOST} and {@link #PATHS}, so that the
 * backups of one machine never push out those of another.
 */
public enum GroupBy {
  /** Snapshots of different hosts are in different groups. */
  HOST,
  /** Snapshots of different sets of source paths are in different groups. */
  PATHS,
  /** Snapshots with different sets of tags are in different groups. */
  TAGS
}
