package dev.drkit.validation.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.RangeDigestSource;
import dev.drkit.core.spi.RangeDigestSource.KeyDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RangeDigestSource} must do, whatever stores the data. Each implementation's
 * test extends this and supplies two sides: the same data set and one differing in known keys.
 */
abstract class RangeDigestSourceContract {

  /** @return a side over the base data set */
  abstract RangeDigestSource base() throws Exception;

  /** @return another, independently built side over the same data set */
  abstract RangeDigestSource sameAsBase() throws Exception;

  /** @return a side whose entries differ from the base in exactly {@link #changedKeys()} */
  abstract RangeDigestSource changed() throws Exception;

  /** @return the keys in which {@link #changed()} differs from {@link #base()}, sorted */
  abstract List<String> changedKeys();

  @Test
  void summaryCountsTheEntriesAndTheirSize() throws Exception {
    RangeDigestSource s = base();
    RangeDigestSource.Summary sum = s.prepare(6);
    assertThat(sum.entries()).isPositive();
    assertThat(sum.dataBytes()).isGreaterThan(sum.entries());
    long est = s.estimatedEntries();
    assertThat(est == -1 || est == sum.entries()).isTrue();
  }

  @Test
  void sameDataGivesTheSameDigestsAtEveryLevel() throws Exception {
    RangeDigestSource a = base();
    RangeDigestSource b = sameAsBase();
    a.prepare(7);
    b.prepare(7);
    // depth 2: root, 8 nodes, 128 leaves
    for (int level = 0; level <= 2; level++) {
      long size = level == 0 ? 1 : level == 1 ? 8 : 128;
      long[] idx = new long[(int) size];
      for (int i = 0; i < size; i++) {
        idx[i] = i;
      }
      List<byte[]> da = a.nodeDigests(level, idx);
      List<byte[]> db = b.nodeDigests(level, idx);
      for (int i = 0; i < size; i++) {
        assertThat(da.get(i)).hasSize(32).isEqualTo(db.get(i));
      }
    }
  }

  @Test
  void innerNodeIsTheHashOfItsChildren() throws Exception {
    RangeDigestSource a = base();
    a.prepare(5); // depth 2: root with 2 children, each with 16 leaves
    byte[] root = a.nodeDigests(0, new long[] {0}).get(0);
    List<byte[]> children = a.nodeDigests(1, new long[] {0, 1});
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    children.forEach(sha::update);
    assertThat(root).isEqualTo(sha.digest());
  }

  @Test
  void leafEntriesAreSortedAndCoverEveryEntryExactlyOnce() throws Exception {
    RangeDigestSource a = base();
    RangeDigestSource.Summary sum = a.prepare(3);
    long[] leaves = {0, 1, 2, 3, 4, 5, 6, 7};
    Map<Long, List<KeyDigest>> entries = a.leafEntries(leaves);
    assertThat(entries).containsOnlyKeys(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    long total = 0;
    for (List<KeyDigest> l : entries.values()) {
      List<String> keys = l.stream().map(KeyDigest::key).toList();
      assertThat(keys).isSorted();
      total += l.size();
    }
    assertThat(total).isEqualTo(sum.entries());
  }

  @Test
  void comparatorFindsExactlyTheChangedKeys() throws Exception {
    ComparisonResult r = MerkleComparator.ofDefaults().compare(base(), changed());
    assertThat(r.differences().stream().map(ComparisonResult.Difference::key).toList()).isEqualTo(changedKeys());
    assertThat(MerkleComparator.ofDefaults().compare(base(), sameAsBase()).identical()).isTrue();
  }

  /** Contract over in-memory entries. */
  static final class MapSourceTest extends RangeDigestSourceContract {
    private static Map<String, byte[]> data() {
      Map<String, byte[]> m = new TreeMap<>();
      for (int i = 0; i < 3_000; i++) {
        m.put("k" + i, ("value-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return m;
    }

    @Override
    RangeDigestSource base() {
      return new MerkleIndex(new MapEntrySource(data()));
    }

    @Override
    RangeDigestSource sameAsBase() {
      return new MerkleIndex(new MapEntrySource(new TreeMap<>(data())));
    }

    @Override
    RangeDigestSource changed() {
      Map<String, byte[]> m = data();
      m.put("k10", new byte[] {1});
      m.remove("k2000");
      m.put("zz-new", new byte[] {2});
      return new MerkleIndex(new MapEntrySource(m));
    }

    @Override
    List<String> changedKeys() {
      List<String> keys = new ArrayList<>(Arrays.asList("k10", "k2000", "zz-new"));
      keys.sort(null);
      return keys;
    }
  }
}
