package dev.drkit.backup.internal;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.BackupStats;
import dev.drkit.backup.SkippedEntry;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.DrException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.spi.LogPosition;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup: scan the source, decide per file whether to re-read it, cut, id, compress, encrypt
 * and pack new chunks on a worker pool (the reading thread only reads and cuts), write the entry
 * stream as tree blobs, flush packs and index, and write the snapshot file last.
 */
public final class BackupRun {
  private static final Logger LOG = LoggerFactory.getLogger(BackupRun.class);
  private static final long INFLIGHT_KIB = MemoryBudget.INFLIGHT_MIB * 1024L;
  private static final Id[] NO_CHUNKS = new Id[0];
  private static final long WARM_UP_THRESHOLD = 64L << 20;

  /** What a backup whose lease lapsed did not do. */
  static final String NOT_WRITTEN = "snapshot not written; run the backup again";
  private final Ctx ctx;
  private final Index index;
  private final Lease lease;
  private final PackWriter packs;
  private final Set<Id> claimed = ConcurrentHashMap.newKeySet();
  private final Semaphore inflight = new Semaphore((int) INFLIGHT_KIB);
  /**
   * Chunk buffers sized by demand, reused: the reader copies each chunk into one and the worker
   * returns it when the chunk is encoded. At most {@code F / M} exist, each at most the maximum chunk
   * size, so their memory is at most the budget's {@code F} ({@link MemoryBudget#chunkData}).
   */
  private ChunkBuffers chunkBuffers;
  private final AtomicLong blobsAdded = new AtomicLong();
  private final AtomicLong bytesAdded = new AtomicLong();
  private final ExecutorService pool;
  /**
   * Each worker's compression buffer, the payload sealed from it into the pack: sized for the
   * largest chunk buffer the worker has been given so far, at most for the maximum chunk (dies with
   * the run's pool).
   */
  private final ThreadLocal<byte[]> scratch = ThreadLocal.withInitial(() -> new byte[0]);
  /**
   * Each worker's zstd context, reused for all its chunks (a fresh context per chunk costs about 7 %
   * of zstd's time on a data set of real files); closed when the workers have stopped.
   */
  private final ThreadLocal<com.github.luben.zstd.ZstdCompressCtx> compressor;
  private final List<com.github.luben.zstd.ZstdCompressCtx> compressors =
      java.util.Collections.synchronizedList(new ArrayList<>());
  private ProgressTracker progress;
  private final java.util.concurrent.atomic.AtomicReference<Throwable> failure =
      new java.util.concurrent.atomic.AtomicReference<>();

  @SuppressWarnings("NullAway.Init") // progress is set in execute(..), before any use
  private BackupRun(Ctx ctx, Index index, Lease lease) {
    this.ctx = ctx;
    this.index = index;
    this.lease = lease;
    this.packs = new PackWriter(ctx, index, lease, NOT_WRITTEN, Deletions.doomed(ctx));
    long m = ctx.chunker().max();
    int n = ctx.options().parallelism();
    // one buffer per worker and one the reader fills: every worker can be busy
    // no array yet; replaced by one with the floor for the files to read once they are known
    this.chunkBuffers = new ChunkBuffers((int) (MemoryBudget.chunkData(ctx.chunker().max(), n) / m),
        ctx.chunker().max(), ChunkBuffers.SMALLEST);
    this.compressor = ThreadLocal.withInitial(() -> {
      com.github.luben.zstd.ZstdCompressCtx c = ctx.codec().newCompressor();
      compressors.add(c);
      return c;
    });
    AtomicLong seq = new AtomicLong();
    this.pool = Executors.newFixedThreadPool(n, r -> {
      Thread t = DrkitThreads.create(r, "drkit-backup-" + seq.incrementAndGet(), true);
      return t;
    });
  }

  /** A file whose chunks are being processed. */
  private static final class Pending {
    final SourceEntry entry;
    final List<CompletableFuture<Id>> chunks = new ArrayList<>();
    @Nullable Node done;
    @Nullable SkippedEntry skipped;
    long bytesRead;

    Pending(SourceEntry entry) {
      this.entry = entry;
    }
  }

  /**
   * Adds packs that no index file mentions (uploaded by an interrupted backup) to the index and
   * writes an index file for them, so their blobs are reused.
   *
   * @param ctx the repository
   * @param index the loaded index
   * @param lease checked before the index file is written
   * @return how many packs were recovered
   */
  public static int recoverUnindexedPacks(Ctx ctx, Index index, Lease lease) {
    Map<Id, List<PackEntry>> found = new LinkedHashMap<>();
    java.util.Set<Id> doomed = Deletions.doomed(ctx);
    for (BlobInfo info : ctx.store().list("packs/")) {
      Id id = Packs.idOfKey(info.key());
      if (id == null || index.packs().containsKey(id) || doomed.contains(id)) {
        continue; // a pack a prune is deleting is never reused
      }
      try {
        found.put(id, Index.readPackHeader(ctx.store(), ctx.crypto(), id, info.size()));
      } catch (DrException e) {
        LOG.warn("ignoring unreadable unindexed pack {}: {}", info.key(), e.getMessage());
      }
    }
    if (!found.isEmpty()) {
      for (Map.Entry<Id, List<PackEntry>> e : found.entrySet()) {
        index.addPack(e.getKey(), e.getValue());
      }
      lease.check("index file not written; " + NOT_WRITTEN);
      index.write(ctx.store(), ctx.crypto(), found);
      LOG.info("reusing {} packs of an interrupted backup", found.size());
    }
    return found.size();
  }

  /**
   * Runs a backup: scans the source on the calling thread while a second thread loads what the
   * backup starts from ({@link BackupStart}), then reads what changed and writes the snapshot.
   *
   * @param ctx the repository
   * @param request what to back up
   * @param lease the backup's lock, checked before every commit point (index files, the snapshot)
   *     and after the snapshot was written
   * @return the new snapshot
   * @throws dev.drkit.backup.LeaseExpiredException when the lease lapsed before the snapshot was
   *     written, or while it was being written (then it is removed again)
   */
  public static Snapshot run(Ctx ctx, BackupRequest request, Lease lease) {
    long startMs = ctx.clock().millis();
    Instant time = request.time() != null ? request.time() : ctx.clock().instant();
    BackupStart start = BackupStart.of(ctx, request, lease);
    return run(ctx, start, request, lease, startMs, time);
  }

  private static Snapshot run(Ctx ctx, BackupStart start, BackupRequest request, Lease lease, long startMs,
      Instant time) {
    BackupRun run = new BackupRun(ctx, start.index(), lease);
    try {
      return run.execute(start, request, startMs, time);
    } catch (RuntimeException | Error e) {
      run.salvage(e);
      throw e;
    } finally {
      run.pool.shutdownNow();
      boolean stopped = false;
      try {
        stopped = run.pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
        if (!stopped) {
          LOG.warn("backup workers did not stop within 60s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (stopped) {
        // no worker uses them any more; a worker still running keeps its context (freed with it)
        run.closeCompressors();
      }
      // after a failure, no upload may outlive the backup (the caller releases the lock next)
      run.packs.abandon();
    }
  }

  private void closeCompressors() {
    synchronized (compressors) {
      for (com.github.luben.zstd.ZstdCompressCtx c : compressors) {
        c.close();
      }
      compressors.clear();
    }
  }

  /**
   * After a failure that was not the workers' (the source or the scan failed), lets the chunks
   * already handed to the workers finish and uploads them with their index, so the next backup
   * reuses them. No snapshot is written.
   */
  private void salvage(Throwable cause) {
    if (failure.get() != null) {
      return;
    }
    pool.shutdown();
    try {
      if (pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS) && failure.get() == null) {
        packs.finish();
        LOG.info("backup failed ({}); kept {} packs of processed data for the next backup", cause.toString(),
            packs.packs());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("could not keep the processed data of the failed backup", e);
    }
  }

  private Snapshot execute(BackupStart start, BackupRequest request, long startMs, Instant time) {
    String sourceName = request.source().description();
    List<String> paths = start.paths();
    Snapshot parent = start.parent();
    Map<ByteKey, Node> previous = start.previous();
    List<SourceEntry> entries = start.entries();
    List<SkippedEntry> skipped = start.skipped();
    refuseDuplicates(entries, sourceName);
    LogPosition logPosition = request.source().logPosition().orElse(null);
    long totalBytes = 0;
    long files = 0;
    long dirs = 0;
    long links = 0;
    for (SourceEntry e : entries) {
      switch (e.type()) {
        case FILE:
          files++;
          totalBytes += e.size();
          break;
        case DIRECTORY:
          dirs++;
          break;
        case SYMLINK:
          links++;
          break;
        default:
          throw new IllegalStateException(String.valueOf(e.type()));
      }
    }
    progress = new ProgressTracker("backup", request.listener(), ctx.clock());
    progress.totals(files, totalBytes);

    long toRead = 0;
    long largest = 0;
    long filesToRead = 0;
    for (SourceEntry e : entries) {
      if (e.type() == EntryType.FILE && reusable(e, previous.get(new ByteKey(e.path()))) == null) {
        toRead += e.size();
        largest = Math.max(largest, e.size());
        filesToRead++;
      }
    }
    if (toRead > WARM_UP_THRESHOLD) {
      pool.execute(Crypto::warmUp);
    }
    packs.expect(PackWriter.sealedBound(ctx, toRead, filesToRead));
    // chunks of large files are mostly between the average and twice it: buffers of that size from
    // the start, not a step per larger chunk; a backup of small files gets small ones
    chunkBuffers = new ChunkBuffers(chunkBuffers.count(), ctx.chunker().max(),
        (int) Math.min(largest, 2L * ctx.chunker().avg()));
    List<Pending> pending = new ArrayList<>(entries.size());
    // as large as the largest file to read (and one byte to see its end), at most M + 1 MiB
    readBuffer = new byte[(int) Math.min(readBufferMax(), Math.max(MIN_READ_BUFFER, largest + 1))];
    long filesRead = 0;
    long unchanged = 0;
    long bytesRead = 0;
    for (SourceEntry e : entries) {
      Pending p = new Pending(e);
      pending.add(p);
      byte[] path = e.path();
      long mtime = toNanos(e.mtime());
      switch (e.type()) {
        case DIRECTORY:
          p.done = new Node(EntryType.DIRECTORY, path, e.mode(), mtime, 0, new byte[0], "", NO_CHUNKS);
          break;
        case SYMLINK:
          p.done = new Node(EntryType.SYMLINK, path, e.mode(), mtime, 0, e.symlinkTarget(), "", NO_CHUNKS);
          break;
        case FILE: {
          Node reused = reusable(e, previous.get(new ByteKey(path)));
          if (reused != null) {
            p.done = reused;
            unchanged++;
            progress.addBytes(e.size());
          } else {
            long n = readFile(p);
            if (p.skipped == null) {
              bytesRead += n;
              filesRead++;
            } else {
              skipped.add(p.skipped);
              files--;
              totalBytes -= e.size();
            }
          }
          progress.addFiles(1);
          break;
        }
        default:
          throw new IllegalStateException(String.valueOf(e.type()));
      }
    }
    List<Node> nodes = new ArrayList<>(pending.size());
    for (Pending p : pending) {
      if (p.skipped != null) {
        continue; // its chunks already handed to the workers are unreferenced data for a later prune
      }
      if (p.done != null) {
        nodes.add(p.done);
        continue;
      }
      Id[] ids = new Id[p.chunks.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = join(p.chunks.get(i));
      }
      SourceEntry e = p.entry;
      nodes.add(new Node(EntryType.FILE, e.path(), e.mode(), toNanos(e.mtime()), p.bytesRead, new byte[0],
          e.fileKey() == null ? "" : e.fileKey(), ids));
    }
    readBuffer = new byte[0];
    byte[] manifest = Manifest.encode(nodes);
    packs.expect(PackWriter.sealedBound(ctx, manifest.length, 1));
    List<String> tree = new ArrayList<>();
    int pos = 0;
    byte[] treeScratch = new byte[0];
    while (pos < manifest.length) {
      int c = ctx.chunker().cut(manifest, pos, manifest.length - pos);
      Id id = ctx.codec().id(manifest, pos, c);
      if (!index.contains(id) && claimed.add(id)) {
        if (treeScratch.length < BlobCodec.scratchSize(c)) {
          treeScratch = new byte[BlobCodec.scratchSize(c)];
        }
        packs.add(BlobCodec.TREE, id, c, treeScratch, ctx.codec().compress(manifest, pos, c, treeScratch));
        blobsAdded.incrementAndGet();
        bytesAdded.addAndGet(c);
      }
      tree.add(id.hex());
      pos += c;
    }
    if (manifest.length == 0) {
      throw new IllegalStateException("empty manifest");
    }
    packs.finish();
    long duration = ctx.clock().millis() - startMs;
    BackupStats stats = new BackupStats(files, dirs, links, totalBytes, filesRead, unchanged, bytesRead,
        blobsAdded.get(), bytesAdded.get(), packs.bytes(), packs.packs(), duration);
    List<String> tags = new ArrayList<>(new TreeSet<>(request.tags()));
    SnapshotFiles.SnapshotJson json = new SnapshotFiles.SnapshotJson(1, time.toString(), ctx.options().host(),
        sourceName, paths, tags, request.type().configName(), parent == null ? null : parent.id(), tree, stats,
        skipped.isEmpty() ? null : List.copyOf(skipped), logPosition);
    lease.check(NOT_WRITTEN);
    String id = SnapshotFiles.write(ctx, json);
    try {
      // the write may have been paused past the lease: then a prune may have removed data it
      // references, and it must not stay
      lease.check(NOT_WRITTEN);
    } catch (dev.drkit.backup.LeaseExpiredException e) {
      ctx.store().delete("snapshots/" + id);
      throw e;
    }
    progress.finish();
    for (SkippedEntry sk : skipped) {
      ctx.event(DrEvent.Severity.WARN, "backup.entry-skipped", "backup of " + sourceName + " skipped " + sk,
          "snapshot", id, "path", sk.path(), "reason", sk.reason().name(), "detail", sk.detail());
    }
    for (ChangedWhileRead c : changedWhileRead) {
      ctx.event(DrEvent.Severity.WARN, "backup.entry-changed", "backup of " + sourceName + ": " + c.path()
          + " changed while it was backed up (" + c.how() + ")",
          "snapshot", id, "path", c.path(), "scannedBytes", c.scanned(), "readBytes", c.read(), "change", c.how());
    }
    return new Snapshot(id, time, ctx.options().host(), sourceName, paths, request.tags(), request.type(),
        json.parent(), stats, tree, skipped, logPosition);
  }

  /**
   * Refuses a source that yields two entries with one path: a restore could only give one of them.
   *
   * @throws IllegalArgumentException naming the duplicated paths (at most ten)
   */
  private static void refuseDuplicates(List<SourceEntry> entries, String sourceName) {
    Set<ByteKey> seen = new java.util.HashSet<>();
    Set<String> dups = new TreeSet<>();
    for (SourceEntry e : entries) {
      if (!seen.add(new ByteKey(e.path()))) {
        dups.add(RawPaths.display(e.path()));
      }
    }
    if (!dups.isEmpty()) {
      List<String> shown = new ArrayList<>(dups).subList(0, Math.min(10, dups.size()));
      throw new IllegalArgumentException("backup source " + sourceName + " yields " + dups.size()
          + " path(s) more than once, which a restore could not tell apart: " + String.join(", ", shown)
          + (dups.size() > shown.size() ? ", ..." : "") + "; no snapshot was written");
    }
  }

  /** @return the entry's node built from its unchanged previous version, or null when it must be read */
  private @Nullable Node reusable(SourceEntry e, @Nullable Node prev) {
    long mtime = toNanos(e.mtime());
    String fk = e.fileKey() == null ? "" : e.fileKey();
    if (prev != null && prev.size() == e.size() && prev.mtimeNanos() == mtime && prev.fileKey().equals(fk)
        && index.containsAll(Arrays.asList(prev.chunks()))) {
      return new Node(EntryType.FILE, e.path(), e.mode(), mtime, e.size(), new byte[0], fk, prev.chunks());
    }
    return null;
  }

  private static long toNanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  private static <T> T join(CompletableFuture<T> f) {
    return Futures.join(f, "backup worker failed");
  }

  /** The smallest read buffer, for a backup of small files only. */
  private static final int MIN_READ_BUFFER = 64 << 10;

  /**
   * The reading thread's buffer: as large as the largest file to read (at most {@code M + 1 MiB}),
   * grown to {@code M} when a file turns out to be larger than the scan said.
   */
  private byte[] readBuffer = new byte[0];
  /** A file that changed while it was backed up: its length when read, or its metadata after the read, differed from the scan's. */
  private record ChangedWhileRead(String path, long scanned, long read, String how) {}

  /** Files that changed while they were backed up. */
  private final List<ChangedWhileRead> changedWhileRead = new ArrayList<>();

  /** @return the largest read buffer: the maximum chunk and one read slice, {@code M + 1 MiB} */
  private int readBufferMax() {
    return MemoryBudget.readBuffer(ctx.chunker().max());
  }

  /**
   * Reads a file through the read buffer and hands its chunks to the workers. A chunk is cut as soon
   * as the chunker finds its end before the end of the bytes read so far (the same cut point it
   * finds with more bytes: it scans from the chunk's start and the first match wins), or once
   * {@code M} bytes are there; so only the start of the next chunk moves to the buffer's front
   * before the next read, and the buffer needs only {@code M} bytes and a read slice.
   */
  private long readFile(Pending p) {
    SourceEntry e = p.entry;
    long total = 0;
    try (InputStream in = e.openContent()) {
      int filled = 0;
      boolean eof = false;
      int max = ctx.chunker().max();
      while (true) {
        byte[] buf = readBuffer;
        while (!eof && filled < buf.length) {
          int n = readSource(in, buf, filled, e);
          if (n < 0) {
            eof = true;
          } else {
            filled += n;
          }
        }
        int pos = 0;
        while (pos < filled) {
          int avail = filled - pos;
          int c = ctx.chunker().cut(buf, pos, avail);
          if (!eof && avail < max && c >= avail) {
            break; // no end of a chunk in what is there: the bytes still to come decide
          }
          submit(p, buf, pos, c);
          pos += c;
          total += c;
        }
        if (eof) {
          break;
        }
        if (pos == 0 && filled == buf.length) {
          // a buffer below M is full without a chunk's end: the file is larger than the scan said.
          // It grows to M (enough to cut a chunk of any size; the old and the new one together
          // stay below the budget's 2M)
          readBuffer = java.util.Arrays.copyOf(buf, max);
          continue;
        }
        System.arraycopy(buf, pos, buf, 0, filled - pos);
        filled -= pos;
      }
    } catch (IOException ex) {
      // restic's way: the entry is left out and reported, the snapshot is still written
      p.skipped = SkippedEntry.of(e.path(), ex);
      LOG.warn("skipping {} of the backup source: {}", e.pathString(), p.skipped);
      return total;
    }
    p.bytesRead = total;
    // written to while it was read (or between the scan and the read): what was read is stored,
    // but a torn file is never taken for good silently. Its length tells some changes; the
    // source's look at the file after the read (its metadata against the scan's) tells the others
    String metadata = changedSinceScan(e);
    if (total != e.size() || metadata != null) {
      String how = total == e.size() ? String.valueOf(metadata) : e.size() + " bytes at the scan, " + total
          + " read" + (metadata == null ? "" : "; " + metadata);
      LOG.warn("{} changed while it was backed up: {}; the snapshot holds what was read, which may mix old and new"
          + " content", e.pathString(), how);
      changedWhileRead.add(new ChangedWhileRead(e.pathString(), e.size(), total, how));
    }
    return total;
  }

  /**
   * @return how the source says the file changed since the scan, or null when it did not (or
   *     cannot tell); a file it can no longer examine counts as changed
   */
  private static @Nullable String changedSinceScan(SourceEntry e) {
    try {
      return e.changedSinceScan().orElse(null);
    } catch (java.nio.file.NoSuchFileException ex) {
      return "it was deleted or renamed after it was read";
    } catch (IOException ex) {
      return "it could not be examined after it was read (" + ex + ")";
    } catch (DrException ex) {
      throw ex;
    } catch (RuntimeException ex) {
      throw new StorageException("backup source failed examining " + e.pathString() + " after reading it: " + ex, ex);
    }
  }

  /**
   * The most bytes asked of a source's stream at once: a file's stream reads through a channel, and
   * the JDK copies each read through a temporary direct buffer as large as the request, kept per
   * thread; a request of the whole read buffer (up to M + 1 MiB) would pin that much native memory.
   */
  private static final int READ_SLICE = 1 << 20;

  /**
   * Reads from a source's stream; an unchecked exception of the source fails the backup with a
   * message naming the entry (an {@link IOException} only skips it).
   */
  private static int readSource(InputStream in, byte[] buf, int off, SourceEntry e) throws IOException {
    try {
      return in.read(buf, off, Math.min(READ_SLICE, buf.length - off));
    } catch (DrException ex) {
      throw ex;
    } catch (RuntimeException ex) {
      throw new StorageException("backup source failed reading " + e.pathString() + ": " + ex, ex);
    }
  }

  private void submit(Pending p, byte[] buf, int off, int length) {
    Throwable failed = failure.get();
    if (failed != null) {
      join(CompletableFuture.failedFuture(failed));
    }
    int permits = (int) Math.min(INFLIGHT_KIB, length / 1024 + 1);
    inflight.acquireUninterruptibly(permits);
    byte[] chunk;
    try {
      chunk = chunkBuffers.take(length);
    } catch (RuntimeException | Error ex) {
      inflight.release(permits);
      throw ex;
    }
    System.arraycopy(buf, off, chunk, 0, length);
    CompletableFuture<Id> f;
    try {
      f = CompletableFuture.supplyAsync(() -> {
        try {
          Id id = ctx.codec().id(chunk, 0, length);
          if (!index.contains(id) && claimed.add(id)) {
            byte[] scr = scratch.get();
            if (scr.length < BlobCodec.scratchSize(length)) {
              // as large as the chunk's buffer: the pool's sizes only grow, so this grows a few times
              scr = new byte[BlobCodec.scratchSize(chunk.length)];
              scratch.set(scr);
            }
            // compressed into this worker's scratch, sealed from there into the pack: the chunk
            // buffer is free again afterwards
            packs.add(BlobCodec.DATA, id, length, scr, ctx.codec().compress(chunk, 0, length, scr, compressor.get()));
            blobsAdded.incrementAndGet();
            bytesAdded.addAndGet(length);
          }
          progress.addBytes(length);
          return id;
        } catch (RuntimeException | Error t) {
          failure.compareAndSet(null, t);
          throw t;
        } finally {
          chunkBuffers.give(chunk);
          inflight.release(permits);
        }
      }, pool);
    } catch (RuntimeException ex) {
      chunkBuffers.give(chunk);
      inflight.release(permits);
      throw ex;
    }
    p.chunks.add(f);
    if (f.isCompletedExceptionally()) {
      join(f);
    }
  }

  /** Byte-array map key. */
  static final class ByteKey {
    private final byte[] b;
    private final int hash;

    ByteKey(byte[] b) {
      this.b = b;
      this.hash = Arrays.hashCode(b);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && Arrays.equals(b, k.b);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
