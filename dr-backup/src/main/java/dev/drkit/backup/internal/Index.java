package dev.drkit.backup.internal;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import dev.drkit.core.spi.DrEvent;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory index: which pack holds each blob. Persisted as index files
 * {@code index/<sha256>}: sealed (AAD {@code drkit-index}) plaintext
 * {@code "DRKI" u8(1) u32(packs) (32 packId, u32 n, (u8 type, 32 id, u32 offset, u32 length, u32 rawLength)*n)*}.
 * Thread-safe.
 */
public final class Index {
  private static final Logger LOG = LoggerFactory.getLogger(Index.class);
  private static final byte[] MAGIC = {'D', 'R', 'K', 'I'};
  private static final byte[] AAD = Crypto.aad("drkit-index");
  private final Map<Id, PackEntry> blobs = new ConcurrentHashMap<>();
  private final Map<Id, List<PackEntry>> packs = new ConcurrentHashMap<>();
  private final Set<String> files = ConcurrentHashMap.newKeySet();
  private final Map<Id, PackEntry> dropped = new ConcurrentHashMap<>();

  /** @param id a blob id @return where it is, or null */
  public @Nullable PackEntry get(Id id) {
    return blobs.get(id);
  }

  /**
   * @param id a blob id in no usable pack
   * @return the entry of a dropped (missing, truncated or doomed) pack that held it, or null
   */
  public @Nullable PackEntry dropped(Id id) {
    return dropped.get(id);
  }

  /** @param id a blob id @return whether indexed */
  public boolean contains(Id id) {
    return blobs.containsKey(id);
  }

  /** @return every indexed pack and its blobs */
  public Map<Id, List<PackEntry>> packs() {
    return packs;
  }

  /** @return the keys of the index files loaded or written */
  public Set<String> files() {
    return files;
  }

  /** @return how many blobs are indexed */
  public int blobCount() {
    return blobs.size();
  }

  /** @param pack a pack id @param entries its blobs */
  public void addPack(Id pack, List<PackEntry> entries) {
    packs.put(pack, List.copyOf(entries));
    for (PackEntry e : entries) {
      blobs.putIfAbsent(e.id(), e);
    }
  }

  /**
   * Forgets packs (missing, truncated, or about to be deleted by a prune): their entries no longer
   * serve, and every blob they held that another pack also holds is served from that other copy.
   *
   * @param gone the packs to forget
   * @return the entries forgotten, by pack (only packs this index held)
   */
  public synchronized Map<Id, List<PackEntry>> dropPacks(Collection<Id> gone) {
    Map<Id, List<PackEntry>> removed = new java.util.LinkedHashMap<>();
    for (Id p : gone) {
      List<PackEntry> l = packs.remove(p);
      if (l != null) {
        removed.put(p, l);
      }
    }
    if (removed.isEmpty()) {
      return removed;
    }
    Set<Id> affected = new java.util.HashSet<>();
    for (List<PackEntry> l : removed.values()) {
      for (PackEntry e : l) {
        affected.add(e.id());
      }
    }
    Map<Id, PackEntry> other = new java.util.HashMap<>();
    for (List<PackEntry> l : packs.values()) {
      for (PackEntry e : l) {
        if (affected.contains(e.id())) {
          other.putIfAbsent(e.id(), e);
        }
      }
    }
    // each blob is re-pointed in one step, so a concurrent reader never finds it absent meanwhile
    for (List<PackEntry> l : removed.values()) {
      for (PackEntry e : l) {
        PackEntry alt = other.get(e.id());
        blobs.compute(e.id(), (k, cur) -> cur == null || cur.equals(e) ? alt : cur);
        if (alt == null) {
          dropped.putIfAbsent(e.id(), e);
        }
      }
    }
    return removed;
  }

  /**
   * Re-reads the index files (after a pack vanished under a reader: a prune may have repacked its
   * blobs) and adds the usable packs this index does not know yet. Packs dropped before stay dropped.
   *
   * @param ctx the repository
   * @return how many packs were added
   */
  public synchronized int reload(Ctx ctx) {
    Index fresh = loadUsable(ctx, false);
    int added = 0;
    for (Map.Entry<Id, List<PackEntry>> e : fresh.packs.entrySet()) {
      if (!packs.containsKey(e.getKey())) {
        addPack(e.getKey(), e.getValue());
        added++;
      }
    }
    for (Id id : new ArrayList<>(dropped.keySet())) {
      if (blobs.containsKey(id)) {
        dropped.remove(id);
      }
    }
    return added;
  }

  /**
   * The size a pack must have given its index entries: its blobs, its sealed header (whose length
   * follows from the number of blobs) and the 4-byte header length. Every writer indexes every blob
   * of a pack, so a pack of another size is truncated or damaged.
   *
   * @param crypto the crypto (sealing overhead)
   * @param entries all the pack's blobs
   * @return the expected size in bytes
   */
  public static long expectedPackSize(Crypto crypto, List<PackEntry> entries) {
    long data = 0;
    for (PackEntry e : entries) {
      data += e.length();
    }
    long header = 9L + entries.size() * (1L + Id.LENGTH + 8);
    return data + crypto.sealedLength(header) + 4;
  }

  /**
   * Adds the blobs of stored packs that no index file lists, read from their headers: a pack is
   * self-describing, so its data serves even when the index file that listed it is gone (a writer
   * that lost its lease, a prune paused past its lease that deleted an index file another prune
   * had just written again). Packs whose header cannot be read are left out.
   *
   * @param ctx the repository
   * @param stored every stored pack and its size
   * @param except packs not to add (those a prune is deleting)
   * @return the packs added
   */
  public List<Id> addUnindexed(Ctx ctx, Map<Id, Long> stored, Set<Id> except) {
    List<Id> added = new ArrayList<>();
    for (Map.Entry<Id, Long> e : stored.entrySet()) {
      if (packs.containsKey(e.getKey()) || except.contains(e.getKey())) {
        continue;
      }
      try {
        addPack(e.getKey(), readPackHeader(ctx.store(), ctx.crypto(), e.getKey(), e.getValue()));
        added.add(e.getKey());
      } catch (dev.drkit.core.DrException ex) {
        LOG.warn("ignoring unreadable unindexed pack {}: {}",
            Packs.key(e.getKey()), ex.getMessage());
      }
    }
    return added;
  }

  /**
   * Loads the index and keeps only what can serve: packs that exist with the size their entries
   * say, and, for a writer, none that an interrupted or running prune has scheduled for deletion.
   * Other copies of the blobs of a dropped pack serve instead; a backup never deduplicates
   * against a blob whose pack is gone. For a reader, stored packs no index file lists serve too
   * (from their headers); a writer indexes them itself ({@link BackupRun#recoverUnindexedPacks}).
   *
   * <p>A reader leaves a damaged index file out (a {@code WARN} event {@code index.damaged} and a
   * log line name it): index files are a cache of the pack headers, so the packs it listed serve
   * from their headers and a restore still gets every intact blob. A writer refuses it.
   *
   * @param ctx the repository
   * @param forWriting whether a backup will deduplicate against it (then doomed packs are dropped)
   * @return the index of usable packs
   * @throws IntegrityException naming a damaged index file (for a writer) or deletion record
   */
  public static Index loadUsable(Ctx ctx, boolean forWriting) {
    Index idx = forWriting ? load(ctx.store(), ctx.crypto()) : load(ctx.store(), ctx.crypto(), damaged -> {
      String message = damaged.getMessage() + "; the headers of its packs serve instead";
      LOG.warn("{}", message);
      ctx.event(DrEvent.Severity.WARN, "index.damaged", message, "error", String.valueOf(damaged));
    });
    Map<Id, Long> stored = new java.util.HashMap<>();
    for (BlobInfo info : ctx.store().list("packs/")) {
      Id id = Packs.idOfKey(info.key());
      if (id != null) {
        stored.put(id, info.size());
      }
    }
    List<Id> unusable = new ArrayList<>();
    for (Map.Entry<Id, List<PackEntry>> e : idx.packs.entrySet()) {
      Long size = stored.get(e.getKey());
      if (size == null || size != expectedPackSize(ctx.crypto(), e.getValue())) {
        unusable.add(e.getKey());
      }
    }
    if (forWriting) {
      unusable.addAll(Deletions.doomed(ctx));
    }
    idx.dropPacks(unusable);
    if (!forWriting) {
      idx.addUnindexed(ctx, stored, Set.of());
    }
    return idx;
  }

  /**
   * Loads every index file.
   *
   * @param store the repository's store, read under {@code index/}
   * @param crypto decrypts and authenticates the index files
   * @return the index
   * @throws IntegrityException naming a damaged index file
   */
  public static Index load(BlobStore store, Crypto crypto) {
    return load(store, crypto, null);
  }

  /**
   * Loads every index file, leaving damaged ones out when {@code damaged} is given.
   *
   * @param store the repository's store, read under {@code index/}
   * @param crypto decrypts and authenticates the index files
   * @param damaged told of each damaged index file, which is then left out whole; {@code null} to fail
   * @return the index
   * @throws IntegrityException naming a damaged index file when {@code damaged} is {@code null}
   */
  static Index load(BlobStore store, Crypto crypto, java.util.function.@Nullable Consumer<IntegrityException> damaged) {
    for (int attempt = 1; ; attempt++) {
      Index idx = new Index();
      try {
        for (BlobInfo info : store.list("index/")) {
          byte[] data = store.get(info.key());
          if (damaged == null) {
            idx.read(info.key(), data, crypto);
            continue;
          }
          Index one = new Index(); // a file damaged half-way adds nothing
          try {
            one.read(info.key(), data, crypto);
          } catch (IntegrityException e) {
            damaged.accept(e);
            continue;
          }
          idx.files.addAll(one.files);
          for (Map.Entry<Id, List<PackEntry>> e : one.packs.entrySet()) {
            idx.addPack(e.getKey(), e.getValue());
          }
        }
        return idx;
      } catch (dev.drkit.core.BlobNotFoundException e) {
        // a prune replaced index files between the listing and the read: list again
        if (attempt == 3) {
          throw new dev.drkit.core.StorageException("index files keep vanishing while being read (" + e.getMessage()
              + "); is a prune running without a lock?", e);
        }
      }
    }
  }


  /**
   * Adds one index file's content.
   *
   * @param key the file's key
   * @param data its bytes
   * @param crypto decrypts and authenticates {@code data}
   * @throws IntegrityException naming the file when damaged
   */
  public void read(String key, byte[] data, Crypto crypto) {
    if (!Crypto.sha256(data).hex().equals(key.substring(key.lastIndexOf('/') + 1))) {
      throw new IntegrityException("index file " + key + " does not match its name (damaged)");
    }
    byte[] plain = crypto.open(data, 0, data.length, AAD, "index file " + key);
    files.add(key);
    ByteBuffer b = ByteBuffer.wrap(plain);
    try {
      byte[] magic = new byte[4];
      b.get(magic);
      if (!Arrays.equals(magic, MAGIC) || b.get() != 1) {
        throw new IntegrityException("index file " + key + " has a bad magic or version");
      }
      int np = b.getInt();
      for (int p = 0; p < np; p++) {
        byte[] pid = new byte[Id.LENGTH];
        b.get(pid);
        Id packId = Id.of(pid);
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
          throw new IntegrityException("index file " + key + " has an impossible count");
        }
        List<PackEntry> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          byte type = b.get();
          byte[] id = new byte[Id.LENGTH];
          b.get(id);
          list.add(new PackEntry(packId, type, Id.of(id), b.getInt(), b.getInt(), b.getInt()));
        }
        addPack(packId, list);
      }
    } catch (BufferUnderflowException e) {
      throw new IntegrityException("index file " + key + " is truncated", e);
    } catch (IntegrityException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IntegrityException("index file " + key + " is malformed: " + e, e);
    }
  }

  /**
   * Writes one index file describing {@code packsToWrite}.
   *
   * @param store the repository's store, written under {@code index/}
   * @param crypto encrypts the index file
   * @param packsToWrite the packs and their blobs
   * @return the new file's key
   */
  public String write(BlobStore store, Crypto crypto, Map<Id, List<PackEntry>> packsToWrite) {
    int size = 9;
    for (List<PackEntry> l : packsToWrite.values()) {
      size += Id.LENGTH + 4 + l.size() * (1 + Id.LENGTH + 12);
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(MAGIC).put((byte) 1).putInt(packsToWrite.size());
    for (Map.Entry<Id, List<PackEntry>> e : packsToWrite.entrySet()) {
      e.getKey().writeTo(b);
      b.putInt(e.getValue().size());
      for (PackEntry pe : e.getValue()) {
        b.put(pe.type());
        pe.id().writeTo(b);
        b.putInt(pe.offset()).putInt(pe.length()).putInt(pe.rawLength());
      }
    }
    byte[] sealed = crypto.seal(b.array(), 0, b.position(), AAD);
    String key = "index/" + Crypto.sha256(sealed).hex();
    store.putIfAbsent(key, sealed);
    files.add(key);
    return key;
  }

  /**
   * Reads a pack's header straight from the store (for packs no index file mentions).
   *
   * @param store the repository's store, read with a ranged get
   * @param crypto decrypts and authenticates the header
   * @param packId the pack
   * @param size the pack's size
   * @return its blobs
   */
  public static List<PackEntry> readPackHeader(BlobStore store, Crypto crypto, Id packId, long size) {
    String key = Packs.key(packId);
    if (size < 4) {
      throw new IntegrityException("pack " + key + " is truncated");
    }
    byte[] len = store.getRange(key, size - 4, 4);
    int hlen = ByteBuffer.wrap(len).getInt();
    if (hlen < 0 || hlen > size - 4) {
      throw new IntegrityException("pack " + key + " has an impossible header length");
    }
    if (!crypto.encrypted()) {
      // no AEAD tag guards the header of an unencrypted pack: trust it only when the whole pack
      // still matches its name, or a damaged header could index wrong blobs for later deduplication
      byte[] whole = store.get(key);
      if (!Crypto.sha256(whole).equals(packId)) {
        throw new IntegrityException("pack " + key + " does not match its name (damaged)");
      }
      return Packs.parseHeader(crypto, packId, java.util.Arrays.copyOfRange(whole, (int) (size - 4 - hlen), whole.length),
          whole.length);
    }
    byte[] tail = store.getRange(key, size - 4 - hlen, hlen + 4);
    return Packs.parseHeader(crypto, packId, tail, size);
  }

  /** @param ids blob ids @return whether all are indexed */
  public boolean containsAll(Collection<Id> ids) {
    for (Id id : ids) {
      if (!blobs.containsKey(id)) {
        return false;
      }
    }
    return true;
  }
}
