package dev.drkit.backup.internal;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;

/**
 * Reads one blob through the index. When the pack an entry names is missing, the pack is dropped
 * from the (in-memory) index and another copy of the blob serves, if there is one.
 */
public final class Blobs {
  private Blobs() {}

  /**
   * @param ctx the repository
   * @param index where the blob's pack, offset and length are looked up
   * @param id the blob
   * @param forWhat what needs it, for errors
   * @return its verified plaintext
   * @throws IntegrityException naming the blob and pack when missing or damaged
   */
  public static byte[] read(Ctx ctx, Index index, Id id, String forWhat) {
    PackEntry e = index.get(id);
    if (e == null) {
      PackEntry was = index.dropped(id);
      if (was != null) {
        throw new IntegrityException("pack " + Packs.key(was.pack()) + " holding blob " + id.hex() + " needed by "
            + forWhat + " is missing or truncated, and no other pack holds the blob");
      }
      throw new IntegrityException("blob " + id.hex() + " needed by " + forWhat + " is in no index (missing)");
    }
    String key = Packs.key(e.pack());
    byte[] sealed;
    try {
      sealed = ctx.store().getRange(key, e.offset(), e.length());
    } catch (BlobNotFoundException ex) {
      index.dropPacks(java.util.List.of(e.pack()));
      if (index.get(id) == null) {
        index.reload(ctx); // once per vanished pack: a prune may have copied the blob elsewhere
      }
      if (index.get(id) != null) {
        return read(ctx, index, id, forWhat); // another copy serves
      }
      throw new IntegrityException("pack " + key + " holding blob " + id.hex() + " needed by " + forWhat
          + " is missing", ex);
    } catch (StorageException ex) {
      java.util.Optional<dev.drkit.core.spi.BlobInfo> st = ctx.store().stat(key);
      if (st.isPresent() && st.get().size() >= (long) e.offset() + e.length()) {
        throw ex; // the pack is whole: the store failed, the repository is not damaged
      }
      throw new IntegrityException("pack " + key + " holding blob " + id.hex() + " is truncated or unreadable: "
          + ex.getMessage(), ex);
    }
    // encrypted: authenticated by AES-GCM (AAD binds type and id; verify --read-data re-hashes
    // everything). Unencrypted: no tag guards the bytes, so the keyed id is always recomputed.
    boolean rehash = !ctx.crypto().encrypted();
    return ctx.codec().decode(e.type(), id, e.rawLength(), sealed, 0, sealed.length, "pack " + key, rehash);
  }
}
