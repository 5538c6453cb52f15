package dev.drkit.backup.internal;

import dev.drkit.backup.Damage;
import dev.drkit.backup.ProgressListener;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.VerifyReport;
import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.DrException;
import dev.drkit.spi.BlobInfo;
import dev.drkit.backup.spi.EntryType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Structure and read-data checks; see {@link dev.drkit.backup.Repository#verify}. */
public final class Verifier {
  private Verifier() {}

  /** @param e a failure to read an object @return its message, or its type when it has none */
  private static String reason(RuntimeException e) {
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
    List<Damage> damage = new ArrayList<>();
    Map<Id, Bad> bad = new LinkedHashMap<>();
    Index index = new Index();
    for (BlobInfo info : ctx.store().list("index/")) {
      try {
        index.read(info.key(), ctx.store().get(info.key()), ctx.crypto());
      } catch (RuntimeException e) {
        damage.add(new Damage(info.key(), null, reason(e), List.of()));
      }
    }
    List<Snapshot> snapshots = new ArrayList<>();
    for (BlobInfo info : ctx.store().list("snapshots/")) {
      try {
        snapshots.add(SnapshotFiles.read(ctx, info.key()));
      } catch (RuntimeException e) {
        damage.add(new Damage(info.key(), null, reason(e), List.of("snapshot " + info.key().substring(10, 18))));
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
    for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
      if (!stored.containsKey(e.getKey())) {
        for (PackEntry pe : e.getValue()) {
          bad.putIfAbsent(pe.id(), new Bad(Packs.key(e.getKey()), pe.id(), "pack is missing"));
        }
      }
    }
    // every referenced blob indexed
    for (Snapshot s : snapshots) {
      for (String t : s.tree()) {
        Id id = Id.parse(t);
        if (!index.contains(id)) {
          bad.putIfAbsent(id, new Bad("snapshots/" + s.id(), id, "tree blob is in no index (missing)"));
        }
      }
      List<Node> nodes;
      try {
        nodes = SnapshotFiles.entries(ctx, index, s);
      } catch (RuntimeException e) {
        continue; // the damaged tree blob is reported above or by read-data below
      }
      for (Node n : nodes) {
        for (Id c : n.chunks()) {
          if (!index.contains(c)) {
            bad.putIfAbsent(c, new Bad("snapshots/" + s.id(), c, "data blob is in no index (missing)"));
          }
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
      for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
        Id packId = e.getKey();
        String key = Packs.key(packId);
        if (!stored.containsKey(packId)) {
          continue;
        }
        byte[] data;
        try {
          data = ctx.store().get(key);
        } catch (BlobNotFoundException ex) {
          continue;
        }
        boolean hashOk = Crypto.sha256(data).equals(packId);
        int badHere = 0;
        for (PackEntry pe : e.getValue()) {
          blobs++;
          if (pe.offset() + (long) pe.length() > data.length) {
            bad.putIfAbsent(pe.id(), new Bad(key, pe.id(), "blob extends past the end of the pack (truncated)"));
            badHere++;
            continue;
          }
          try {
            ctx.codec().decode(pe.type(), pe.id(), pe.rawLength(), data, pe.offset(), pe.length(), "pack " + key);
          } catch (RuntimeException ex) {
            bad.putIfAbsent(pe.id(), new Bad(key, pe.id(), reason(ex)));
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
    progress.finish();
    return new VerifyReport(readData, snapshots.size(), index.packs().size(), blobs, unindexed, damage);
  }
}
