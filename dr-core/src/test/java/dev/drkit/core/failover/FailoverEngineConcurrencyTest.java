package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Versioned;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many threads sending probes, verdicts and commands to one state machine. */
class FailoverEngineConcurrencyTest {
  private static final int THREADS = 8;

  private static void runAll(List<java.util.concurrent.Callable<Void>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Void>> fs = new ArrayList<>();
      for (java.util.concurrent.Callable<Void> t : tasks) {
        fs.add(pool.submit(() -> {
          start.await();
          return t.call();
        }));
      }
      start.countDown();
      for (Future<Void> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentFailoverCommandsFailOverExactlyOnce() throws Exception {
    Harness h = new Harness();
    FailoverEngine e = h.engine();
    AtomicInteger refused = new AtomicInteger();
    List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      tasks.add(() -> {
        try {
          e.forceFailover("thread", "race");
        } catch (IllegalTransitionException | VersionConflictException lost) {
          refused.incrementAndGet();
        }
        return null;
      });
    }
    runAll(tasks);
    assertThat(e.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(e.state().epoch()).isEqualTo(2);
    assertThat(h.events("failover.transition")).filteredOn(ev -> "FAILOVER".equals(ev.attributes().get("trigger")))
        .hasSize(1);
    assertThat(refused.get()).isEqualTo(THREADS - 1);
    assertThat(h.sites.calls).as("each action exactly once")
        .containsExactly("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2");
  }

  @Test
  void manyThreadsSendingRandomEventsAndCommandsKeepTheInvariants() throws Exception {
    Harness h = new Harness();
    FailoverEngine e = h.builder().minTimeBetweenFailovers(Duration.ZERO).build();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      long seed = 1000L + t;
      tasks.add(() -> {
        Random r = new Random(seed);
        for (int i = 0; i < 300; i++) {
          try {
            switch (r.nextInt(10)) {
              case 0, 1, 2 -> e.recordProbe(r.nextInt(3) == 0);
              case 3 -> e.onVerdict(HealthVerdict.values()[r.nextInt(3)], "detector");
              case 4 -> e.switchover("t", "race");
              case 5 -> e.failback("t", "race");
              case 6 -> e.abort("t", "race");
              case 7 -> e.retry("t", "race");
              case 8 -> e.resolve(r.nextBoolean() ? FailoverState.PRIMARY_ACTIVE : FailoverState.BACKUP_ACTIVE, "t", "x");
              default -> e.forceFailover("t", "race");
            }
          } catch (IllegalTransitionException | VersionConflictException | FailoverRefusedException expected) {
            // lost a race or not legal now
          } catch (Throwable other) {
            unexpected.add(other);
          }
        }
        return null;
      });
    }
    runAll(tasks);
    assertThat(unexpected).isEmpty();
    e.resume();
    assertThat(h.sites.violations).isEmpty();
    assertThat(h.writable()).hasSizeLessThanOrEqualTo(1);
    List<Versioned<ServiceState>> hist = h.store.history();
    assertThat(hist.size()).isGreaterThan(50);
    for (int i = 1; i < hist.size(); i++) {
      Versioned<ServiceState> a = hist.get(i - 1);
      Versioned<ServiceState> b = hist.get(i);
      assertThat(b.version()).isEqualTo(a.version() + 1);
      assertThat(b.value().epoch()).isGreaterThanOrEqualTo(a.value().epoch());
      assertThat(FailoverEngineRandomizedTest.reachable(a.value(), b.value()))
          .as("%s -> %s", a.value(), b.value()).isTrue();
    }
    assertThat(e.versionedState()).isEqualTo(h.store.load("orders").orElseThrow());
  }

  @Test
  void twoEnginesOnOneStoreNeverBothWinATransition() throws Exception {
    Harness h = new Harness();
    FailoverEngine a = h.engine();
    FailoverEngine b = h.engine();
    AtomicInteger lost = new AtomicInteger();
    runAll(List.of(() -> {
      try {
        a.forceFailover("a", "race");
      } catch (VersionConflictException | IllegalTransitionException e) {
        lost.incrementAndGet();
      }
      return null;
    }, () -> {
      try {
        b.forceFailover("b", "race");
      } catch (VersionConflictException | IllegalTransitionException e) {
        lost.incrementAndGet();
      }
      return null;
    }));
    assertThat(lost.get()).isEqualTo(1);
    assertThat(h.store.load("orders").orElseThrow().value().epoch()).isEqualTo(2);
    assertThat(h.sites.violations).isEmpty();
    assertThat(a.reload()).isEqualTo(b.reload());
  }
}
