package dev.drkit.backup.internal;

import dev.drkit.backup.ProgressListener;
import dev.drkit.backup.PruneResult;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.BlobInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prune: mark the blobs snapshots reference, keep fully used packs, copy the live blobs of partly
 * used packs into new packs (ciphertext copied as is), write a deletion record naming the packs to
 * delete, then the new index, delete the old index files, and only then delete the obsolete packs
 * and the record - so a crash at any point leaves every snapshot restorable (at worst with extra,
 * unreferenced packs that the next prune removes). Every step after the repacking is a commit
 * point guarded by the prune's lease: a prune paused past its lease stops at its next step, and
 * a backup started meanwhile never relies on a pack the record names.
 */
public final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);
  private static final int PACKS_PER_INDEX_FILE = 64;

  private Pruner() {}

  /**
   * @param ctx the repository (held exclusively)
   * @param listener progress
   * @return what was reclaimed
   * @throws IntegrityException when a snapshot references a blob in no index (prune refuses to run)
   */
  public static PruneResult prune(Ctx ctx, ProgressListener listener) {
    return prune(ctx, 0.0, listener, Lease.NONE);
  }

  /**
   * @param ctx the repository (held exclusively)
   * @param maxUnused the fraction (0 to 1) of the bytes of the packs still in use that may stay
   *     unused in partly used packs after the prune, as restic's {@code --max-unused}: 0 repacks every partly
   *     used pack; 1 only deletes packs nothing uses. Packs with the most unused bytes are repacked
   *     first.
   * @param listener progress
   * @param lease the prune's exclusive lock, checked before every commit point
   * @return what was reclaimed
   * @throws IntegrityException when a snapshot references a blob in no index or only in missing
   *     packs (prune refuses to run)
   * @throws dev.drkit.backup.LeaseExpiredException when the lease lapsed before a commit point (what
   *     was deleted before stays deleted; the next prune finishes the job)
   */
  public static PruneResult prune(Ctx ctx, double maxUnused, ProgressListener listener, Lease lease) {
    long start = ctx.clock().millis();
    String stop = "prune stopped before deleting anything; run it again";
    // snapshots before the index files, the index files before the packs: each is written after
    // what it refers to
    List<Snapshot> snapshots = SnapshotFiles.listOrRefuse(ctx, "prune cannot tell which data it references, and"
        + " refuses to run (nothing was deleted)");
    Index index = Index.load(ctx.store(), ctx.crypto());
    List<String> recordsBefore = Deletions.keys(ctx);
    // packs an interrupted prune doomed are deleted now (their live blobs were copied before)
    Set<Id> doomed = Deletions.doomed(ctx);
    Map<Id, Long> stored = new HashMap<>();
    for (BlobInfo info : ctx.store().list("packs/")) {
      Id id = Packs.idOfKey(info.key());
      if (id != null) {
        stored.put(id, info.size());
      }
    }
    List<Id> gone = new ArrayList<>(doomed);
    for (Id p : index.packs().keySet()) {
      if (!stored.containsKey(p)) {
        LOG.warn("indexed pack {} is missing; dropping its stale index entries", p.hex());
        gone.add(p);
      }
    }
    Map<Id, List<PackEntry>> dropped = index.dropPacks(gone); // other copies serve
    // packs no index file lists: an interrupted backup's (garbage unless a snapshot uses them), or
    // packs whose index file a prune paused past its lease deleted; their headers decide
    List<Id> unindexed = index.addUnindexed(ctx, stored, doomed);
    if (!unindexed.isEmpty()) {
      LOG.info("prune read the headers of {} packs no index file lists", unindexed.size());
    }
    // doomed packs serve last: normally every blob they hold that is still used has another copy
    // and they are deleted; a record that landed after its prune lost its lease may doom a pack a
    // snapshot needs, and then it is kept (or repacked) like any other
    for (Map.Entry<Id, List<PackEntry>> e : dropped.entrySet()) {
      if (doomed.contains(e.getKey()) && stored.containsKey(e.getKey())) {
        index.addPack(e.getKey(), e.getValue());
      }
    }
    index.addUnindexed(ctx, stored, Set.of());
    Set<Id> used = new HashSet<>();
    try {
      for (Snapshot s : snapshots) {
        for (String t : s.tree()) {
          used.add(Id.parse(t));
        }
        for (Node n : SnapshotFiles.entries(ctx, index, s)) {
          for (Id c : n.chunks()) {
            if (!index.contains(c)) {
              throw new IntegrityException("snapshot " + s.shortId() + " references blob " + c.hex() + " of "
                  + n.pathString() + " which is in no index or only in missing packs; prune refuses to run (run verify)");
            }
            used.add(c);
          }
        }
      }
    } catch (IntegrityException e) {
      lease.check(stop + " (" + e.getMessage() + ")"); // what looks damaged may be another writer's work
      throw e;
    }
    ProgressTracker progress = new ProgressTracker("prune", listener, ctx.clock());
    progress.totals(stored.size(), -1);
    Index fresh = new Index();
    PackWriter writer = new PackWriter(ctx, fresh, lease, stop, doomed);
    Map<Id, List<PackEntry>> keep = new LinkedHashMap<>();
    List<Id> delete = new ArrayList<>();
    long repacked = 0;
    long blobsRemoved = 0;
    long freed = 0;
    // plan: which partly used packs to leave as they are (the fewest unused bytes first) so that
    // at most maxUnused of the repository's bytes stay unused
    Map<Id, List<PackEntry>> liveOf = new HashMap<>();
    List<Id> partly = new ArrayList<>();
    Map<Id, Long> unusedOf = new HashMap<>();
    long totalBytes = 0;
    for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
      Id packId = e.getKey();
      if (!stored.containsKey(packId)) {
        continue;
      }
      List<PackEntry> live = new ArrayList<>();
      for (PackEntry pe : e.getValue()) {
        PackEntry canonical = index.get(pe.id());
        if (used.contains(pe.id()) && canonical != null && canonical.pack().equals(packId) && canonical.offset() == pe.offset()) {
          live.add(pe);
        }
      }
      liveOf.put(packId, live);
      if (!live.isEmpty()) {
        totalBytes += stored.get(packId); // what stays: packs nothing uses go whatever the limit
      }
      if (!live.isEmpty() && live.size() < e.getValue().size()) {
        partly.add(packId);
        long liveBytes = 0;
        for (PackEntry pe : live) {
          liveBytes += pe.length();
        }
        unusedOf.put(packId, Math.max(0, stored.get(packId) - liveBytes));
      }
    }
    partly.sort(java.util.Comparator.comparingLong(unusedOf::get));
    Set<Id> tolerated = new HashSet<>();
    long budget = (long) Math.floor(maxUnused * totalBytes);
    for (Id p : partly) {
      if (Objects.requireNonNull(unusedOf.get(p)) > budget) { // every pack in partly has an entry
        break;
      }
      budget -= unusedOf.get(p);
      tolerated.add(p);
    }
    if (!tolerated.isEmpty()) {
      LOG.info("prune leaves {} partly used packs as they are (max unused {} %)", tolerated.size(),
          Math.round(maxUnused * 1000) / 10.0);
    }
    try {
      for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
        Id packId = e.getKey();
        List<PackEntry> live = Objects.requireNonNull(liveOf.get(packId)); // every rewritten pack has an entry
        if (live.size() == e.getValue().size() || tolerated.contains(packId)) {
          keep.put(packId, e.getValue());
        } else {
          blobsRemoved += e.getValue().size() - live.size();
          if (!live.isEmpty()) {
            byte[] data = ctx.store().get(Packs.key(packId));
            for (PackEntry pe : live) {
              // as restic's repack: a damaged blob is not copied on (and its pack not deleted) but
              // fails the prune before its deletion record, naming blob and pack; nothing is deleted
              try {
                ctx.codec().decode(pe.type(), pe.id(), pe.rawLength(), data, pe.offset(), pe.length(),
                    "pack " + Packs.key(packId), !ctx.crypto().encrypted());
              } catch (IntegrityException damaged) {
                throw new IntegrityException(damaged.getMessage() + "; prune does not repack a damaged blob"
                    + " and deleted nothing", damaged);
              }
            }
            for (PackEntry pe : live) {
              byte[] sealed = java.util.Arrays.copyOfRange(data, pe.offset(), pe.offset() + pe.length());
              writer.add(new BlobCodec.Encoded(pe.type(), pe.id(), pe.rawLength(), sealed));
            }
            repacked++;
          }
          delete.add(packId);
          freed += Objects.requireNonNull(stored.get(packId)); // a known pack
        }
        progress.addFiles(1);
      }
      for (Id p : stored.keySet()) {
        if (!index.packs().containsKey(p)) {
          delete.add(p);
          freed += Objects.requireNonNull(stored.get(p)); // a key of stored
          progress.addFiles(1);
        }
      }
      writer.finish();
    } finally {
      writer.abandon(); // a failure above must not leave an upload running
    }
    // a repacked pack can be byte-identical to an unindexed one (left by an interrupted prune that
    // repacked the same blobs): content addressing made them one, and it must stay
    for (Id p : fresh.packs().keySet()) {
      if (delete.remove(p)) {
        freed -= Objects.requireNonNull(stored.get(p)); // a known pack
      }
    }
    // commit: name what goes before anything goes, so a backup started while this prune is paused
    // past its lease never relies on it
    lease.check(stop);
    String record = delete.isEmpty() ? null : Deletions.write(ctx, "prune", delete);
    try {
      lease.check(stop);
    } catch (dev.drkit.backup.LeaseExpiredException e) {
      // the record may have landed after the lease lapsed, when a backup could already rely on
      // what it names: withdraw it
      if (record != null) {
        ctx.store().delete(record);
      }
      throw e;
    }
    for (String r : recordsBefore) {
      ctx.store().delete(r); // the new record names what they named that still goes (a pack a snapshot
      // needs stays, un-doomed)
    }
    String late = "prune stopped before deleting all it planned; run it again to finish";
    Map<Id, List<PackEntry>> batch = new LinkedHashMap<>();
    for (Map.Entry<Id, List<PackEntry>> e : keep.entrySet()) {
      batch.put(e.getKey(), e.getValue());
      if (batch.size() >= PACKS_PER_INDEX_FILE) {
        lease.check(late);
        fresh.write(ctx.store(), ctx.crypto(), batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      lease.check(late);
      fresh.write(ctx.store(), ctx.crypto(), batch);
    }
    for (String old : index.files()) {
      if (!fresh.files().contains(old)) {
        lease.check(late);
        ctx.store().delete(old);
      }
    }
    for (Id p : delete) {
      lease.check(late);
      ctx.store().delete(Packs.key(p));
    }
    int temporary = deleteTemporaryFiles(ctx, lease, late);
    if (record != null) {
      ctx.store().delete(record);
    }
    freed -= writer.bytes();
    progress.finish();
    if (temporary > 0) {
      LOG.info("prune removed {} temporary files of writes that did not finish", temporary);
    }
    return new PruneResult(delete.size(), repacked, writer.packs(), blobsRemoved, freed, ctx.clock().millis() - start);
  }

  /**
   * Deletes the temporary files of unfinished writes older than a lease and its margin: the prune
   * holds the repository alone, so they belong to writers that died or lost their lease.
   */
  private static int deleteTemporaryFiles(Ctx ctx, Lease lease, String late) {
    if (!(ctx.store() instanceof dev.drkit.backup.TemporaryFiles tf)) {
      return 0;
    }
    java.time.Duration l = ctx.options().lockLease();
    java.time.Instant cutoff = ctx.clock().instant().minus(l).minus(Locks.margin(l));
    int n = 0;
    for (dev.drkit.backup.TemporaryFiles.TemporaryFile f : tf.temporaryFiles()) {
      if (f.lastModified().isBefore(cutoff)) {
        lease.check(late);
        if (tf.deleteTemporaryFile(f.name())) {
          n++;
        }
      }
    }
    return n;
  }
}
