package dev.drkit.backup.internal;

import dev.drkit.core.internal.DrkitThreads;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Groups encoded blobs into packs of about the target size, uploads each finished pack, adds it to
 * the index and writes an index file every few packs (so an interrupted backup leaves indexed,
 * reusable packs). Packs stay below the target unless one blob is larger. Thread-safe: blobs are
 * added under a lock. A full pack is handed to uploader threads (as many as the store's
 * {@link dev.drkit.core.spi.BlobStore#writeConcurrency()}), so the threads that encode blobs keep
 * encoding while a pack travels to the store (on a remote store, an upload is mostly waiting).
 * At most {@value #MAX_QUEUED} full pack waits for an uploader besides those being uploaded; a
 * thread that fills another one waits, which bounds memory (to {@code writeConcurrency + 2}
 * packs) and throttles the encoders to the store's pace. A failed upload fails the next
 * {@link #add} and {@link #finish}.
 */
public final class PackWriter {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PackWriter.class);
  private static final int PACKS_PER_INDEX_FILE = 8;
  /** Full packs that may wait for the uploader while it uploads another. */
  static final int MAX_QUEUED = 1;
  private final Ctx ctx;
  private final Index index;
  private final Lease lease;
  private final String consequence;
  private final java.util.Set<Id> avoid;
  private final int target;
  private List<BlobCodec.Encoded> current = new ArrayList<>();
  private long currentBytes;
  private final Map<Id, List<PackEntry>> pendingIndex = new LinkedHashMap<>();
  private final int uploaders;
  private final java.util.concurrent.Semaphore slots;
  private final List<java.util.concurrent.Future<?>> inFlight = new ArrayList<>();
  private java.util.concurrent.@Nullable ExecutorService uploader;
  private volatile @Nullable RuntimeException failure;
  private final AtomicLong packs = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  /**
   * @param ctx the repository
   * @param index the index to extend
   */
  public PackWriter(Ctx ctx, Index index) {
    this(ctx, index, Lease.NONE, "", java.util.Set.of());
  }

  /**
   * @param ctx the repository
   * @param index the index to extend
   * @param lease checked before every index file is written (a commit point)
   * @param consequence what the operation does not do when the lease lapsed (for the message)
   * @param avoid packs this writer must not produce: those a prune is deleting. Packs are named by
   *     their content, so in an unencrypted repository a pack of the same blobs in the same order
   *     would be the doomed pack itself; such a pack gets a small random padding blob instead
   */
  public PackWriter(Ctx ctx, Index index, Lease lease, String consequence, java.util.Set<Id> avoid) {
    this.ctx = ctx;
    this.index = index;
    this.lease = lease;
    this.consequence = consequence;
    this.avoid = java.util.Set.copyOf(avoid);
    this.target = ctx.options().packSize();
    this.uploaders = Math.max(1, Math.min(16, ctx.store().writeConcurrency()));
    this.slots = new java.util.concurrent.Semaphore(uploaders + MAX_QUEUED);
  }

  /** @param blob an encoded blob to store */
  public void add(BlobCodec.Encoded blob) {
    rethrow();
    List<BlobCodec.Encoded> full = null;
    synchronized (this) {
      if (!current.isEmpty() && currentBytes + blob.sealed().length > target) {
        full = current;
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(blob);
      currentBytes += blob.sealed().length;
    }
    if (full != null) {
      submit(full);
    }
  }

  private void submit(List<BlobCodec.Encoded> blobs) {
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the pack uploader", e);
    }
    synchronized (inFlight) {
      if (uploader == null) {
        uploader = java.util.concurrent.Executors.newFixedThreadPool(uploaders, r -> {
          Thread t = DrkitThreads.create(r, "drkit-pack-upload", true);
          return t;
        });
      }
      inFlight.removeIf(java.util.concurrent.Future::isDone);
      inFlight.add(uploader.submit(() -> {
        try {
          if (failure == null) {
            uploadNow(blobs);
          }
        } catch (RuntimeException | Error e) {
          if (failure == null) {
            failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
          }
          if (e instanceof Error err) {
            throw err;
          }
        } finally {
          slots.release();
        }
      }));
    }
  }

  private void rethrow() {
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
  }

  private void uploadNow(List<BlobCodec.Encoded> content) {
    List<BlobCodec.Encoded> blobs = content;
    byte[] pack = Packs.assemble(ctx.crypto(), blobs);
    Id packId = Crypto.sha256(pack);
    while (avoid.contains(packId)) {
      byte[] pad = Crypto.random(32);
      blobs = new ArrayList<>(blobs);
      blobs.add(ctx.codec().encode(BlobCodec.DATA, ctx.codec().id(pad, 0, pad.length), pad, 0, pad.length));
      pack = Packs.assemble(ctx.crypto(), blobs);
      packId = Crypto.sha256(pack);
      LOG.info("pack {} would repeat a pack a prune is deleting; padded it", packId.hex());
    }
    ctx.store().putIfAbsent(Packs.key(packId), pack);
    List<PackEntry> entries = new ArrayList<>(blobs.size());
    int offset = 0;
    for (BlobCodec.Encoded b : blobs) {
      entries.add(new PackEntry(packId, b.type(), b.id(), offset, b.sealed().length, b.rawLength()));
      offset += b.sealed().length;
    }
    packs.incrementAndGet();
    bytes.addAndGet(pack.length);
    synchronized (pendingIndex) {
      index.addPack(packId, entries);
      pendingIndex.put(packId, entries);
      if (pendingIndex.size() >= PACKS_PER_INDEX_FILE) {
        lease.check("index file not written; " + consequence);
        index.write(ctx.store(), ctx.crypto(), pendingIndex);
        pendingIndex.clear();
      }
    }
  }

  /**
   * Uploads the last partial pack, waits for every upload and writes the remaining index entries.
   * Stops the uploader thread; the writer can be used again afterwards.
   *
   * @throws RuntimeException the first upload's failure, as the store threw it
   */
  public void finish() {
    List<BlobCodec.Encoded> rest;
    synchronized (this) {
      rest = current;
      current = new ArrayList<>();
      currentBytes = 0;
    }
    if (!rest.isEmpty()) {
      submit(rest);
    }
    awaitUploads();
    rethrow();
    synchronized (pendingIndex) {
      if (!pendingIndex.isEmpty()) {
        lease.check("index file not written; " + consequence);
        index.write(ctx.store(), ctx.crypto(), pendingIndex);
        pendingIndex.clear();
      }
    }
  }

  private void awaitUploads() {
    List<java.util.concurrent.Future<?>> all;
    java.util.concurrent.ExecutorService u;
    synchronized (inFlight) {
      all = new ArrayList<>(inFlight);
      inFlight.clear();
      u = uploader;
      uploader = null;
    }
    try {
      for (java.util.concurrent.Future<?> f : all) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          // an Error from the upload (the RuntimeExceptions are kept in failure)
          if (e.getCause() instanceof Error err) {
            throw err;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for pack uploads", e);
    } finally {
      if (u != null) {
        u.shutdown();
      }
    }
  }

  /**
   * Stops the uploader without writing what is left (after a failure): waits for the upload in
   * progress, so no pack is half-handled when the caller goes on.
   */
  public void abandon() {
    synchronized (this) {
      current = new ArrayList<>();
      currentBytes = 0;
    }
    try {
      awaitUploads();
    } catch (RuntimeException e) {
      LOG.debug("pack upload stopped: {}", e.toString());
    }
  }

  /** @return packs uploaded */
  public long packs() {
    return packs.get();
  }

  /** @return bytes uploaded */
  public long bytes() {
    return bytes.get();
  }
}
