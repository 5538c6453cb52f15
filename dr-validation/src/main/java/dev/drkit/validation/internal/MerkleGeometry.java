package dev.drkit.validation.internal;

/**
 * The shape of a digest tree as {@link dev.drkit.spi.RangeDigestSource} defines it: {@code 2^leafBits}
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
   * @param keyHash the SHA-256 of a key's UTF-8 bytes
   * @return the leaf the key belongs to: the hash's top {@code leafBits} bits
   */
  public long leafOf(byte[] keyHash) {
    if (leafBits == 0) {
      return 0;
    }
    long top = 0;
    for (int i = 0; i < 8; i++) {
      top = (top << 8) | (keyHash[i] & 0xFF);
    }
    return top >>> (64 - leafBits);
  }

  /**
   * @param level a level
   * @param index a node of it
   * @return the first leaf under the node
   */
  public long firstLeaf(int level, long index) {
    return index * (levelSize(depth()) / levelSize(level));
  }

  /**
   * @param level a level
   * @param index a node of it
   * @return the last leaf under the node
   */
  public long lastLeaf(int level, long index) {
    return firstLeaf(level, index + 1) - 1;
  }
}
