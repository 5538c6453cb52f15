package dev.drkit.backup.internal;

import dev.drkit.backup.Damage;
import dev.drkit.backup.ProgressListener;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.TemporaryFiles;
import dev.drkit.backup.VerifyReport;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.DrException;
import dev.drkit.core.spi.BlobInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Structure and read-data checks; see {@link dev.drkit.backup.Repository#verify}. Index entries of
 * missing packs are stale, not damage, as long as nothing needs them or another copy serves; a pack
 * whose size differs from what its index entries say is damage (checked without reading data).
 */
public final class Verifier {
  private Verifier() {}

  /**
   * @param e a failure to read an object
   * @return its message, or its type when it has none
   * @throws dev.drkit.core.StorageException {@code e} itself when the store failed: that is no
   *     finding about the repository, and verify fails instead of reporting damage
   */
  private static String reason(RuntimeException e) {
    if (e instanceof dev.drkit.core.StorageException se) {
      throw se;
    }
    return e instanceof DrException && e.getMessage() != null ? e.getMessage() : e.toString();
  }

  /** A damaged or missing blob, before its affected files are known. */
  private record Bad(String object, Id blob, String reason) {}

  /**
   * @param ctx the repository
   * @param readData whether to read every blob
   * @param listener progress
   * @return the report
   */
  public static VerifyReport verify(Ctx ctx, boolean readData, ProgressListener listener) {
    return verify(ctx, readData, listener, Lease.NONE);
  }

  /**
   * @param ctx the repository
   * @param readData whether to read every blob
   * @param listener progress
   * @param lease the verify's shared lock: when damage was found and the lease lapsed meanwhile, a
   *     prune may have run under the verify, so it fails instead of reporting damage that may not be there
   * @return the report
   * @throws dev.drkit.backup.LeaseExpiredException see {@code lease}
   */
  public static VerifyReport verify(Ctx ctx, boolean readData, ProgressListener listener, Lease lease) {
    List<Damage> damage = new ArrayList<>();
    List<String> notices = new ArrayList<>();
    Map<Id, Bad> bad = new LinkedHashMap<>();
    // snapshots first, then index files, then packs: each is written after what it refers to, so a
    // backup committing meanwhile is seen whole or not at all
    List<Snapshot> snapshots = new ArrayList<>();
    for (BlobInfo info : ctx.store().list("snapshots/")) {
      try {
        snapshots.add(SnapshotFiles.read(ctx, info.key()));
      } catch (BlobNotFoundException e) {
        // forgotten between listing and reading: skipped
      } catch (RuntimeException e) {
        String name = info.key().substring(info.key().lastIndexOf('/') + 1); // any name, also a stray file's
        damage.add(new Damage(info.key(), null, reason(e), List.of("snapshot " + name.substring(0,
            Math.min(8, name.length())))));
      }
    }
    if (ctx.crypto().encrypted()) {
      // a damaged slot loses its passphrase: better found now than on the day it is needed
      for (BlobInfo info : ctx.store().list("keys/")) {
        try {
          KeySlots.read(ctx.store().get(info.key()), info.key());
        } catch (BlobNotFoundException e) {
          // removed between listing and reading: skipped
        } catch (RuntimeException e) {
          damage.add(new Damage(info.key(), null, reason(e), List.of("the passphrase of this key slot")));
        }
      }
    }
    Index index = new Index();
    for (BlobInfo info : ctx.store().list("index/")) {
      try {
        index.read(info.key(), ctx.store().get(info.key()), ctx.crypto());
      } catch (BlobNotFoundException e) {
        // replaced by a prune between listing and reading: skipped
      } catch (RuntimeException e) {
        damage.add(new Damage(info.key(), null, reason(e), List.of()));
      }
    }
    Map<Id, Long> stored = new HashMap<>();
    for (BlobInfo info : ctx.store().list("packs/")) {
      Id id = Packs.idOfKey(info.key());
      if (id != null) {
        stored.put(id, info.size());
      }
    }
    long unindexed = stored.keySet().stream().filter(id -> !index.packs().containsKey(id)).count();
    // their headers serve: data whose index file is gone is not damage
    for (Id p : index.addUnindexed(ctx, stored, Set.of())) {
      notices.add("pack " + Packs.key(p) + " is listed in no index file; its header serves (the next backup or"
          + " prune indexes it, prune deletes it when nothing uses it)");
    }
    // packs that cannot serve: missing (their entries are stale) or of the wrong size (damage)
    List<Id> missing = new ArrayList<>();
    List<Id> wrongSize = new ArrayList<>();
    for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
      Long size = stored.get(e.getKey());
      if (size == null) {
        missing.add(e.getKey());
        continue;
      }
      long expected = Index.expectedPackSize(ctx.crypto(), e.getValue());
      if (size != expected) {
        wrongSize.add(e.getKey());
        String why = "pack is " + size + " bytes but its index entries say " + expected
            + (size < expected ? " (truncated)" : " (damaged)");
        for (PackEntry pe : e.getValue()) {
          bad.putIfAbsent(pe.id(), new Bad(Packs.key(e.getKey()), pe.id(), why));
        }
      }
    }
    long packsChecked = index.packs().size();
    Map<Id, List<PackEntry>> stale = index.dropPacks(missing);
    Map<Id, List<PackEntry>> wrong = index.dropPacks(wrongSize);
    Map<Id, String> goneFrom = new HashMap<>(); // blob -> the missing pack that was to hold it
    long staleEntries = 0;
    for (Map.Entry<Id, List<PackEntry>> e : stale.entrySet()) {
      staleEntries += e.getValue().size();
      for (PackEntry pe : e.getValue()) {
        goneFrom.putIfAbsent(pe.id(), Packs.key(e.getKey()));
      }
      notices.add("index lists " + e.getValue().size() + " entries of missing pack " + Packs.key(e.getKey())
          + " (stale index entries; other copies serve, prune removes them)");
    }
    for (Map.Entry<Id, List<PackEntry>> e : wrong.entrySet()) {
      boolean allServed = true;
      for (PackEntry pe : e.getValue()) {
        if (index.contains(pe.id())) {
          bad.remove(pe.id()); // another, intact copy serves; the pack itself is still damage
        } else {
          allServed = false;
        }
      }
      if (allServed) {
        damage.add(new Damage(Packs.key(e.getKey()), null, "pack is " + stored.get(e.getKey())
            + " bytes but its index entries say " + Index.expectedPackSize(ctx.crypto(), e.getValue())
            + "; other packs hold all its blobs", List.of()));
      }
    }
    // every referenced blob in a usable pack; entries well-formed
    for (Snapshot s : snapshots) {
      for (String t : s.tree()) {
        Id id = Id.parse(t);
        if (!index.contains(id)) {
          bad.putIfAbsent(id, missingBlob(goneFrom, "snapshots/" + s.id(), id, "tree"));
        }
      }
      List<Node> nodes;
      try {
        nodes = SnapshotFiles.entries(ctx, index, s);
      } catch (dev.drkit.core.StorageException e) {
        throw e;
      } catch (RuntimeException e) {
        continue; // the damaged tree blob is reported above or by read-data below
      }
      Map<String, Integer> seen = new LinkedHashMap<>();
      for (Node n : nodes) {
        seen.merge(n.pathString(), 1, Integer::sum);
        long content = 0;
        boolean complete = true;
        for (Id c : n.chunks()) {
          PackEntry pe = index.get(c);
          if (pe == null) {
            bad.putIfAbsent(c, missingBlob(goneFrom, "snapshots/" + s.id(), c, "data"));
            complete = false;
          } else {
            content += pe.rawLength();
          }
        }
        if (n.type() == EntryType.FILE && complete && content != n.size()) {
          damage.add(new Damage("snapshots/" + s.id(), null, "entry " + n.pathString() + " records " + n.size()
              + " bytes but its content blobs hold " + content, List.of(s.shortId() + ":" + n.pathString())));
        }
      }
      for (Map.Entry<String, Integer> e : seen.entrySet()) {
        if (e.getValue() > 1) {
          damage.add(new Damage("snapshots/" + s.id(), null, "entry name " + e.getKey() + " occurs " + e.getValue()
              + " times in one tree (a restore could keep only one)", List.of(s.shortId() + ":" + e.getKey())));
        }
      }
    }
    long blobs = 0;
    ProgressTracker progress = new ProgressTracker("verify", listener, ctx.clock());
    if (readData) {
      long total = 0;
      for (Id p : index.packs().keySet()) {
        total += stored.getOrDefault(p, 0L);
      }
      progress.totals(index.packs().size(), total);
      if (total > (64L << 20)) {
        Crypto.warmUp();
      }
      Set<Id> good = new HashSet<>();
      Map<Id, Bad> badCopies = new LinkedHashMap<>();
      for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
        Id packId = e.getKey();
        String key = Packs.key(packId);
        byte[] data;
        try {
          data = ctx.store().get(key);
        } catch (BlobNotFoundException ex) {
          for (PackEntry pe : e.getValue()) {
            bad.putIfAbsent(pe.id(), new Bad(key, pe.id(), "pack vanished while verify ran"));
          }
          continue;
        }
        boolean hashOk = Crypto.sha256(data).equals(packId);
        int badHere = 0;
        for (PackEntry pe : e.getValue()) {
          blobs++;
          if (pe.offset() + (long) pe.length() > data.length) {
            badCopies.putIfAbsent(pe.id(), new Bad(key, pe.id(), "blob extends past the end of the pack (truncated)"));
            badHere++;
            continue;
          }
          try {
            ctx.codec().decode(pe.type(), pe.id(), pe.rawLength(), data, pe.offset(), pe.length(), "pack " + key);
            good.add(pe.id());
          } catch (RuntimeException ex) {
            badCopies.putIfAbsent(pe.id(), new Bad(key, pe.id(), reason(ex)));
            badHere++;
          }
        }
        if (!hashOk && badHere == 0) {
          damage.add(new Damage(key, null, "pack does not match its name (damaged outside its blobs, e.g. its header);"
              + " its blobs are intact", List.of()));
        }
        progress.addFiles(1);
        progress.addBytes(data.length);
      }
      for (Bad b : badCopies.values()) {
        if (good.contains(b.blob())) {
          damage.add(new Damage(b.object(), b.blob().hex(), b.reason() + " (another copy is intact and serves)",
              List.of()));
        } else {
          bad.putIfAbsent(b.blob(), b);
        }
      }
    } else {
      for (List<PackEntry> l : index.packs().values()) {
        blobs += l.size();
      }
    }
    if (!bad.isEmpty()) {
      Map<Id, TreeSet<String>> affected = new HashMap<>();
      for (Id id : bad.keySet()) {
        affected.put(id, new TreeSet<>());
      }
      for (Snapshot s : snapshots) {
        for (String t : s.tree()) {
          TreeSet<String> a = affected.get(Id.parse(t));
          if (a != null) {
            a.add(s.shortId() + ":<entry list>");
          }
        }
        List<Node> nodes;
        try {
          nodes = SnapshotFiles.entries(ctx, index, s);
        } catch (dev.drkit.core.StorageException ex) {
          throw ex;
        } catch (RuntimeException ex) {
          continue;
        }
        for (Node n : nodes) {
          if (n.type() != EntryType.FILE) {
            continue;
          }
          for (Id c : n.chunks()) {
            TreeSet<String> a = affected.get(c);
            if (a != null) {
              a.add(s.shortId() + ":" + n.pathString());
            }
          }
        }
      }
      for (Bad b : bad.values()) {
        damage.add(new Damage(b.object(), b.blob().hex(), b.reason(), new ArrayList<>(affected.get(b.blob()))));
      }
    }
    temporaryFiles(ctx, notices);
    List<String> records = Deletions.keys(ctx);
    if (!records.isEmpty()) {
      notices.add(records.size() + " deletion record(s) of an interrupted prune (" + records.get(0) + "): the packs"
          + " they name are not reused; the next prune deletes them");
    }
    progress.finish();
    if (!damage.isEmpty()) {
      lease.check("verify interrupted: it may have seen a prune's work in progress; run it again");
    }
    return new VerifyReport(readData, snapshots.size(), packsChecked, blobs, unindexed, staleEntries, notices, damage);
  }

  private static Bad missingBlob(Map<Id, String> goneFrom, String object, Id id, String kind) {
    String pack = goneFrom.get(id);
    if (pack != null) {
      return new Bad(pack, id, "pack is missing (" + kind + " blob needed by " + object + "; no other copy)");
    }
    return new Bad(object, id, kind + " blob is in no index (missing)");
  }

  private static void temporaryFiles(Ctx ctx, List<String> notices) {
    if (!(ctx.store() instanceof TemporaryFiles tf)) {
      return;
    }
    Duration lease = ctx.options().lockLease();
    Instant cutoff = ctx.clock().instant().minus(lease).minus(Locks.margin(lease));
    for (TemporaryFiles.TemporaryFile f : tf.temporaryFiles()) {
      if (f.lastModified().isBefore(cutoff)) {
        notices.add("temporary file " + f.name() + " (" + f.size() + " bytes, last written " + f.lastModified()
            + ") of a write that did not finish; prune removes it");
      }
    }
  }
}
