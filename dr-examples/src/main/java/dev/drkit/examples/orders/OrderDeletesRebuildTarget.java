package dev.drkit.examples.orders;

import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link RebuildTarget} for a replication log that holds deletes ({@link OrderLogRecord}) as well
 * as inserted orders: runs of inserted orders go to the wrapped target (the example's
 * {@link OrderRebuildTarget}) unchanged, each delete record is applied with
 * {@link OrderSite#applyReplicatedDelete}, in log order. Loading a snapshot and the last
 * acknowledged write are the wrapped target's. Idempotent like both.
 */
public final class OrderDeletesRebuildTarget implements RebuildTarget {
  private final RebuildTarget inserts;
  private final Map<Site, OrderSite> sites;

  /**
   * @param inserts the target that loads snapshots and applies inserted orders
   * @param primary the primary site
   * @param backup the backup site
   */
  public OrderDeletesRebuildTarget(RebuildTarget inserts, OrderSite primary, OrderSite backup) {
    this.inserts = Objects.requireNonNull(inserts, "inserts");
    this.sites = Map.of(Site.PRIMARY, Objects.requireNonNull(primary, "primary"), Site.BACKUP,
        Objects.requireNonNull(backup, "backup"));
  }

  @Override
  public void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) throws Exception {
    inserts.loadSnapshot(service, site, snapshot, epoch);
  }

  @Override
  public void apply(String service, Site site, List<ReplayRecord> records, long epoch) throws Exception {
    List<ReplayRecord> run = new ArrayList<>();
    for (ReplayRecord r : records) {
      OrderLogRecord change;
      try {
        change = OrderLogRecord.decode(r.payload());
      } catch (IOException e) {
        throw new IOException("record at offset " + r.offset() + " (epoch " + r.epoch() + ") is not an orders change: "
            + e.getMessage(), e);
      }
      if (!change.deleted()) {
        run.add(r);
        continue;
      }
      if (!run.isEmpty()) {
        inserts.apply(service, site, List.copyOf(run), epoch);
        run.clear();
      }
      sites.get(site).applyReplicatedDelete(change.order().id(), r.epoch(), r.offset());
    }
    if (!run.isEmpty()) {
      inserts.apply(service, site, List.copyOf(run), epoch);
    }
  }

  @Override
  public Optional<Instant> lastAcknowledgedWrite(String service) {
    return inserts.lastAcknowledgedWrite(service);
  }
}
