package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The compatibility kit every {@link BlobStore} implementation must pass: extend it, implement
 * {@link #createStore()} to return a fresh, empty store, and run it. It checks compare-and-set
 * semantics under a many-thread race, atomic replacement seen by concurrent readers, ranges (read
 * and written), sorted prefix listing, deletion, key validation, missing keys and large blobs.
 */
public abstract class BlobStoreContract {
  /** For subclasses, one per implementation under test. */
  protected BlobStoreContract() {}

  /** The store under test, fresh for each test. */
  protected BlobStore store;

  /**
   * @return a new, empty store
   * @throws Exception when it cannot be created
   */
  protected abstract BlobStore createStore() throws Exception;

  /** @return how large the "large blob" test's blob is; stores with costly I/O may lower it */
  protected int largeBlobSize() {
    return 48 << 20;
  }

  @BeforeEach
  void setUpStore() throws Exception {
    store = createStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putIfAbsentStoresNewBlobAndGetReturnsIt() {
    assertThat(store.putIfAbsent("a/b", bytes("hello"))).isTrue();
    assertThat(store.get("a/b")).isEqualTo(bytes("hello"));
    assertThat(store.stat("a/b")).contains(new BlobInfo("a/b", 5));
  }

  @Test
  void putIfAbsentLeavesExistingBlobUntouched() {
    store.putIfAbsent("k", bytes("first"));
    assertThat(store.putIfAbsent("k", bytes("second"))).isFalse();
    assertThat(store.get("k")).isEqualTo(bytes("first"));
  }

  @Test
  void putReplacesExistingBlob() {
    store.put("k", bytes("one"));
    store.put("k", bytes("two, longer"));
    assertThat(store.get("k")).isEqualTo(bytes("two, longer"));
    store.put("k", bytes("3"));
    assertThat(store.get("k")).isEqualTo(bytes("3"));
  }

  @Test
  void storesEmptyBlob() {
    assertThat(store.putIfAbsent("empty", new byte[0])).isTrue();
    assertThat(store.get("empty")).isEmpty();
    assertThat(store.stat("empty")).contains(new BlobInfo("empty", 0));
    assertThat(store.getRange("empty", 0, 0)).isEmpty();
  }

  @Test
  void doesNotRetainCallersArrays() {
    byte[] in = bytes("abc");
    store.put("k", in);
    in[0] = 'X';
    byte[] out = store.get("k");
    out[1] = 'Y';
    assertThat(store.get("k")).isEqualTo(bytes("abc"));
  }

  @Test
  void exactlyOneOfManyConcurrentPutIfAbsentWins() throws Exception {
    int threads = 16;
    for (int round = 0; round < 20; round++) {
      String key = "race/key-" + round;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          byte[] content = new byte[1000 + t];
          Arrays.fill(content, (byte) t);
          results.add(pool.submit(() -> {
            start.await();
            return store.putIfAbsent(key, content);
          }));
        }
        start.countDown();
        int winners = 0;
        int winner = -1;
        for (int t = 0; t < threads; t++) {
          if (results.get(t).get(30, TimeUnit.SECONDS)) {
            winners++;
            winner = t;
          }
        }
        assertThat(winners).as("winners of round %d", round).isEqualTo(1);
        byte[] stored = store.get(key);
        byte[] expected = new byte[1000 + winner];
        Arrays.fill(expected, (byte) winner);
        assertThat(stored).isEqualTo(expected);
      } finally {
        pool.shutdownNow();
      }
    }
    assertThat(store.list("race/")).hasSize(20);
  }

  @Test
  void concurrentReadersSeeOnlyWholeVersionsDuringReplacement() throws Exception {
    byte[] a = new byte[256 * 1024];
    byte[] b = new byte[512 * 1024 + 7];
    Arrays.fill(a, (byte) 'a');
    Arrays.fill(b, (byte) 'b');
    store.put("swap", a);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Callable<Void> reader = () -> {
        while (!stop.get()) {
          byte[] got = store.get("swap");
          if (!Arrays.equals(got, a) && !Arrays.equals(got, b)) {
            throw new AssertionError("torn read of " + got.length + " bytes");
          }
          reads.incrementAndGet();
        }
        return null;
      };
      Future<Void> r1 = pool.submit(reader);
      Future<Void> r2 = pool.submit(reader);
      for (int i = 0; i < 60; i++) {
        store.put("swap", i % 2 == 0 ? b : a);
      }
      stop.set(true);
      r1.get(30, TimeUnit.SECONDS);
      r2.get(30, TimeUnit.SECONDS);
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    assertThat(reads.get()).isPositive();
    assertThat(store.get("swap")).isEqualTo(a);
  }

  @Test
  void getRangeReturnsExactBytes() {
    byte[] content = new byte[10_000];
    new Random(1).nextBytes(content);
    store.put("r", content);
    assertThat(store.getRange("r", 0, 10)).isEqualTo(Arrays.copyOfRange(content, 0, 10));
    assertThat(store.getRange("r", 1234, 4321)).isEqualTo(Arrays.copyOfRange(content, 1234, 1234 + 4321));
    assertThat(store.getRange("r", 9_990, 10)).isEqualTo(Arrays.copyOfRange(content, 9_990, 10_000));
    assertThat(store.getRange("r", 10_000, 0)).isEmpty();
  }

  @Test
  void getRangeIntoABufferWritesExactlyThoseBytesThere() {
    byte[] content = new byte[10_000];
    new Random(2).nextBytes(content);
    store.put("r", content);
    byte[] into = new byte[5_000];
    Arrays.fill(into, (byte) 0x5a);
    store.getRange("r", 1234, 4321, into, 7);
    assertThat(Arrays.copyOfRange(into, 7, 7 + 4321)).isEqualTo(Arrays.copyOfRange(content, 1234, 1234 + 4321));
    assertThat(into[6]).isEqualTo((byte) 0x5a);
    assertThat(into[7 + 4321]).isEqualTo((byte) 0x5a);
    assertThatThrownBy(() -> store.getRange("r", 9_990, 11, into, 0)).isInstanceOf(StorageException.class);
    assertThatThrownBy(() -> store.getRange("r", 0, 10, into, 4_995)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> store.getRange("nope", 0, 1, into, 0)).isInstanceOf(BlobNotFoundException.class);
  }

  @Test
  void getRangePastTheEndIsStorageException() {
    store.put("r", new byte[100]);
    assertThatThrownBy(() -> store.getRange("r", 90, 11)).isInstanceOf(StorageException.class)
        .hasMessageContaining("r");
    assertThatThrownBy(() -> store.getRange("r", 101, 0)).isInstanceOf(StorageException.class);
  }

  @Test
  void negativeRangeIsRejected() {
    store.put("r", new byte[100]);
    assertThatThrownBy(() -> store.getRange("r", -1, 5))
        .isInstanceOfAny(IllegalArgumentException.class, StorageException.class);
    assertThatThrownBy(() -> store.getRange("r", 0, -5))
        .isInstanceOfAny(IllegalArgumentException.class, StorageException.class);
  }

  @Test
  void missingKeysAreBlobNotFound() {
    assertThatThrownBy(() -> store.get("nope/x")).isInstanceOf(BlobNotFoundException.class)
        .satisfies(e -> assertThat(((BlobNotFoundException) e).key()).isEqualTo("nope/x"));
    assertThatThrownBy(() -> store.getRange("nope", 0, 1)).isInstanceOf(BlobNotFoundException.class);
    assertThat(store.stat("nope")).isEmpty();
    assertThat(store.delete("nope")).isFalse();
  }

  @Test
  void listReturnsKeysWithPrefixSorted() {
    List<String> keys = List.of("snapshots/b", "snapshots/a", "packs/00/x", "packs/ff/y", "packs/0a/z", "config",
        "snapshotsX", "index/1", "Z", "a-b", "a.b", "a_b");
    for (String k : keys) {
      store.put(k, bytes(k));
    }
    assertThat(store.list("snapshots/")).extracting(BlobInfo::key).containsExactly("snapshots/a", "snapshots/b");
    assertThat(store.list("packs/")).extracting(BlobInfo::key)
        .containsExactly("packs/00/x", "packs/0a/z", "packs/ff/y");
    assertThat(store.list("packs/0")).extracting(BlobInfo::key).containsExactly("packs/00/x", "packs/0a/z");
    assertThat(store.list("snap")).extracting(BlobInfo::key)
        .containsExactly("snapshots/a", "snapshots/b", "snapshotsX");
    assertThat(store.list("")).extracting(BlobInfo::key).isSorted().hasSize(keys.size())
        .containsExactlyInAnyOrderElementsOf(keys);
    assertThat(store.list("nothing/")).isEmpty();
    assertThat(store.list("config")).containsExactly(new BlobInfo("config", 6));
  }

  @Test
  void keyAndKeyWithChildCoexist() {
    store.put("a", bytes("parent"));
    store.put("a/b", bytes("child"));
    assertThat(store.get("a")).isEqualTo(bytes("parent"));
    assertThat(store.get("a/b")).isEqualTo(bytes("child"));
    assertThat(store.list("a")).extracting(BlobInfo::key).containsExactly("a", "a/b");
  }

  @Test
  void deleteRemovesBlob() {
    store.put("d/1", bytes("x"));
    store.put("d/2", bytes("y"));
    assertThat(store.delete("d/1")).isTrue();
    assertThat(store.delete("d/1")).isFalse();
    assertThatThrownBy(() -> store.get("d/1")).isInstanceOf(BlobNotFoundException.class);
    assertThat(store.list("d/")).extracting(BlobInfo::key).containsExactly("d/2");
    assertThat(store.putIfAbsent("d/1", bytes("again"))).isTrue();
    assertThat(store.get("d/1")).isEqualTo(bytes("again"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/a", "a/", "a//b", "..", ".", "a/../b", "a/./b", "a b", "a\\b", "ä", "a:b", "a\nb"})
  void invalidKeysAreRejected(String key) {
    assertThatThrownBy(() -> store.put(key, new byte[1])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.putIfAbsent(key, new byte[1])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get(key)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.getRange(key, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.stat(key)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.delete(key)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void overlongKeysAreRejected() {
    String seg = "x".repeat(256);
    assertThatThrownBy(() -> store.put(seg, new byte[1])).isInstanceOf(IllegalArgumentException.class);
    String longKey = ("y".repeat(200) + "/").repeat(6) + "z";
    assertThatThrownBy(() -> store.put(longKey, new byte[1])).isInstanceOf(IllegalArgumentException.class);
    String maxSeg = "m".repeat(255);
    store.put(maxSeg, new byte[1]);
    assertThat(store.stat(maxSeg)).isPresent();
  }

  @Test
  void invalidPrefixesAreRejected() {
    assertThatThrownBy(() -> store.list("/a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list("a//b/")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void largeBlobsRoundTrip() {
    byte[] big = new byte[largeBlobSize()];
    new Random(7).nextBytes(big);
    assertThat(store.putIfAbsent("big/blob", big)).isTrue();
    assertThat(store.stat("big/blob")).contains(new BlobInfo("big/blob", big.length));
    assertThat(store.get("big/blob")).isEqualTo(big);
    int len = 1 << 20;
    assertThat(store.getRange("big/blob", big.length - len, len))
        .isEqualTo(Arrays.copyOfRange(big, big.length - len, big.length));
  }

  @Test
  void putIfAbsentOfARangeStoresExactlyThoseBytes() {
    byte[] buf = bytes("xxhello, rangeyyy");
    assertThat(store.putIfAbsent("r/one", buf, 2, 12)).isTrue();
    assertThat(store.get("r/one")).isEqualTo(bytes("hello, range"));
    assertThat(store.stat("r/one")).contains(new BlobInfo("r/one", 12));
    assertThat(buf).isEqualTo(bytes("xxhello, rangeyyy"));
    buf[2] = 'J';
    assertThat(store.get("r/one")).isEqualTo(bytes("hello, range")); // the caller's array is not retained
    assertThat(store.putIfAbsent("r/one", bytes("other"), 0, 5)).isFalse();
    assertThat(store.get("r/one")).isEqualTo(bytes("hello, range"));
    assertThat(store.putIfAbsent("r/empty", buf, buf.length, 0)).isTrue();
    assertThat(store.get("r/empty")).isEmpty();
  }

  @Test
  void putIfAbsentOfALargeRangeRoundTrips() {
    byte[] big = new byte[largeBlobSize() + 4096];
    new Random(11).nextBytes(big);
    int off = 1000;
    int len = largeBlobSize() - 7;
    assertThat(store.putIfAbsent("r/big", big, off, len)).isTrue();
    assertThat(store.stat("r/big")).contains(new BlobInfo("r/big", len));
    assertThat(store.get("r/big")).isEqualTo(Arrays.copyOfRange(big, off, off + len));
  }

  @Test
  void putIfAbsentOfARangeOutsideTheArrayIsRejectedAndStoresNothing() {
    byte[] buf = new byte[10];
    assertThatThrownBy(() -> store.putIfAbsent("r/bad", buf, 4, 7)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> store.putIfAbsent("r/bad", buf, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(store.stat("r/bad")).isEmpty();
    assertThat(store.list("r/")).isEmpty();
  }

  @Test
  void manyKeysListAllOfThem() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      String k = String.format("many/%02x/%05d", i % 7, i);
      store.putIfAbsent(k, new byte[] {(byte) i});
      expected.add(k);
    }
    expected.sort(null);
    assertThat(store.list("many/")).extracting(BlobInfo::key).containsExactlyElementsOf(expected);
  }
}
