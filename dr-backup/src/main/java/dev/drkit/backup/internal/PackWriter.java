package dev.drkit.backup.internal;

import dev.drkit.core.internal.DrkitThreads;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Groups blobs into packs of at most the target size, uploads each finished pack, adds it to the
 * index and writes an index file every few packs (so an interrupted backup leaves indexed, reusable
 * packs). A pack stays within the target (its header included) unless one blob alone is larger.
 *
 * <p>Blobs are sealed straight into a pack buffer: a thread reserves the blob's place at the end of
 * the open pack under a short lock, then seals its payload there without the lock, so several
 * encoders fill one pack at once and no blob exists as an array of its own. When every blob of a
 * closed pack is written, its header is sealed after them and the filled part of the buffer goes to
 * the store as it is ({@link dev.drkit.core.spi.BlobStore#putIfAbsent(String, byte[], int, int)}).
 * The buffers come from a pool of {@code writeConcurrency + 1} ({@link MemoryBudget#packBuffers}):
 * the pack being filled and one per uploader thread (as many as the store's
 * {@link dev.drkit.core.spi.BlobStore#writeConcurrency()}); a buffer returns to the pool
 * when its upload ends, whether it succeeded or failed. A thread that needs a new pack while all
 * buffers are out waits, which bounds memory and throttles the encoders to the store's pace.
 * A failed upload fails the next {@link #add} and {@link #finish}.
 *
 * <p>A pack buffer is as large as what is still to come ({@link #expect}) and at most the pack size:
 * a backup of 1 MB does not take a 16 MiB buffer. When more comes than expected, the open pack's
 * buffer grows (once its blobs in progress are written), so packs hold the same blobs whatever the
 * buffers' sizes. Thread-safe.
 */
public final class PackWriter {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PackWriter.class);
  private static final int PACKS_PER_INDEX_FILE = 8;
  private final Ctx ctx;
  private final Index index;
  private final Lease lease;
  private final String consequence;
  private final java.util.Set<Id> avoid;
  private final int target;
  private final PackBuffers buffers;
  /** The pack blobs are added to; null until the first blob and after a pack was closed. */
  private @Nullable OpenPack current;
  private final Map<Id, List<PackEntry>> pendingIndex = new LinkedHashMap<>();
  private final int uploaders;
  private final List<Future<?>> inFlight = new ArrayList<>();
  /** Pack bytes still to come, at most ({@link #expect}); under the writer's lock. */
  private long expected = Long.MAX_VALUE;
  private @Nullable ExecutorService uploader;
  private volatile @Nullable RuntimeException failure;
  /** Set by {@link #abandon}: packs completed afterwards are dropped, not uploaded. */
  private volatile boolean abandoned;
  private final AtomicLong packs = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  /**
   * A pack being filled: its buffer, the blobs placed in it, and how many of them are still being
   * written (plus one while the pack is open). The last to finish completes the pack.
   */
  private final class OpenPack {
    /** Replaced by a larger one under the writer's lock while no blob is being written into it. */
    volatile byte[] buf;
    final boolean pooled;
    /** Blobs in order; changed only under the writer's lock while the pack is open. */
    final List<Packs.Slot> slots = new ArrayList<>();
    /** Where the next blob goes; under the writer's lock. */
    int end;
    final AtomicInteger writers = new AtomicInteger(1);
    /** A blob could not be written into it: the pack is dropped, not uploaded. */
    volatile boolean broken;

    OpenPack(byte[] buf, boolean pooled) {
      this.buf = buf;
      this.pooled = pooled;
    }

    void release() {
      int left = writers.decrementAndGet();
      if (left == 0) {
        complete(this);
      } else if (left == 1) {
        synchronized (this) {
          notifyAll(); // a reserve may wait to grow the buffer
        }
      }
    }

    /** Waits until no blob is being written into the pack (only the open pack's own count is left). */
    void awaitWriters() {
      synchronized (this) {
        while (writers.get() > 1) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to grow a pack buffer", e);
          }
        }
      }
    }
  }

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
    this.uploaders = MemoryBudget.uploaders(ctx.store().writeConcurrency());
    this.buffers = new PackBuffers(MemoryBudget.packBuffer(ctx.chunker().max(), target),
        MemoryBudget.packBuffers(ctx.store().writeConcurrency()));
  }

  /**
   * Tells the writer how many pack bytes are still to come at most, from now on (replacing an earlier
   * figure); new pack buffers are sized for it instead of the full pack size. A figure too low costs
   * a copy of the open pack when it grows, never a different pack.
   *
   * @param bytes sealed blobs and their header entries still to come, at most ({@link #sealedBound})
   */
  public synchronized void expect(long bytes) {
    expected = Math.max(0, bytes);
  }

  /**
   * @param ctx the repository
   * @param raw plaintext bytes
   * @param pieces the pieces (files) they come in: each is cut into at most {@code size / min + 1}
   *     chunks
   * @return the most pack bytes (sealed blobs and their header entries) that many bytes become
   */
  public static long sealedBound(Ctx ctx, long raw, long pieces) {
    long chunks = pieces + raw / ctx.chunker().min();
    // per blob: a codec byte, a nonce and tag per 64 KiB segment and one more, its header entry
    return raw + chunks * (1 + Crypto.OVERHEAD + Packs.ENTRY) + Crypto.OVERHEAD * ((raw + chunks) / Crypto.SEGMENT + 2);
  }

  /**
   * Adds a blob given as its payload (from {@link BlobCodec#compress}): seals it straight into the
   * open pack.
   *
   * @param type blob type
   * @param id keyed id of the plaintext
   * @param rawLength plaintext length
   * @param payload the payload buffer, from its start
   * @param payloadLength the payload's length
   * @throws RuntimeException an earlier upload's failure, as the store threw it
   */
  public void add(byte type, Id id, int rawLength, byte[] payload, int payloadLength) {
    rethrow();
    int length = ctx.codec().sealedLength(payloadLength);
    Place place = reserve(type, id, rawLength, length);
    OpenPack p = place.pack();
    write(p, length, () -> ctx.codec().sealInto(type, id, payload, payloadLength, place.buf(), place.at()));
  }

  /**
   * Adds a blob already sealed (a prune moving it from another pack): copies it into the open pack.
   *
   * @param type blob type
   * @param id keyed id of the plaintext
   * @param rawLength plaintext length
   * @param sealed the buffer holding the sealed blob
   * @param off where it starts
   * @param len its length
   * @throws RuntimeException an earlier upload's failure, as the store threw it
   */
  public void addSealed(byte type, Id id, int rawLength, byte[] sealed, int off, int len) {
    rethrow();
    java.util.Objects.checkFromIndexSize(off, len, sealed.length);
    Place place = reserve(type, id, rawLength, len);
    OpenPack p = place.pack();
    write(p, len, () -> {
      System.arraycopy(sealed, off, place.buf(), place.at(), len);
      return len;
    });
  }

  /**
   * @param blob an encoded blob to store (copied into the open pack)
   * @throws RuntimeException an earlier upload's failure, as the store threw it
   */
  public void add(BlobCodec.Encoded blob) {
    addSealed(blob.type(), blob.id(), blob.rawLength(), blob.sealed(), 0, blob.sealed().length);
  }

  /** Runs {@code writer}, which writes a blob of {@code length} bytes into its place in {@code p}. */
  private void write(OpenPack p, int length, java.util.function.IntSupplier writer) {
    boolean written = false;
    try {
      int n = writer.getAsInt();
      if (n != length) {
        throw new IllegalStateException("wrote " + n + " bytes of a blob into a place of " + length);
      }
      written = true;
    } finally {
      if (!written) {
        p.broken = true;
      }
      p.release();
    }
  }

  /** Where a blob goes: its pack, the pack's buffer and its offset there. */
  private record Place(OpenPack pack, byte[] buf, int at) {}

  /**
   * Places a blob of {@code length} sealed bytes at the end of the open pack, closing it first when
   * the blob would take it past the target; the caller then writes the blob and releases the pack.
   * Waits for a pool buffer under the lock: uploads, which return buffers, never take it.
   */
  private synchronized Place reserve(byte type, Id id, int rawLength, int length) {
    OpenPack p = current;
    if (p != null && !p.slots.isEmpty()
        && (long) p.end + length + Packs.trailerLength(ctx.crypto(), p.slots.size() + 1) > target) {
      current = null;
      p.release();
      p = null;
    }
    expected = Math.max(0, expected - length - Packs.ENTRY);
    long rest = Math.min(expected, buffers.capacity());
    if (p != null) {
      long need = (long) p.end + length + Packs.trailerLength(ctx.crypto(), p.slots.size() + 1);
      if (need > p.buf.length) {
        // more than expected came: the buffer grows once no blob is being written into it
        p.awaitWriters();
        int grown = (int) Math.min(buffers.capacity(), Math.max(2L * p.buf.length, need + rest));
        try {
          p.buf = buffers.grow(p.buf, grown, p.end);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting to grow a pack buffer", e);
        }
      }
    }
    if (p == null) {
      long need = (long) length + Packs.trailerLength(ctx.crypto(), 1);
      if (need <= buffers.capacity()) {
        // room for what is still expected, in steps of 64 KiB (the same few sizes come back)
        long want = Math.max(need, (need + rest + 0xFFFF) & ~0xFFFFL);
        p = new OpenPack(takeBuffer((int) Math.min(buffers.capacity(), want)), true);
      } else {
        // larger than the largest sealed blob (a prune moving a blob of a damaged or foreign
        // pack): a pack of its own, in an array of its own
        p = new OpenPack(new byte[Math.toIntExact(need)], false);
      }
      current = p;
    }
    p.slots.add(new Packs.Slot(type, id, rawLength, length));
    int at = p.end;
    p.end += length;
    p.writers.incrementAndGet();
    return new Place(p, p.buf, at);
  }

  private byte[] takeBuffer(int want) {
    try {
      return buffers.take(want);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a pack buffer", e);
    }
  }

  /** Every blob of a closed pack is written: uploads it, or drops it after a failure. */
  private void complete(OpenPack p) {
    if (p.broken || failure != null || abandoned) {
      recycle(p);
      return;
    }
    synchronized (inFlight) {
      if (uploader == null) {
        uploader = Executors.newFixedThreadPool(uploaders, r -> DrkitThreads.create(r, "drkit-pack-upload", true));
      }
      inFlight.removeIf(Future::isDone);
      try {
        inFlight.add(uploader.submit(() -> {
          try {
            if (failure == null && !abandoned) {
              uploadNow(p);
            }
          } catch (RuntimeException | Error e) {
            fail(e);
            if (e instanceof Error err) {
              throw err;
            }
          } finally {
            recycle(p);
          }
        }));
      } catch (RejectedExecutionException e) {
        recycle(p);
        fail(e);
      }
    }
  }

  private void fail(Throwable e) {
    if (failure == null) {
      failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
  }

  private void recycle(OpenPack p) {
    if (p.pooled) {
      buffers.give(p.buf);
    }
  }

  private void rethrow() {
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
  }

  private void uploadNow(OpenPack p) {
    List<Packs.Slot> slots = p.slots;
    int dataEnd = p.end;
    byte[] pack = p.buf;
    int length = Packs.writeTrailer(ctx.crypto(), slots, pack, dataEnd);
    Id packId = Crypto.sha256(pack, 0, length);
    while (avoid.contains(packId)) {
      // rare (an unencrypted repository repeating a doomed pack): a copy with a padding blob
      byte[] pad = Crypto.random(32);
      Id padId = ctx.codec().id(pad, 0, pad.length);
      byte[] payload = new byte[BlobCodec.scratchSize(pad.length)];
      int n = ctx.codec().compress(pad, 0, pad.length, payload);
      int sealed = ctx.codec().sealedLength(n);
      slots = new ArrayList<>(p.slots);
      slots.add(new Packs.Slot(BlobCodec.DATA, padId, pad.length, sealed));
      pack = java.util.Arrays.copyOf(p.buf, dataEnd + sealed + Packs.trailerLength(ctx.crypto(), slots.size()));
      ctx.codec().sealInto(BlobCodec.DATA, padId, payload, n, pack, dataEnd);
      length = Packs.writeTrailer(ctx.crypto(), slots, pack, dataEnd + sealed);
      packId = Crypto.sha256(pack, 0, length);
      LOG.info("pack {} would repeat a pack a prune is deleting; padded it", packId.hex());
    }
    ctx.store().putIfAbsent(Packs.key(packId), pack, 0, length);
    List<PackEntry> entries = new ArrayList<>(slots.size());
    int offset = 0;
    for (Packs.Slot b : slots) {
      entries.add(new PackEntry(packId, b.type(), b.id(), offset, b.length(), b.rawLength()));
      offset += b.length();
    }
    packs.incrementAndGet();
    bytes.addAndGet(length);
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
   * Stops the uploader threads; the writer can be used again afterwards. Call it once every
   * {@link #add} has returned.
   *
   * @throws RuntimeException the first upload's failure, as the store threw it
   */
  public void finish() {
    closeCurrent();
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

  private void closeCurrent() {
    OpenPack rest;
    synchronized (this) {
      rest = current;
      current = null;
    }
    if (rest != null) {
      rest.release();
    }
  }

  private void awaitUploads() {
    List<Future<?>> all;
    ExecutorService u;
    synchronized (inFlight) {
      all = new ArrayList<>(inFlight);
      inFlight.clear();
      u = uploader;
      uploader = null;
    }
    try {
      for (Future<?> f : all) {
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
   * Stops the uploader without writing what is left (after a failure): drops the open pack, waits
   * for the uploads in progress, so no pack is half-handled when the caller goes on, and drops any
   * pack completed later (by a writer that was still sealing into it).
   */
  public void abandon() {
    abandoned = true;
    closeCurrent();
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

  /** @return pack buffers taken from the pool and not yet returned (0 once every upload ended) */
  public int buffersInUse() {
    return buffers.inUse();
  }

  /** @return bytes of the pack buffers made so far, those replaced by larger ones included */
  public long buffersAllocated() {
    return buffers.allocated();
  }

  /** @return pack buffers the pool created (at most {@link MemoryBudget#packBuffers}) */
  public int buffersCreated() {
    return buffers.created();
  }
}
