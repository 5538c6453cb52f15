package dev.drkit.validation.integrity;

import dev.drkit.core.spi.RangeDigestSource;
import dev.drkit.validation.internal.MerkleGeometry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RangeDigestSource} over an {@link EntrySource}: {@link #prepare(int)} scans the entries
 * once and keeps the digest tree in memory ({@code 2^leafBits * 32} bytes for the leaves plus
 * about a fifteenth more for the inner nodes); {@link #leafEntries} scans again and computes entry
 * digests only for the keys of the asked leaves. Put one on each site and forward the
 * {@link RangeDigestSource} calls to it to compare across a network.
 *
 * <p>Thread-safe: a prepared tree is immutable and replaced atomically by the next prepare.
 */
public final class MerkleIndex implements RangeDigestSource {
  private final EntrySource source;
  private volatile @Nullable Tree tree;

  /** @param source the data of this side */
  public MerkleIndex(EntrySource source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  /** A prepared tree: every level's node digests, 32 bytes each. */
  private record Tree(MerkleGeometry geometry, byte[][] levels) {}

  @Override
  public long estimatedEntries() throws Exception {
    return source.estimatedEntries();
  }

  @Override
  public Summary prepare(int leafBits) throws Exception {
    MerkleGeometry g = new MerkleGeometry(leafBits);
    long leaves = g.levelSize(g.depth());
    long[] lanes = new long[Math.toIntExact(leaves * 4)];
    MessageDigest sha = sha256();
    long[] counts = new long[2];
    source.forEach((key, size, fp) -> {
      byte[] k = key.getBytes(StandardCharsets.UTF_8);
      long leaf = g.leafOf(k);
      byte[] d = entryDigest(sha, k, fp.get());
      ByteBuffer bb = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
      int base = (int) (leaf * 4);
      for (int i = 0; i < 4; i++) {
        lanes[base + i] += bb.getLong(i * 8);
      }
      counts[0]++;
      counts[1] += k.length + Math.max(0, size);
    });
    byte[][] levels = new byte[g.depth() + 1][];
    byte[] leafBytes = new byte[Math.toIntExact(leaves * 32)];
    ByteBuffer out = ByteBuffer.wrap(leafBytes).order(ByteOrder.LITTLE_ENDIAN);
    for (long lane : lanes) {
      out.putLong(lane);
    }
    levels[g.depth()] = leafBytes;
    for (int l = g.depth() - 1; l >= 0; l--) {
      int size = (int) g.levelSize(l);
      int fan = g.fanOut(l);
      byte[] children = levels[l + 1];
      byte[] nodes = new byte[size * 32];
      for (int i = 0; i < size; i++) {
        sha.update(children, i * fan * 32, fan * 32);
        System.arraycopy(sha.digest(), 0, nodes, i * 32, 32);
      }
      levels[l] = nodes;
    }
    tree = new Tree(g, levels);
    return new Summary(counts[0], counts[1]);
  }

  @Override
  public List<byte[]> nodeDigests(int level, long[] indices) {
    Tree t = prepared();
    byte[] nodes = t.levels()[checkLevel(t, level)];
    List<byte[]> out = new ArrayList<>(indices.length);
    long size = t.geometry().levelSize(level);
    for (long i : indices) {
      if (i < 0 || i >= size) {
        throw new IllegalArgumentException("level " + level + " has nodes 0-" + (size - 1) + ", not " + i);
      }
      byte[] d = new byte[32];
      System.arraycopy(nodes, (int) i * 32, d, 0, 32);
      out.add(d);
    }
    return out;
  }

  @Override
  public Map<Long, List<KeyDigest>> leafEntries(long[] leafIndices) throws Exception {
    Tree t = prepared();
    MerkleGeometry g = t.geometry();
    Set<Long> wanted = new HashSet<>();
    Map<Long, List<KeyDigest>> out = new HashMap<>();
    for (long i : leafIndices) {
      if (i < 0 || i >= g.levelSize(g.depth())) {
        throw new IllegalArgumentException("there are leaves 0-" + (g.levelSize(g.depth()) - 1) + ", not " + i);
      }
      wanted.add(i);
      out.put(i, new ArrayList<>());
    }
    MessageDigest sha = sha256();
    source.forEach((key, size, fp) -> {
      byte[] k = key.getBytes(StandardCharsets.UTF_8);
      long leaf = g.leafOf(k);
      if (wanted.contains(leaf)) {
        // out has a list for every wanted leaf
        Objects.requireNonNull(out.get(leaf)).add(new KeyDigest(key, entryDigest(sha, k, fp.get())));
      }
    });
    for (List<KeyDigest> l : out.values()) {
      l.sort(Comparator.comparing(KeyDigest::key));
    }
    return out;
  }

  private Tree prepared() {
    Tree t = tree;
    if (t == null) {
      throw new IllegalStateException("prepare(leafBits) must be called first");
    }
    return t;
  }

  private static int checkLevel(Tree t, int level) {
    if (level < 0 || level > t.geometry().depth()) {
      throw new IllegalArgumentException("the tree has levels 0-" + t.geometry().depth() + ", not " + level);
    }
    return level;
  }

  /**
   * @param sha a SHA-256 digest to use
   * @param key the key's UTF-8 bytes
   * @param fingerprint the value's fingerprint
   * @return the entry's digest: SHA-256(key || 0x00 || fingerprint)
   */
  static byte[] entryDigest(MessageDigest sha, byte[] key, byte[] fingerprint) {
    sha.update(key);
    sha.update((byte) 0);
    sha.update(fingerprint);
    return sha.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
