package dev.drkit.validation.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.validation.integrity.ComparisonResult.Difference;
import dev.drkit.validation.integrity.ComparisonResult.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MerkleComparatorTest {

  private static Map<String, byte[]> dataset(int n, long seed) {
    Random rnd = new Random(seed);
    Map<String, byte[]> m = new HashMap<>();
    for (int i = 0; i < n; i++) {
      byte[] v = new byte[100 + rnd.nextInt(200)]; // the size of a typical row
      rnd.nextBytes(v);
      m.put("order-" + i, v);
    }
    return m;
  }

  private static ComparisonResult compare(Map<String, byte[]> a, Map<String, byte[]> b) throws Exception {
    return MerkleComparator.ofDefaults().compare(new MerkleIndex(new MapEntrySource(a)),
        new MerkleIndex(new MapEntrySource(b)));
  }

  @Test
  void identicalSidesExchangeOnlyTheRootDigests() throws Exception {
    Map<String, byte[]> a = dataset(20_000, 1);
    ComparisonResult r = compare(a, new HashMap<>(a));
    assertThat(r.identical()).isTrue();
    assertThat(r.differences()).isEmpty();
    assertThat(r.primary().entries()).isEqualTo(20_000);
    assertThat(r.bytesExchanged()).isLessThan(400);
  }

  @Test
  void findsExactlyTheFewDifferingKeys() throws Exception {
    Map<String, byte[]> primary = dataset(50_000, 2);
    Map<String, byte[]> backup = new HashMap<>(primary);
    backup.put("order-17", "changed".getBytes(StandardCharsets.UTF_8));
    backup.put("order-40000", new byte[0]);
    byte[] flipped = backup.get("order-123").clone();
    flipped[3] ^= 0x10;
    backup.put("order-123", flipped);
    backup.remove("order-999");
    backup.remove("order-49999");
    backup.put("order-extra", new byte[] {1});
    ComparisonResult r = compare(primary, backup);
    assertThat(r.identical()).isFalse();
    assertThat(r.truncated()).isFalse();
    assertThat(r.differences()).containsExactly(
        new Difference("order-123", Kind.CONTENT_DIFFERS),
        new Difference("order-17", Kind.CONTENT_DIFFERS),
        new Difference("order-40000", Kind.CONTENT_DIFFERS),
        new Difference("order-49999", Kind.MISSING_ON_BACKUP),
        new Difference("order-999", Kind.MISSING_ON_BACKUP),
        new Difference("order-extra", Kind.MISSING_ON_PRIMARY));
    assertThat(r.ranges()).hasSizeBetween(1, 6);
    assertThat(r.fractionExchanged()).as("bytes exchanged vs data size").isLessThan(0.01);
  }

  @Test
  void differencesMatchAFullComparisonOnRandomDataSets() throws Exception {
    int runs = Integer.getInteger("drkit.test.runs", 30);
    Random rnd = new Random(20261124);
    for (int run = 0; run < runs; run++) {
      int n = rnd.nextInt(3_000);
      Map<String, byte[]> a = dataset(n, rnd.nextLong());
      Map<String, byte[]> b = new HashMap<>(a);
      int changes = rnd.nextInt(12);
      for (int c = 0; c < changes; c++) {
        String key = "order-" + rnd.nextInt(n + 50);
        switch (rnd.nextInt(3)) {
          case 0 -> b.remove(key);
          case 1 -> a.remove(key);
          default -> b.put(key, new byte[] {(byte) rnd.nextInt()});
        }
      }
      List<Difference> expected = new ArrayList<>();
      TreeMap<String, Boolean> keys = new TreeMap<>();
      a.keySet().forEach(k -> keys.put(k, true));
      b.keySet().forEach(k -> keys.put(k, true));
      for (String k : keys.keySet()) {
        if (!b.containsKey(k)) {
          expected.add(new Difference(k, Kind.MISSING_ON_BACKUP));
        } else if (!a.containsKey(k)) {
          expected.add(new Difference(k, Kind.MISSING_ON_PRIMARY));
        } else if (!java.util.Arrays.equals(a.get(k), b.get(k))) {
          expected.add(new Difference(k, Kind.CONTENT_DIFFERS));
        }
      }
      ComparisonResult r = compare(a, b);
      assertThat(r.differences()).as("run %d (%d keys, %d changes)", run, n, changes).isEqualTo(expected);
      assertThat(r.identical()).isEqualTo(expected.isEmpty());
    }
  }

  @Test
  void stopsAndReportsCoarseRangesWhenTheSidesDifferEverywhere() throws Exception {
    Map<String, byte[]> a = dataset(20_000, 3);
    ComparisonResult r = MerkleComparator.builder().maxRanges(64).build()
        .compare(new MerkleIndex(new MapEntrySource(a)), new MerkleIndex(new MapEntrySource(Map.of())));
    assertThat(r.identical()).isFalse();
    assertThat(r.truncated()).isTrue();
    assertThat(r.ranges()).isNotEmpty().allMatch(x -> x.level() < 3);
    ComparisonResult capped = MerkleComparator.builder().maxDifferences(10).build()
        .compare(new MerkleIndex(new MapEntrySource(a)), new MerkleIndex(new MapEntrySource(Map.of())));
    assertThat(capped.truncated()).isTrue();
    assertThat(capped.differences()).hasSize(10).allMatch(d -> d.kind() == Kind.MISSING_ON_BACKUP);
  }

  @Test
  void worksForEveryGeometryIncludingASingleLeaf() throws Exception {
    Map<String, byte[]> a = dataset(500, 4);
    Map<String, byte[]> b = new HashMap<>(a);
    b.put("order-5", new byte[] {9});
    for (int bits : new int[] {0, 1, 3, 4, 5, 9, 13}) {
      ComparisonResult r = MerkleComparator.builder().leafBits(bits).build()
          .compare(new MerkleIndex(new MapEntrySource(a)), new MerkleIndex(new MapEntrySource(b)));
      assertThat(r.leafBits()).isEqualTo(bits);
      assertThat(r.differences()).as("leafBits %d", bits).containsExactly(new Difference("order-5", Kind.CONTENT_DIFFERS));
      assertThat(r.ranges()).hasSize(1);
    }
  }

  @Test
  void indexRefusesQueriesBeforePrepareAndOutOfRange() throws Exception {
    MerkleIndex idx = new MerkleIndex(new MapEntrySource(dataset(10, 5)));
    assertThatThrownBy(() -> idx.nodeDigests(0, new long[] {0})).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("prepare");
    idx.prepare(4);
    assertThatThrownBy(() -> idx.nodeDigests(1, new long[] {16})).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> idx.nodeDigests(2, new long[] {0})).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> idx.prepare(25)).isInstanceOf(IllegalArgumentException.class);
  }
}
