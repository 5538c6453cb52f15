package dev.drkit.core.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * How a host's store is rebuilt: a snapshot loaded into it, then replication-log records applied
 * to it. The failover engine calls these in its REBUILDING phase after both sites were fenced at the
 * rebuild's epoch, persists each completed step, and calls them again after a crash, so both must
 * be <b>idempotent</b>: loading replaces whatever the site's store holds, and applying a record
 * twice has the effect of applying it once (the safety net behind the snapshot's log position).
 * Implementations must honour interruption.
 */
public interface RebuildTarget {
  /**
   * Replaces the contents of {@code site}'s store with {@code snapshot}; the site stays fenced (not
   * serving) until the engine promotes it.
   *
   * @param service the name of the service being rebuilt
   * @param site the site being rebuilt
   * @param snapshot the snapshot to load
   * @param epoch the rebuild's epoch; writes under an older one must be refused from now on
   * @throws Exception when the snapshot could not be loaded
   */
  void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) throws Exception;

  /**
   * Applies a batch of replication-log records, in offset order, to {@code site}'s store.
   *
   * @param service the name of the service being rebuilt
   * @param site the site being rebuilt
   * @param records consecutive records
   * @param epoch the rebuild's epoch
   * @throws Exception when a record could not be applied
   */
  void apply(String service, Site site, List<ReplayRecord> records, long epoch) throws Exception;

  /**
   * When the last write clients were told succeeded was made, if the host knows (a router's or a
   * client's record). Used for the RPO of a rebuild whose log is gone: the gap between the
   * snapshot and this instant.
   *
   * @param service the name of the service being rebuilt
   * @return the instant, or empty when unknown
   */
  default Optional<Instant> lastAcknowledgedWrite(String service) {
    return Optional.empty();
  }
}
