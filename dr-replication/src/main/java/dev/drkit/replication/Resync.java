package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.replication.spi.ReplicationSink;
import dev.drkit.replication.spi.SnapshotProvider;
import java.io.InputStream;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a returning site (the target, typically the old primary) up to date from the active site
 * (the source) for failback, like {@code pg_rewind} plus streaming:
 *
 * <ol>
 *   <li>find the divergence point from the two epoch histories
 *       ({@link EpochHistory#divergenceOffset});
 *   <li>move the target's records from there on into a quarantine file
 *       ({@link ReplicationLog#quarantineFrom(long)}): the lost writes, listed, never dropped;
 *   <li>roll the target's host state back to the divergence point ({@link ReplicationSink#rewindTo});
 *       if the sink cannot, or the source no longer holds the records the target needs, install the
 *       source's latest snapshot ({@link SnapshotProvider}) and restart the target's log there;
 *   <li>copy the source's records from there into the target's log (the target's
 *       {@link ReplicaApplier} applies them to the sink).
 * </ol>
 *
 * <p>Idempotent: running it again on a synced target finds no divergence and copies what is new.
 */
public final class Resync {
  private static final Logger LOG = LoggerFactory.getLogger(Resync.class);

  private Resync() {}

  /**
   * Resyncs {@code target} from {@code source} in this process.
   *
   * @param service the protected service being resynced
   * @param target the returning site's log (not being written)
   * @param targetSink the returning site's host state
   * @param source the active site's log
   * @param snapshots the active site's snapshots, or {@code null} if there are none
   * @param events where events go
   * @param clock where the result's times are read from
   * @param progress receives the target's next offset as records are copied
   * @return what was done
   * @throws ReplicationException if a snapshot is needed but none can be installed
   * @throws dev.drkit.core.StorageException if either log cannot be read or written
   */
  public static ResyncResult run(String service, ReplicationLog target, ReplicationSink targetSink,
      ReplicationLog source, @Nullable SnapshotProvider snapshots, EventBus events, Clock clock,
      LongConsumer progress) {
    Objects.requireNonNull(progress, "progress");
    source.sync();
    target.sync();
    long div = EpochHistory.divergenceOffset(target.epochHistory(), target.nextOffset(), source.epochHistory(),
        source.nextOffset());
    QuarantineFile q = target.quarantineFrom(div);
    long snapshotAt = -1;
    boolean stateOk;
    try {
      stateOk = targetSink.appliedOffset() < div || targetSink.rewindTo(div);
    } catch (Exception e) {
      throw new ReplicationException("resync of " + service + ": sink could not rewind to offset " + div, e);
    }
    if (!stateOk || div < source.startOffset()) {
      snapshotAt = installSnapshot(service, target, targetSink, source, snapshots, div);
    }
    long copied = 0;
    long next = target.nextOffset();
    while (true) {
      FrameBatch b = source.readFrames(next, 1 << 20);
      if (b == null) {
        break;
      }
      target.appendFrames(b.frames());
      copied += b.count();
      next = b.lastOffset() + 1;
      progress.accept(next);
    }
    target.sync();
    target.fence(source.currentEpoch());
    ResyncResult r = new ResyncResult(div, q, snapshotAt, copied, target.nextOffset());
    LOG.info("resync of {}: {}", service, r);
    events.publish(DrEvent.info(clock.instant(), "replication.resync.completed", service, source.currentEpoch(),
        "resync of " + service + " diverged at offset " + div + ", copied " + copied + " records"
            + (q == null ? "" : ", quarantined " + q.count() + " records in " + q.path()))
        .with("divergenceOffset", div).with("copiedRecords", copied).with("snapshotNextOffset", snapshotAt)
        .with("quarantined", q == null ? 0 : q.count()));
    return r;
  }

  private static long installSnapshot(String service, ReplicationLog target, ReplicationSink sink,
      ReplicationLog source, @Nullable SnapshotProvider snapshots, long div) {
    if (snapshots == null) {
      throw new ReplicationException("resync of " + service + " needs a snapshot (divergence at " + div
          + ", source log starts at " + source.startOffset() + ") but no SnapshotProvider is configured");
    }
    Optional<SnapshotProvider.Snapshot> latest = snapshots.latest(service);
    if (latest.isEmpty() || latest.get().nextOffset() < source.startOffset()
        || latest.get().nextOffset() > source.nextOffset()) {
      throw new ReplicationException("resync of " + service + " needs a snapshot at or after offset "
          + source.startOffset() + " but the provider has " + latest.map(Object::toString).orElse("none"));
    }
    SnapshotProvider.Snapshot s = latest.get();
    try (InputStream in = snapshots.open(service, s)) {
      sink.installSnapshot(s.nextOffset(), s.epoch(), in);
    } catch (Exception e) {
      throw new ReplicationException("resync of " + service + ": installing snapshot " + s.id() + " failed", e);
    }
    target.resetTo(s.nextOffset(), source.epochHistory());
    return s.nextOffset();
  }
}
