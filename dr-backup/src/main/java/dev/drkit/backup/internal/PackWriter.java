package dev.drkit.backup.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Groups encoded blobs into packs of about the target size, uploads each finished pack, adds it to
 * the index and writes an index file every few packs (so an interrupted backup leaves indexed,
 * reusable packs). Thread-safe: blobs are added under a lock, packs are assembled and uploaded by
 * the thread that filled them, outside the lock.
 */
public final class PackWriter {
  private static final int PACKS_PER_INDEX_FILE = 8;
  private final Ctx ctx;
  private final Index index;
  private final int target;
  private List<BlobCodec.Encoded> current = new ArrayList<>();
  private long currentBytes;
  private final Map<Id, List<PackEntry>> pendingIndex = new LinkedHashMap<>();
  private final AtomicLong packs = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  /**
   * @param ctx the repository
   * @param index the index to extend
   */
  public PackWriter(Ctx ctx, Index index) {
    this.ctx = ctx;
    this.index = index;
    this.target = ctx.options().packSize();
  }

  /** @param blob an encoded blob to store */
  public void add(BlobCodec.Encoded blob) {
    List<BlobCodec.Encoded> full = null;
    synchronized (this) {
      current.add(blob);
      currentBytes += blob.sealed().length;
      if (currentBytes >= target) {
        full = current;
        current = new ArrayList<>();
        currentBytes = 0;
      }
    }
    if (full != null) {
      upload(full);
    }
  }

  private void upload(List<BlobCodec.Encoded> blobs) {
    byte[] pack = Packs.assemble(ctx.crypto(), blobs);
    Id packId = Crypto.sha256(pack);
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
        index.write(ctx.store(), ctx.crypto(), pendingIndex);
        pendingIndex.clear();
      }
    }
  }

  /** Uploads the last partial pack and writes the remaining index entries. */
  public void finish() {
    List<BlobCodec.Encoded> rest;
    synchronized (this) {
      rest = current;
      current = new ArrayList<>();
      currentBytes = 0;
    }
    if (!rest.isEmpty()) {
      upload(rest);
    }
    synchronized (pendingIndex) {
      if (!pendingIndex.isEmpty()) {
        index.write(ctx.store(), ctx.crypto(), pendingIndex);
        pendingIndex.clear();
      }
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
