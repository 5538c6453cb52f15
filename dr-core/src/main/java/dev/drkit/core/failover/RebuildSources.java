package dev.drkit.core.failover;

import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayLog;
import dev.drkit.core.spi.SnapshotCatalog;
import java.util.Objects;

/**
 * What a {@linkplain FailoverEngine#rebuild rebuild} needs from the host: where the snapshots are
 * listed (dr-backup's repository), where the replication log is read (dr-replication's log), and
 * how a snapshot is loaded and a record applied to the site being rebuilt (the host's store).
 *
 * @param catalog the snapshots
 * @param log the replication log
 * @param target the site's store
 */
public record RebuildSources(SnapshotCatalog catalog, ReplayLog log, RebuildTarget target) {
  /** Validates. */
  public RebuildSources {
    Objects.requireNonNull(catalog, "catalog");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(target, "target");
  }
}
