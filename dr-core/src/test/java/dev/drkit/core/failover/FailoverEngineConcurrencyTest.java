package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  /**
   * Twenty rounds, each with its own seeds, so that rare interleavings come up: under CPU load the
   * code before found, about once in 500 rounds, a driver running a phase the state had just left
   * (an abort between its check and its read: "FAILED is not a phase with a budget"); a helper's
   * build under load once recorded "promoted BACKUP at 34 before fencing PRIMARY", not reproduced
   * since (a retry applied to a state other than the one it read is one way for a phase to resume on
   * another's done steps, and is closed; see the test below).
   */
  @org.junit.jupiter.api.RepeatedTest(20)
  void manyThreadsSendingRandomEventsAndCommandsKeepTheInvariants(org.junit.jupiter.api.RepetitionInfo round)
      throws Exception {
    Harness h = new Harness();
    FailoverEngine e = h.builder().minTimeBetweenFailovers(Duration.ZERO).build();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      long seed = 1000L * round.getCurrentRepetition() + t;
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
    assertThat(h.sites.violations).as("actions in order: %s", h.sites.calls).isEmpty();
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

  /**
   * A retry reads which phase failed, then transitions. Here the state moves between the two: the
   * retry reads a failover that failed at its fence, and while it waits for the lease the operator
   * resolves, starts a failback and aborts it after it fenced the backup. Applied to that state, the
   * code before re-ran a failover (the phase it had read) where the failback had failed, and the
   * service ended BACKUP_ACTIVE: the retry of one phase was carried out on another one, whose done
   * steps share its step names ("fence", "drain", "promote"). The retry must refuse instead, having
   * read a state that is gone, and leave the failed failback for the operator.
   */
  @Test
  void aRetryOfAStateThatMovedOnMeanwhileIsRefusedRatherThanResumingAnotherPhasesSteps() throws Exception {
    Harness h = new Harness();
    GatedCoordinator gate = new GatedCoordinator(h.coordinator);
    FailoverEngine e = h.builder().coordinator(gate).minTimeBetweenFailovers(Duration.ZERO).build();
    h.sites.fault((op, site, epoch) -> {
      if (op.equals("fence")) {
        throw new java.io.IOException("injected: primary unreachable");
      }
    });
    assertThat(e.forceFailover("ops", "primary lost").state()).isEqualTo(FailoverState.FAILED);
    h.sites.fault((op, site, epoch) -> { });

    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<ServiceState> staleRetry = pool.submit(() -> {
        gate.gated = Thread.currentThread();
        return e.retry("ops", "retry the failover");
      });
      assertThat(gate.arrived.await(60, TimeUnit.SECONDS)).as("the retry read the state and waits").isTrue();

      e.resolve(FailoverState.BACKUP_ACTIVE, "ops", "the backup serves");
      h.sites.fault((op, site, epoch) -> {
        if (op.equals("promote") && site == dev.drkit.core.spi.Site.PRIMARY) {
          e.abort("ops", "stop the failback");
          throw new java.io.IOException("injected: stopped before the promotion");
        }
      });
      e.failback("ops", "back to the primary");
      ServiceState aborted = e.state();
      assertThat(aborted.state()).isEqualTo(FailoverState.FAILED);
      assertThat(aborted.attributes()).containsEntry(FailoverEngine.ATTR_FAILED_PHASE, "FAILING_BACK");
      assertThat(PhaseSteps.done(aborted)).contains(PhaseSteps.STEP_FENCE).doesNotContain(PhaseSteps.STEP_PROMOTE);
      h.sites.fault((op, site, epoch) -> { });

      gate.release.countDown();
      assertThatThrownBy(() -> staleRetry.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(VersionConflictException.class);
    } finally {
      gate.release.countDown();
      pool.shutdownNow();
    }
    assertThat(h.sites.violations).as("actions in order: %s", h.sites.calls).isEmpty();
    assertThat(e.state()).isEqualTo(h.store.load("orders").orElseThrow().value());
    assertThat(e.state().state()).isEqualTo(FailoverState.FAILED);
  }

  /** The harness's coordinator, holding one thread when it next asks for the lease until released. */
  private static final class GatedCoordinator implements dev.drkit.core.spi.Coordinator {
    private final dev.drkit.core.spi.Coordinator inner;
    final CountDownLatch arrived = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile Thread gated;

    GatedCoordinator(dev.drkit.core.spi.Coordinator inner) {
      this.inner = inner;
    }

    @Override
    public java.util.Optional<dev.drkit.core.spi.Lease> awaitLeadership(Duration timeout) throws InterruptedException {
      return inner.awaitLeadership(timeout);
    }

    @Override
    public java.util.Optional<dev.drkit.core.spi.Lease> currentLease() {
      if (Thread.currentThread() == gated) {
        gated = null;
        arrived.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
      return inner.currentLease();
    }

    @Override
    public void close() {
      inner.close();
    }
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
