package dev.drkit.backup.internal;

import dev.drkit.backup.BackupStats;
import dev.drkit.backup.SkippedEntry;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.BlobInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Snapshot files {@code snapshots/<sha256 of the file>}: sealed (AAD {@code drkit-snapshot}) JSON.
 */
public final class SnapshotFiles {
  private static final byte[] AAD = Crypto.aad("drkit-snapshot");

  private SnapshotFiles() {}

  /**
   * The JSON form.
   *
   * @param version format version (1)
   * @param time snapshot time
   * @param host the host the backup ran on
   * @param source the source's description
   * @param paths the source's roots (absent in snapshots written before it existed: then {@code [source]})
   * @param tags the user's labels
   * @param type backup type
   * @param parent parent id or null
   * @param tree ids of the tree blobs, in order
   * @param stats statistics
   * @param skipped the entries the backup left out (absent in snapshots written before it existed,
   *     and when none was skipped)
   * @param logPosition the replication-log position the snapshot is consistent with (absent when
   *     the source recorded none)
   */
  public record SnapshotJson(int version, String time, String host, String source, @Nullable List<String> paths,
      List<String> tags, String type,
      @Nullable String parent, List<String> tree, BackupStats stats, @Nullable List<SkippedEntry> skipped,
      @Nullable LogPosition logPosition) {
    /**
     * A snapshot's JSON without a log position.
     *
     * @param version format version (1)
     * @param time snapshot time
     * @param host the host the backup ran on
     * @param source the source's description
     * @param paths the source's roots
     * @param tags the user's labels
     * @param type backup type
     * @param parent parent id or null
     * @param tree ids of the tree blobs
     * @param stats statistics
     * @param skipped the entries left out, or null
     */
    public SnapshotJson(int version, String time, String host, String source, @Nullable List<String> paths,
        List<String> tags, String type, @Nullable String parent, List<String> tree, BackupStats stats,
        @Nullable List<SkippedEntry> skipped) {
      this(version, time, host, source, paths, tags, type, parent, tree, stats, skipped, null);
    }

    /**
     * A complete snapshot's JSON.
     *
     * @param version format version (1)
     * @param time snapshot time
     * @param host the host the backup ran on
     * @param source the source's description
     * @param paths the source's roots
     * @param tags the user's labels
     * @param type backup type
     * @param parent parent id or null
     * @param tree ids of the tree blobs
     * @param stats statistics
     */
    public SnapshotJson(int version, String time, String host, String source, @Nullable List<String> paths,
        List<String> tags, String type, @Nullable String parent, List<String> tree, BackupStats stats) {
      this(version, time, host, source, paths, tags, type, parent, tree, stats, null);
    }
  }

  /**
   * @param ctx the repository
   * @param json the snapshot
   * @return its id
   */
  public static String write(Ctx ctx, SnapshotJson json) {
    byte[] plain = Json.write(json);
    byte[] sealed = ctx.crypto().seal(plain, 0, plain.length, AAD);
    String id = Crypto.sha256(sealed).hex();
    ctx.store().putIfAbsent("snapshots/" + id, sealed);
    return id;
  }

  /**
   * @param ctx the repository
   * @param key the snapshot's key
   * @return the snapshot
   * @throws IntegrityException when damaged
   */
  public static Snapshot read(Ctx ctx, String key) {
    byte[] data = ctx.store().get(key);
    String id = key.substring(key.lastIndexOf('/') + 1);
    if (!Crypto.sha256(data).hex().equals(id)) {
      throw new IntegrityException("snapshot file " + key + " does not match its name (damaged)");
    }
    byte[] plain = ctx.crypto().open(data, 0, data.length, AAD, "snapshot file " + key);
    SnapshotJson j = Json.read(plain, SnapshotJson.class, "snapshot file " + key);
    try {
      for (String t : j.tree()) {
        Id.parse(t);
      }
      return new Snapshot(id, Instant.parse(j.time()), j.host(), j.source(),
          j.paths() == null || j.paths().isEmpty() ? List.of(j.source()) : j.paths(), Set.copyOf(j.tags()),
          BackupType.parse(j.type()), j.parent(), j.stats(), j.tree(), j.skipped() == null ? List.of() : j.skipped(),
          j.logPosition());
    } catch (RuntimeException e) {
      throw new IntegrityException("snapshot file " + key + " is malformed: " + e.getMessage(), e);
    }
  }

  /**
   * @param ctx the repository
   * @return every snapshot, oldest first (one forgotten while being listed is left out)
   * @throws IntegrityException when one is damaged
   */
  public static List<Snapshot> list(Ctx ctx) {
    return list(ctx, null);
  }

  /**
   * @param ctx the repository
   * @param damaged told of each damaged snapshot file, which is then left out; {@code null} to fail
   * @return every readable snapshot, oldest first (one forgotten while being listed is left out)
   * @throws IntegrityException when one is damaged and {@code damaged} is {@code null}
   */
  public static List<Snapshot> list(Ctx ctx, @Nullable Consumer<IntegrityException> damaged) {
    return readAll(ctx, (key, e) -> {
      if (damaged == null) {
        throw e;
      }
      damaged.accept(e);
    });
  }

  /**
   * @param damaged told of each damaged snapshot file (its key and failure), which is then left out
   * @return every readable snapshot, oldest first (one forgotten while being listed is left out)
   */
  private static List<Snapshot> readAll(Ctx ctx, BiConsumer<String, IntegrityException> damaged) {
    List<Snapshot> out = new ArrayList<>();
    for (BlobInfo info : ctx.store().list("snapshots/")) {
      try {
        out.add(read(ctx, info.key()));
      } catch (dev.drkit.core.BlobNotFoundException e) {
        // forgotten between the listing and the read: not damage
      } catch (IntegrityException e) {
        damaged.accept(info.key(), e);
      }
    }
    out.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
    return out;
  }

  /**
   * Every snapshot, for an operation that must know all of them (a retention policy, a prune):
   * one damaged snapshot file refuses it, naming every damaged file and how to remove one.
   *
   * @param ctx the repository
   * @param refusal what cannot be done and why, for the message (for example "prune cannot tell
   *     which data it references")
   * @return every snapshot, oldest first
   * @throws IntegrityException naming the damaged snapshot files (the first one's failure is the cause)
   */
  public static List<Snapshot> listOrRefuse(Ctx ctx, String refusal) {
    List<String> keys = new ArrayList<>();
    List<IntegrityException> damage = new ArrayList<>();
    List<Snapshot> out = readAll(ctx, (key, e) -> {
      keys.add(key);
      damage.add(e);
    });
    if (!damage.isEmpty()) {
      List<String> ids = new ArrayList<>();
      List<String> stray = new ArrayList<>();
      for (String key : keys) {
        String name = SnapshotIds.idOf(key);
        if (SnapshotIds.isId(name)) {
          ids.add(name);
        } else {
          stray.add(key);
        }
      }
      throw new IntegrityException(damage.get(0).getMessage() + (damage.size() > 1 ? " (and " + (damage.size() - 1)
          + " more damaged snapshot files: " + String.join(", ", keys.subList(1, Math.min(keys.size(), 11)))
          + (keys.size() > 11 ? ", ..." : "") + ")" : "") + "; " + refusal + ". "
          + (ids.isEmpty() ? "" : "A damaged snapshot cannot be restored: remove it by its id with forget "
              + String.join(" ", ids.subList(0, Math.min(ids.size(), 10))) + (ids.size() > 10 ? " ..." : "")
              + " (only that file is deleted)" + (stray.isEmpty() ? "" : "; "))
          + (stray.isEmpty() ? "" : (ids.isEmpty() ? "A" : "a") + " file that is not named as a snapshot is not one: delete "
              + String.join(", ", stray.subList(0, Math.min(stray.size(), 10))) + (stray.size() > 10 ? ", ..." : "")
              + " by hand")
          + ", then run this again", damage.get(0));
    }
    return out;
  }

  /**
   * Loads a snapshot's entries.
   *
   * @param ctx the repository
   * @param index where the snapshot's tree blobs are looked up
   * @param s the snapshot
   * @return the entries
   * @throws IntegrityException when a tree blob is missing or damaged
   */
  public static List<Node> entries(Ctx ctx, Index index, Snapshot s) {
    List<byte[]> parts = new ArrayList<>();
    int total = 0;
    for (String hex : s.tree()) {
      byte[] part = Blobs.read(ctx, index, Id.parse(hex), "snapshot " + s.shortId());
      parts.add(part);
      total += part.length;
    }
    byte[] all = new byte[total];
    int pos = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, pos, p.length);
      pos += p.length;
    }
    return Manifest.decode(all, "snapshot " + s.shortId());
  }
}
