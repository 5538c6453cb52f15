package dev.drkit.backup.internal;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.SkippedEntry;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.internal.BackupRun.ByteKey;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.StorageException;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.internal.DrkitThreads;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a backup starts from, gathered on two threads: the calling thread scans the source while a
 * thread {@code drkit-backup-load} lists the snapshots, loads the usable index (indexing the packs of
 * an interrupted backup) and reads the parent snapshot's files. The scan needs nothing of the
 * repository, so neither waits for the other when a core is free. The source is only ever called on
 * the calling thread. The load is always over when {@link #of} returns or throws (it may write an
 * index file, under the lease); when both fail, the load's exception is thrown (it would have come
 * first had they run one after the other), the scan's added to it as suppressed.
 */
final class BackupStart {
  private static final Logger LOG = LoggerFactory.getLogger(BackupStart.class);
  private static final String LOAD_FAILED = "loading the repository for the backup failed";

  private final List<String> paths;
  private final Loaded loaded;
  private final List<SourceEntry> entries;
  private final List<SkippedEntry> skipped;

  /** The repository's part: the usable index, the parent snapshot and its files by path. */
  private record Loaded(Index index, @Nullable Snapshot parent, Map<ByteKey, Node> previous) {}

  private BackupStart(List<String> paths, Loaded loaded, List<SourceEntry> entries, List<SkippedEntry> skipped) {
    this.paths = paths;
    this.loaded = loaded;
    this.entries = entries;
    this.skipped = skipped;
  }

  /**
   * @param ctx the repository
   * @param request what to back up
   * @param lease the backup's lock (checked before an index file of unindexed packs is written)
   * @return the scanned source and the loaded repository
   * @throws IllegalArgumentException when the source names no paths
   */
  static BackupStart of(Ctx ctx, BackupRequest request, Lease lease) {
    List<String> paths = List.copyOf(new TreeSet<>(request.source().paths()));
    if (paths.isEmpty()) {
      throw new IllegalArgumentException("backup source " + request.source().description() + " names no paths");
    }
    CompletableFuture<Loaded> loading = new CompletableFuture<>();
    DrkitThreads.create(() -> {
      try {
        // snapshots before the index: a snapshot another backup commits meanwhile is either not
        // seen or seen with its index
        // a damaged snapshot file only costs the choice of a parent (every snapshot is complete
        // whatever its parent): it must not stop new backups
        List<Snapshot> snapshots = SnapshotFiles.list(ctx, damaged -> {
          String message = damaged.getMessage() + "; the backup chooses its parent among the other snapshots";
          LOG.warn("{}", message);
          ctx.event(DrEvent.Severity.WARN, "snapshot.damaged", message, "error",
              String.valueOf(damaged));
        });
        Index index = Index.loadUsable(ctx, true);
        BackupRun.recoverUnindexedPacks(ctx, index, lease);
        loading.complete(load(ctx, index, snapshots, request, paths));
      } catch (Throwable t) { // handed to the calling thread
        loading.completeExceptionally(t);
      }
    }, "drkit-backup-load", true).start();
    List<SourceEntry> entries = new ArrayList<>();
    List<SkippedEntry> skipped = new ArrayList<>();
    try {
      scan(request, entries, skipped);
    } catch (RuntimeException | Error e) {
      try {
        Futures.join(loading, LOAD_FAILED);
      } catch (RuntimeException | Error loadFailure) {
        loadFailure.addSuppressed(e);
        throw loadFailure;
      }
      throw e;
    }
    return new BackupStart(paths, Futures.join(loading, LOAD_FAILED), entries, skipped);
  }

  private static Loaded load(Ctx ctx, Index index, List<Snapshot> snapshots, BackupRequest request,
      List<String> paths) {
    Snapshot parent = null;
    if (request.type() != BackupType.FULL) {
      for (Snapshot s : snapshots) {
        if (s.host().equals(ctx.options().host()) && new TreeSet<>(s.paths()).equals(new TreeSet<>(paths))
            && (request.type() == BackupType.INCREMENTAL || s.type() == BackupType.FULL)) {
          parent = s;
        }
      }
    }
    Map<ByteKey, Node> previous = new HashMap<>();
    if (parent != null) {
      for (Node n : SnapshotFiles.entries(ctx, index, parent)) {
        if (n.type() == EntryType.FILE) {
          previous.put(new ByteKey(n.path()), n);
        }
      }
    }
    return new Loaded(index, parent, previous);
  }

  private static void scan(BackupRequest request, List<SourceEntry> entries, List<SkippedEntry> skipped) {
    try {
      request.source().scan(request.excludes(), new ScanSink() {
        @Override
        public void entry(SourceEntry entry) {
          entries.add(Objects.requireNonNull(entry, "entry"));
        }

        @Override
        public void skipped(SkippedEntry entry) {
          skipped.add(Objects.requireNonNull(entry, "skipped"));
        }
      });
    } catch (IOException e) {
      throw new StorageException("cannot scan backup source " + request.source().description() + ": " + e, e);
    }
  }

  /** @return the source's roots, sorted */
  List<String> paths() {
    return paths;
  }

  /** @return the usable index (a backup extends it in place) */
  Index index() {
    return loaded.index();
  }

  /** @return the parent snapshot, or null for a full backup or when there is none */
  @Nullable Snapshot parent() {
    return loaded.parent();
  }

  /** @return the parent's files by path (empty without a parent) */
  Map<ByteKey, Node> previous() {
    return loaded.previous();
  }

  /** @return the source's entries, in scan order */
  List<SourceEntry> entries() {
    return entries;
  }

  /** @return the entries the source left out (the backup adds those it cannot read) */
  List<SkippedEntry> skipped() {
    return skipped;
  }
}
