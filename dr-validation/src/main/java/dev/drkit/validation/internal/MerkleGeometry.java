package dev.drkit.validation.internal;

/**
 * The shape of a digest tree as {@link dev.drkit.core.spi.RangeDigestSource} defines it: {@code 2^leafBits}
 * leaves, fan-out 16, {@code depth = ceil(leafBits / 4)} levels below the root.
 *
 * @param leafBits the number of leaf bits, 0-24
 */
public record MerkleGeometry(int leafBits) {
  /** The largest supported number of leaf bits. */
  public static final int MAX_LEAF_BITS = 24;

  /** Validates. */
  public MerkleGeometry {
    if (leafBits < 0 || leafBits > MAX_LEAF_BITS) {
      throw new IllegalArgumentException("leafBits must be 0-" + MAX_LEAF_BITS + " but was " + leafBits);
    }
  }

  /** @return the leaf level's number */
  public int depth() {
    return (leafBits + 3) / 4;
  }

  /**
   * @param level a level, 0 to depth
   * @return its number of nodes
   */
  public long levelSize(int level) {
    if (level < 0 || level > depth()) {
      throw new IllegalArgumentException("level must be 0-" + depth() + " but was " + level);
    }
    return 1L << Math.max(0, leafBits - 4 * (depth() - level));
  }

  /**
   * @param level a level below the leaves
   * @return how many children each of its nodes has
   */
  public int fanOut(int level) {
    return (int) (levelSize(level + 1) / levelSize(level));
  }

  /**
   * @param key a key's UTF-8 bytes
   * @return the leaf the key belongs to: the top {@code leafBits} bits of {@link #keyHash}
   */
  public long leafOf(byte[] key) {
    return leafBits == 0 ? 0 : keyHash(key) >>> (64 - leafBits);
  }

  /**
   * The 64-bit hash that places keys in leaves: FNV-1a 64 over the key's UTF-8 bytes, then the
   * SplitMix64 finalizer so that the top bits are well mixed. Not cryptographic: it only spreads
   * keys; the digests that detect differences are SHA-256.
   *
   * @param key a key's UTF-8 bytes
   * @return the hash
   */
  public static long keyHash(byte[] key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key) {
      h ^= b & 0xFF;
      h *= 0x100000001b3L;
    }
    h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
    h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  /**
   * @param level the tree level, 0 at the root
   * @param index a node of it
   * @return the first leaf under the node
   */
  public long firstLeaf(int level, long index) {
    return index * (levelSize(depth()) / levelSize(level));
  }

  /**
   * @param level the tree level, 0 at the root
   * @param index a node of it
   * @return the last leaf under the node
   */
  public long lastLeaf(int level, long index) {
    return firstLeaf(level, index + 1) - 1;
  }
}
