package dev.drkit.core.spi;

import java.util.List;

/**
 * The snapshots of a service a rebuild can start from (dr-backup's repository implements it). The
 * failover engine only lists them; loading one into the host's store is {@link RebuildTarget}'s
 * job.
 */
@FunctionalInterface
public interface SnapshotCatalog {
  /**
   * @param service the name of the service whose snapshots are listed
   * @return its snapshots in any order (the engine sorts them by time)
   * @throws Exception when the catalogue cannot be read
   */
  List<SnapshotRef> snapshots(String service) throws Exception;
}
