package dev.drkit.validation.integrity;

import dev.drkit.core.spi.RangeDigestSource;
import dev.drkit.core.spi.RangeDigestSource.KeyDigest;
import dev.drkit.core.spi.RangeDigestSource.Summary;
import dev.drkit.validation.integrity.ComparisonResult.Difference;
import dev.drkit.validation.integrity.ComparisonResult.Kind;
import dev.drkit.validation.integrity.ComparisonResult.Range;
import dev.drkit.validation.internal.DaemonThreads;
import dev.drkit.validation.internal.MerkleGeometry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares two {@link RangeDigestSource}s (primary and backup, or primary and a restored copy) by
 * descending their digest trees: both sides build their tree locally, then the comparator asks for
 * the root digests, and for the children of each node whose digests differ, level by level; at the
 * leaves it asks for the key digests of the differing leaves only and reports each differing key.
 * With {@code d} differing keys among {@code n} the exchange is about
 * {@code d * (16 * 32 * depth + entriesPerLeaf * (keySize + 34))} bytes per side, independent of
 * {@code n} beyond the depth.
 *
 * <p>Bytes exchanged are counted as on a wire: a 16-byte header per request, 8 bytes per node or
 * leaf index asked, 32 bytes per node digest, and per leaf entry its key's UTF-8 bytes plus 34.
 *
 * <p>Thread-safe; each call compares afresh. Comparisons in this process that share a side take
 * turns (a side's {@code prepare} replaces its tree), so one source may serve several checks.
 */
public final class MerkleComparator {
  private static final Logger LOG = LoggerFactory.getLogger(MerkleComparator.class);
  private static final Object TIE = new Object();

  private final int leafBits;
  private final int entriesPerLeaf;
  private final int maxLeafBits;
  private final int maxDifferences;
  private final int maxRanges;
  private final int batch;
  private final Consumer<String> progress;

  private MerkleComparator(Builder b) {
    this.leafBits = b.leafBits;
    this.entriesPerLeaf = b.entriesPerLeaf;
    this.maxLeafBits = b.maxLeafBits;
    this.maxDifferences = b.maxDifferences;
    this.maxRanges = b.maxRanges;
    this.batch = b.batch;
    this.progress = b.progress;
  }

  /** @return a comparator with the defaults of {@link Builder} */
  public static MerkleComparator ofDefaults() {
    return builder().build();
  }

  /** @return a builder */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * @param primary the primary side
   * @param backup the backup side (or restored copy)
   * @return what differs, and how much was exchanged to find it
   * @throws Exception when a side cannot be read
   */
  public ComparisonResult compare(RangeDigestSource primary, RangeDigestSource backup) throws Exception {
    Objects.requireNonNull(primary, "primary");
    Objects.requireNonNull(backup, "backup");
    // a prepare replaces a side's tree: comparisons sharing a side in this process take turns,
    // locking both sides in a fixed order so that A-vs-B and B-vs-A cannot deadlock
    Object first = primary;
    Object second = backup;
    int ha = System.identityHashCode(primary);
    int hb = System.identityHashCode(backup);
    if (ha > hb) {
      first = backup;
      second = primary;
    }
    if (ha == hb && primary != backup) {
      synchronized (TIE) {
        synchronized (first) {
          synchronized (second) {
            return compareLocked(primary, backup);
          }
        }
      }
    }
    synchronized (first) {
      synchronized (second) {
        return compareLocked(primary, backup);
      }
    }
  }

  private ComparisonResult compareLocked(RangeDigestSource primary, RangeDigestSource backup) throws Exception {
    long t0 = System.nanoTime();
    Wire wire = new Wire();
    int bits = leafBits;
    if (bits < 0) {
      long est = Math.max(wire.estimate(primary), wire.estimate(backup));
      bits = chooseLeafBits(est);
    }
    final int lb = bits;
    MerkleGeometry g = new MerkleGeometry(lb);
    progress.accept("preparing both sides with " + lb + " leaf bits");
    Future<Summary> pf = DaemonThreads.shared().submit(() -> wire.prepare(primary, lb));
    Summary bs;
    Summary ps;
    try {
      bs = wire.prepare(backup, lb);
      ps = pf.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } finally {
      pf.cancel(true);
    }
    List<Range> ranges = new ArrayList<>();
    List<Difference> diffs = new ArrayList<>();
    boolean truncated = false;
    long[] frontier = {0};
    if (Arrays.equals(wire.nodes(primary, 0, frontier).get(0), wire.nodes(backup, 0, frontier).get(0))) {
      frontier = new long[0];
    }
    int level = 0;
    while (frontier.length > 0 && level < g.depth()) {
      int fan = g.fanOut(level);
      if ((long) frontier.length * fan > maxRanges) {
        truncated = true;
        break;
      }
      long[] children = new long[frontier.length * fan];
      for (int i = 0; i < frontier.length; i++) {
        for (int c = 0; c < fan; c++) {
          children[i * fan + c] = frontier[i] * fan + c;
        }
      }
      long[] next = new long[children.length];
      int n = 0;
      for (int from = 0; from < children.length; from += batch) {
        long[] part = Arrays.copyOfRange(children, from, Math.min(children.length, from + batch));
        List<byte[]> a = wire.nodes(primary, level + 1, part);
        List<byte[]> b = wire.nodes(backup, level + 1, part);
        for (int i = 0; i < part.length; i++) {
          if (!Arrays.equals(a.get(i), b.get(i))) {
            next[n++] = part[i];
          }
        }
      }
      frontier = Arrays.copyOf(next, n);
      level++;
      progress.accept("level " + level + ": " + n + " differing node(s)");
    }
    for (long idx : frontier) {
      ranges.add(new Range(level, idx, g.firstLeaf(level, idx), g.lastLeaf(level, idx)));
    }
    if (!truncated && level == g.depth()) {
      for (int from = 0; from < frontier.length && !truncated; from += batch) {
        long[] part = Arrays.copyOfRange(frontier, from, Math.min(frontier.length, from + batch));
        Map<Long, List<KeyDigest>> a = wire.leaves(primary, part);
        Map<Long, List<KeyDigest>> b = wire.leaves(backup, part);
        for (long leaf : part) {
          diff(a.getOrDefault(leaf, List.of()), b.getOrDefault(leaf, List.of()), diffs);
        }
        if (diffs.size() >= maxDifferences) {
          truncated = from + batch < frontier.length || diffs.size() > maxDifferences;
        }
      }
    }
    diffs.sort(Comparator.comparing(Difference::key));
    if (diffs.size() > maxDifferences) {
      diffs = new ArrayList<>(diffs.subList(0, maxDifferences));
      truncated = true;
    }
    ComparisonResult r = new ComparisonResult(lb, ps, bs, ranges, diffs, truncated, wire.bytes.get(),
        wire.requests.get(), Duration.ofNanos(System.nanoTime() - t0));
    LOG.debug("compared {} vs {} entries with {} leaf bits: {} differing range(s), {} key(s), {} bytes in {} requests",
        ps.entries(), bs.entries(), lb, ranges.size(), diffs.size(), r.bytesExchanged(), r.roundTrips());
    return r;
  }

  private int chooseLeafBits(long estimatedEntries) {
    if (estimatedEntries <= 0) {
      return Math.min(maxLeafBits, 12);
    }
    double leaves = (double) estimatedEntries / entriesPerLeaf;
    int bits = leaves <= 1 ? 0 : (int) Math.ceil(Math.log(leaves) / Math.log(2));
    return Math.max(0, Math.min(maxLeafBits, bits));
  }

  private static void diff(List<KeyDigest> a, List<KeyDigest> b, List<Difference> out) {
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      int c = i >= a.size() ? 1 : j >= b.size() ? -1 : a.get(i).key().compareTo(b.get(j).key());
      if (c < 0) {
        out.add(new Difference(a.get(i++).key(), Kind.MISSING_ON_BACKUP));
      } else if (c > 0) {
        out.add(new Difference(b.get(j++).key(), Kind.MISSING_ON_PRIMARY));
      } else {
        if (!Arrays.equals(a.get(i).digest(), b.get(j).digest())) {
          out.add(new Difference(a.get(i).key(), Kind.CONTENT_DIFFERS));
        }
        i++;
        j++;
      }
    }
  }

  /** Counts what crosses the wire between the comparator and the two sides. */
  private static final class Wire {
    private static final int HEADER = 16;
    final AtomicLong bytes = new AtomicLong();
    final AtomicInteger requests = new AtomicInteger();

    private <T> T call(long requestBytes, Callable<T> c) throws Exception {
      requests.incrementAndGet();
      bytes.addAndGet(HEADER + requestBytes);
      return c.call();
    }

    long estimate(RangeDigestSource s) throws Exception {
      long e = call(0, s::estimatedEntries);
      bytes.addAndGet(HEADER + 8);
      return e;
    }

    Summary prepare(RangeDigestSource s, int leafBits) throws Exception {
      Summary r = Objects.requireNonNull(call(4, () -> s.prepare(leafBits)), "prepare returned null");
      bytes.addAndGet(HEADER + 16);
      return r;
    }

    List<byte[]> nodes(RangeDigestSource s, int level, long[] idx) throws Exception {
      List<byte[]> r = call(4 + 8L * idx.length, () -> s.nodeDigests(level, idx));
      if (r.size() != idx.length) {
        throw new IllegalStateException("a side answered " + r.size() + " digests for " + idx.length + " nodes");
      }
      bytes.addAndGet(HEADER + 32L * idx.length);
      return r;
    }

    Map<Long, List<KeyDigest>> leaves(RangeDigestSource s, long[] idx) throws Exception {
      Map<Long, List<KeyDigest>> r = call(8L * idx.length, () -> s.leafEntries(idx));
      long n = HEADER;
      for (List<KeyDigest> l : r.values()) {
        n += 12;
        for (KeyDigest k : l) {
          n += k.key().getBytes(StandardCharsets.UTF_8).length + 34;
        }
      }
      bytes.addAndGet(n);
      return r;
    }
  }

  /** Builds a {@link MerkleComparator}; not thread-safe. */
  public static final class Builder {
    private int leafBits = -1;
    private int entriesPerLeaf = 32;
    private int maxLeafBits = 20;
    private int maxDifferences = 1000;
    private int maxRanges = 1 << 16;
    private int batch = 4096;
    private Consumer<String> progress = s -> {};

    private Builder() {}

    /**
     * @param leafBits a fixed geometry, 0-24; by default it is chosen from the sides' estimated
     *     entries so that a leaf holds about {@link #entriesPerLeaf(int)} entries
     * @return this builder
     */
    public Builder leafBits(int leafBits) {
      new MerkleGeometry(leafBits);
      this.leafBits = leafBits;
      return this;
    }

    /**
     * @param n the target number of entries per leaf (default 32): fewer means more digests
     *     exchanged on the way down, more means more key digests exchanged per differing leaf
     * @return this builder
     */
    public Builder entriesPerLeaf(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("entriesPerLeaf must be positive but was " + n);
      }
      this.entriesPerLeaf = n;
      return this;
    }

    /**
     * @param bits caps the chosen geometry (default 20: 32 MiB of leaf digests per side)
     * @return this builder
     */
    public Builder maxLeafBits(int bits) {
      new MerkleGeometry(bits);
      this.maxLeafBits = bits;
      return this;
    }

    /**
     * @param n the most differing keys reported (default 1000); the result says when truncated
     * @return this builder
     */
    public Builder maxDifferences(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxDifferences must be positive but was " + n);
      }
      this.maxDifferences = n;
      return this;
    }

    /**
     * @param n the most nodes examined on one level (default 65536); when the sides differ more
     *     widely the comparison stops and reports the coarser differing ranges
     * @return this builder
     */
    public Builder maxRanges(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxRanges must be positive but was " + n);
      }
      this.maxRanges = n;
      return this;
    }

    /**
     * @param progress receives a line per phase of the comparison
     * @return this builder
     */
    public Builder progress(Consumer<String> progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /** @return the comparator */
    public MerkleComparator build() {
      return new MerkleComparator(this);
    }
  }
}
