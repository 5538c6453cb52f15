package dev.drkit.core.spi;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One side (primary, backup or a restored copy) of a data-integrity comparison, exposing digests of
 * its data by range so that two sides compare by exchanging only the ranges that differ.
 *
 * <p><b>Geometry.</b> Every entry has a string key. Its <em>leaf</em> is the top {@code leafBits}
 * bits of a 64-bit hash of the key's UTF-8 bytes (FNV-1a 64 followed by the SplitMix64 finalizer
 * {@code h ^= h >>> 30; h *= 0xbf58476d1ce4e5b9; h ^= h >>> 27; h *= 0x94d049bb133111eb; h ^= h >>> 31}),
 * so both sides place a key in the same leaf whatever their key order. The tree has {@code depth = ceil(leafBits / 4)} levels below the root (fan-out
 * 16; the root's fan-out is smaller when {@code leafBits} is not a multiple of 4). Level
 * {@code depth} holds the {@code 2^leafBits} leaves; level {@code l < depth} holds
 * {@code 2^max(0, leafBits - 4 * (depth - l))} nodes, node {@code i} covering the nodes
 * {@code i * f .. i * f + f - 1} of level {@code l + 1} where {@code f} is the ratio of the two
 * levels' sizes. Level 0 is the single root.
 *
 * <p><b>Digests.</b> An entry's digest is SHA-256(key UTF-8 || 0x00 || value fingerprint), where
 * the fingerprint is any byte string that changes when the value changes (the value itself, or its
 * hash). A leaf's digest is the 32-byte lane-wise sum (four little-endian 64-bit lanes, modulo
 * 2^64) of its entries' digests, so it does not depend on the order in
 * which entries are visited; an empty leaf is 32 zero bytes. An inner node's digest is the SHA-256
 * of its children's digests concatenated in index order.
 *
 * <p>dr-validation's {@code MerkleIndex} implements this from a stream of entries and ships adapters
 * for a directory tree and a JDBC table; a host exposing a remote side implements it by forwarding
 * these calls to a {@code MerkleIndex} on the other site.
 *
 * <p>Contract: thread-safe; {@link #prepare(int)} is called before the other methods and may be
 * called again (with the same or another {@code leafBits}) to take a fresh snapshot.
 */
public interface RangeDigestSource {

  /**
   * @return an estimate of the number of entries (used to size the tree), or {@code -1} when unknown
   * @throws Exception when the data cannot be reached
   */
  long estimatedEntries() throws Exception;

  /**
   * Scans this side once and builds its digest tree.
   *
   * @param leafBits the number of leaf bits, {@code 0..24}
   * @return what was scanned
   * @throws Exception when the data cannot be read
   */
  Summary prepare(int leafBits) throws Exception;

  /**
   * @param level a level, {@code 0} (root) to {@code depth} (leaves)
   * @param indices node indices within the level
   * @return the 32-byte digest of each node, in the order asked
   * @throws Exception when not prepared or the data cannot be read
   */
  List<byte[]> nodeDigests(int level, long[] indices) throws Exception;

  /**
   * @param leafIndices leaf indices
   * @return for each asked leaf, its entries (key and entry digest) sorted by key; a leaf without
   *     entries maps to an empty list
   * @throws Exception when not prepared or the data cannot be read
   */
  Map<Long, List<KeyDigest>> leafEntries(long[] leafIndices) throws Exception;

  /**
   * What a side scanned.
   *
   * @param entries the number of entries
   * @param dataBytes the logical size of the data: the sum of key and value sizes
   */
  record Summary(long entries, long dataBytes) {
    /** Validates. */
    public Summary {
      if (entries < 0 || dataBytes < 0) {
        throw new IllegalArgumentException("entries and dataBytes must not be negative");
      }
    }
  }

  /**
   * One entry's key and digest.
   *
   * @param key the entry's key in the source
   * @param digest the entry's 32-byte digest
   */
  record KeyDigest(String key, byte[] digest) {
    /** Validates and copies. */
    public KeyDigest {
      Objects.requireNonNull(key, "key");
      digest = Objects.requireNonNull(digest, "digest").clone();
    }

    /** @return a copy of the digest */
    @Override
    public byte[] digest() {
      return digest.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof KeyDigest k && key.equals(k.key) && Arrays.equals(digest, k.digest);
    }

    @Override
    public int hashCode() {
      return key.hashCode() * 31 + Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
      return "KeyDigest[" + key + "]";
    }
  }
}
