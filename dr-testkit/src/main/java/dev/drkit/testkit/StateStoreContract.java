package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit every {@link StateStore} implementation passes: extend it, implement
 * {@link #createStore()} (a fresh, empty store per test) and, for durable stores,
 * {@link #reopen(StateStore)}.
 */
public abstract class StateStoreContract {
  /** For subclasses, one per implementation under test. */
  protected StateStoreContract() {}

  /** The store under test, created before each test. */
  protected StateStore store;

  /**
   * @return a new, empty store
   * @throws Exception when it cannot be created
   */
  protected abstract StateStore createStore() throws Exception;

  /**
   * Closes {@code old} and opens the same storage again, as a restarted process would.
   *
   * @param old the store to close
   * @return the reopened store, or empty for a store that is not durable
   * @throws Exception when it cannot be reopened
   */
  protected Optional<StateStore> reopen(StateStore old) throws Exception {
    return Optional.empty();
  }

  /** @return how many threads the concurrency tests use */
  protected int threads() {
    return 8;
  }

  /** @return how many compare-and-set attempts each thread makes in the concurrency tests */
  protected int attemptsPerThread() {
    return 200;
  }

  @BeforeEach
  void createStoreUnderTest() throws Exception {
    store = createStore();
  }

  @AfterEach
  void closeStoreUnderTest() {
    if (store != null) {
      store.close();
    }
  }

  /**
   * @param service the name of the service the state belongs to
   * @param n a number distinguishing states
   * @return a state whose fields all depend on {@code n}
   */
  protected static ServiceState state(String service, int n) {
    FailoverState[] all = FailoverState.values();
    return new ServiceState(service, all[n % all.length], n + 1L, n % 2 == 0 ? Site.PRIMARY : Site.BACKUP,
        Instant.parse("2026-01-01T00:00:00Z").plusMillis(n), "reason " + n, Map.of("n", Integer.toString(n),
            "unicode", "é\u00fc\u4e2d \"quoted\"\nnewline"));
  }

  @Test
  void absentServiceLoadsEmpty() {
    assertThat(store.load("nothing-here")).isEmpty();
    assertThat(store.services()).isEmpty();
  }

  @Test
  void firstWriteExpectsVersionZeroAndStoresVersionOne() {
    assertThat(store.compareAndSet("orders", 0, state("orders", 1))).isEqualTo(1);
    Versioned<ServiceState> v = store.load("orders").orElseThrow();
    assertThat(v.version()).isEqualTo(1);
    assertThat(v.value()).isEqualTo(state("orders", 1));
  }

  @Test
  void everySuccessfulWriteRaisesTheVersionByOne() {
    long version = 0;
    for (int i = 0; i < 10; i++) {
      long next = store.compareAndSet("orders", version, state("orders", i));
      assertThat(next).isEqualTo(version + 1);
      version = next;
      assertThat(store.load("orders").orElseThrow()).isEqualTo(new Versioned<>(state("orders", i), version));
    }
  }

  @Test
  void loadReturnsEveryFieldAsWritten() {
    ServiceState s = new ServiceState("billing", FailoverState.FAILING_BACK, 42, Site.BACKUP,
        Instant.parse("2026-11-24T00:10:00.123456789Z"), "operator alice: planned maintenance",
        Map.of("done", "resync,validate", "forced", "true", "empty", ""));
    store.compareAndSet("billing", 0, s);
    assertThat(store.load("billing").orElseThrow().value()).isEqualTo(s);
  }

  @Test
  void rejectsStaleExpectedVersionAndChangesNothing() {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.compareAndSet("orders", 1, state("orders", 2));
    assertThatThrownBy(() -> store.compareAndSet("orders", 1, state("orders", 3)))
        .isInstanceOfSatisfying(VersionConflictException.class, e -> {
          assertThat(e.key()).isEqualTo("orders");
          assertThat(e.expectedVersion()).isEqualTo(1);
          assertThat(e.actualVersion()).isEqualTo(2);
        });
    assertThat(store.load("orders").orElseThrow()).isEqualTo(new Versioned<>(state("orders", 2), 2));
  }

  @Test
  void rejectsExpectedVersionAheadOfStored() {
    store.compareAndSet("orders", 0, state("orders", 1));
    assertThatThrownBy(() -> store.compareAndSet("orders", 5, state("orders", 2)))
        .isInstanceOf(VersionConflictException.class);
    assertThat(store.load("orders").orElseThrow().version()).isEqualTo(1);
  }

  @Test
  void rejectsCreatingWhatAlreadyExists() {
    store.compareAndSet("orders", 0, state("orders", 1));
    assertThatThrownBy(() -> store.compareAndSet("orders", 0, state("orders", 2)))
        .isInstanceOfSatisfying(VersionConflictException.class, e -> assertThat(e.actualVersion()).isEqualTo(1));
    assertThat(store.load("orders").orElseThrow().value()).isEqualTo(state("orders", 1));
  }

  @Test
  void rejectsUpdatingWhatIsAbsent() {
    assertThatThrownBy(() -> store.compareAndSet("orders", 1, state("orders", 1)))
        .isInstanceOfSatisfying(VersionConflictException.class, e -> assertThat(e.actualVersion()).isZero());
    assertThat(store.load("orders")).isEmpty();
    assertThat(store.services()).doesNotContain("orders");
  }

  @Test
  void rejectsStateOfAnotherService() {
    assertThatThrownBy(() -> store.compareAndSet("orders", 0, state("billing", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("billing").hasMessageContaining("orders");
    assertThat(store.load("orders")).isEmpty();
    assertThat(store.load("billing")).isEmpty();
  }

  @Test
  void servicesListsEveryStoredServiceIndependently() {
    store.compareAndSet("a", 0, state("a", 1));
    store.compareAndSet("b", 0, state("b", 1));
    store.compareAndSet("b", 1, state("b", 2));
    store.compareAndSet("c.d_e-f", 0, state("c.d_e-f", 1));
    assertThat(store.services()).containsExactlyInAnyOrder("a", "b", "c.d_e-f");
    assertThat(store.load("a").orElseThrow().version()).isEqualTo(1);
    assertThat(store.load("b").orElseThrow().version()).isEqualTo(2);
  }

  @Test
  void concurrentCreatesHaveExactlyOneWinner() throws Exception {
    int n = threads();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      AtomicInteger wins = new AtomicInteger();
      AtomicInteger conflicts = new AtomicInteger();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        int id = t;
        futures.add(pool.submit(() -> {
          start.await();
          try {
            store.compareAndSet("race", 0, state("race", id));
            wins.incrementAndGet();
          } catch (VersionConflictException e) {
            conflicts.incrementAndGet();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(wins.get()).isEqualTo(1);
      assertThat(conflicts.get()).isEqualTo(n - 1);
      assertThat(store.load("race").orElseThrow().version()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentCompareAndSetHasExactlyOneWinnerPerVersion() throws Exception {
    int n = threads();
    int attempts = attemptsPerThread();
    store.compareAndSet("hot", 0, state("hot", 0));
    ConcurrentHashMap<Long, Integer> winnerOfVersion = new ConcurrentHashMap<>();
    ConcurrentHashMap<Long, ServiceState> written = new ConcurrentHashMap<>();
    AtomicInteger duplicates = new AtomicInteger();
    AtomicInteger wins = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        int id = t;
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < attempts; i++) {
            Versioned<ServiceState> seen = store.load("hot").orElseThrow();
            ServiceState mine = state("hot", id * 100_000 + i);
            try {
              long v = store.compareAndSet("hot", seen.version(), mine);
              if (v != seen.version() + 1) {
                duplicates.incrementAndGet();
              }
              if (winnerOfVersion.putIfAbsent(v, id) != null) {
                duplicates.incrementAndGet();
              }
              written.put(v, mine);
              wins.incrementAndGet();
            } catch (VersionConflictException e) {
              if (e.actualVersion() == seen.version()) {
                duplicates.incrementAndGet(); // a conflict must report a version other than the expected one
              }
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(duplicates.get()).as("versions won twice or skipped").isZero();
    Versioned<ServiceState> last = store.load("hot").orElseThrow();
    assertThat(last.version()).isEqualTo(1L + wins.get());
    assertThat(winnerOfVersion.keySet()).hasSize(wins.get());
    for (long v = 2; v <= last.version(); v++) {
      assertThat(winnerOfVersion).as("version %d has a winner", v).containsKey(v);
    }
    assertThat(last.value()).isEqualTo(written.get(last.version()));
  }

  @Test
  void survivesReopenWithVersionsAndContent() throws Exception {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.compareAndSet("orders", 1, state("orders", 2));
    store.compareAndSet("billing", 0, state("billing", 7));
    Optional<StateStore> probe = reopen(store);
    if (probe.isEmpty()) {
      assertThat(store.load("orders").orElseThrow().version()).as("non-durable store keeps state while open")
          .isEqualTo(2);
      return;
    }
    store = probe.get();
    assertThat(store.load("orders").orElseThrow()).isEqualTo(new Versioned<>(state("orders", 2), 2));
    assertThat(store.load("billing").orElseThrow()).isEqualTo(new Versioned<>(state("billing", 7), 1));
    assertThat(store.services()).containsExactlyInAnyOrder("orders", "billing");
    assertThat(store.compareAndSet("orders", 2, state("orders", 3))).isEqualTo(3);
    assertThatThrownBy(() -> store.compareAndSet("orders", 2, state("orders", 4)))
        .isInstanceOf(VersionConflictException.class);
  }
}
