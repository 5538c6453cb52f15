package dev.drkit.benchmarks.validation;

import dev.drkit.validation.integrity.ComparisonResult;
import dev.drkit.validation.integrity.EntrySource;
import dev.drkit.validation.integrity.MerkleComparator;
import dev.drkit.validation.integrity.MerkleIndex;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares two generated data sets of {@code n} keys (default 10 million) that differ in 10 keys
 * (6 changed values, 2 keys missing on the backup, 2 extra on the backup) and reports the keys
 * found, the bytes exchanged between the sides and the fraction of the data size that is. The
 * data are generated on the fly (key {@code key-<i>}, a 64-byte value derived from {@code i}), so
 * memory stays at the two digest trees (16 MiB each at 10 million keys).
 *
 * <p>Run: {@code java -Xmx1g -cp benchmarks/target/benchmarks.jar
 * dev.drkit.benchmarks.validation.IntegrityComparisonMain [n]}
 */
public final class IntegrityComparisonMain {
  private IntegrityComparisonMain() {}

  /** A generated data set, optionally with differences. */
  static final class Generated implements EntrySource {
    private final long n;
    private final Map<Long, Integer> changes;
    private final long[] extra;

    Generated(long n, Map<Long, Integer> changes, long[] extra) {
      this.n = n;
      this.changes = changes;
      this.extra = extra;
    }

    static byte[] value(long i, int salt) {
      ByteBuffer b = ByteBuffer.allocate(64);
      long x = i * 0x9E3779B97F4A7C15L + salt;
      for (int k = 0; k < 8; k++) {
        x += 0x9E3779B97F4A7C15L;
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        b.putLong(z ^ (z >>> 31));
      }
      return b.array();
    }

    @Override
    public void forEach(EntryVisitor visitor) throws Exception {
      for (long i = 0; i < n; i++) {
        Integer c = changes.get(i);
        if (c != null && c < 0) {
          continue; // deleted on this side
        }
        long id = i;
        int salt = c == null ? 0 : c;
        visitor.visit("key-" + i, 64, () -> value(id, salt));
      }
      for (long e : extra) {
        visitor.visit("key-" + e, 64, () -> value(e, 0));
      }
    }

    @Override
    public long estimatedEntries() {
      return n;
    }
  }

  /**
   * @param args optional number of keys
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    long n = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
    Map<Long, Integer> changes = new TreeMap<>();
    for (long k : new long[] {7, n / 9, n / 3, n / 2 + 1, n - 5, (n * 7) / 8}) {
      changes.put(k, 1); // changed value on the backup
    }
    changes.put(n / 4, -1); // missing on the backup
    changes.put(n / 5 + 3, -1);
    long[] extra = {n + 1, n + 2}; // only on the backup
    EntrySource primary = new Generated(n, Map.of(), new long[0]);
    EntrySource backup = new Generated(n, changes, extra);
    long t0 = System.nanoTime();
    ComparisonResult r = MerkleComparator.builder().progress(s -> System.out.println("  " + s)).build()
        .compare(new MerkleIndex(primary), new MerkleIndex(backup));
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "keys: %d vs %d, leaf bits %d, %.1f s%n", r.primary().entries(),
        r.backup().entries(), r.leafBits(), secs);
    System.out.println("differences (" + r.differences().size() + "): " + r.differences());
    System.out.println("differing ranges: " + r.ranges().size());
    System.out.printf(Locale.ROOT, "bytes exchanged: %d in %d requests; data size %d bytes; fraction %.6f%%%n",
        r.bytesExchanged(), r.roundTrips(), Math.max(r.primary().dataBytes(), r.backup().dataBytes()),
        100 * r.fractionExchanged());
    boolean ok = r.differences().size() == 10 && !r.truncated() && r.fractionExchanged() < 0.01;
    System.out.println(ok ? "OK: all 10 differing keys found, under 1% exchanged" : "FAILED");
    if (!ok) {
      System.exit(1);
    }
  }
}
