package dev.drkit.replication.spi;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Serves snapshots of a service's state on the active site, for a replica too far behind to catch
 * up from the log alone (dr-backup can serve one later).
 */
public interface SnapshotProvider {
  /**
   * A snapshot: the state holding every record below {@code nextOffset}.
   *
   * @param id the provider's identifier
   * @param nextOffset the first offset not in the snapshot
   * @param epoch the epoch at which it was taken
   */
  record Snapshot(String id, long nextOffset, long epoch) {}

  /**
   * @param service the protected service whose snapshots to look at
   * @return the newest snapshot, if any
   */
  Optional<Snapshot> latest(String service);

  /**
   * @param service the protected service the snapshot belongs to
   * @param snapshot a snapshot from {@link #latest(String)}
   * @return its bytes
   * @throws IOException when it cannot be read
   */
  InputStream open(String service, Snapshot snapshot) throws IOException;
}
