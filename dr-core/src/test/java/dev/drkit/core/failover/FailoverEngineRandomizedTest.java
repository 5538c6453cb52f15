package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.failover.TransitionTable.Transition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random sequences of probes, verdicts, operator commands, clock jumps, failing and
 * crashing actions, changes of leadership term, and crashes of the orchestrator itself (inside actions and around every store
 * write), each crash followed by a fresh engine on the same store. After every operation: at most
 * one writable site, at most one site promoted and one active site per epoch, epochs never shrink,
 * versions are consecutive, and every persisted state follows from the previous one through the
 * transition table (or a bookkeeping update inside a phase: a step done, the failback's switch, a
 * rollback to the old site at a new epoch, a re-assignment at a new epoch).
 *
 * <p>Raise the count with {@code -Ddrkit.test.randomRuns=N}; reproduce with
 * {@code -Ddrkit.test.seed=S}.
 */
class FailoverEngineRandomizedTest {
  private static final int RUNS = Integer.getInteger("drkit.test.randomRuns", 1000);
  private static final int OPS = Integer.getInteger("drkit.test.randomOps", 30);
  private static final long SEED = Long.getLong("drkit.test.seed", 20261124L);

  @Test
  void randomSequencesWithCrashesKeepEverySafetyInvariant() {
    int crashes = 0;
    int transitions = 0;
    int reassigned = 0;
    int rollbacks = 0;
    for (int run = 0; run < RUNS; run++) {
      long seed = SEED + run;
      Random r = new Random(seed);
      Harness h = new Harness();
      double pFail = r.nextDouble() * 0.3;
      double pCrash = r.nextDouble() * 0.15;
      boolean[] faultsOn = {true};
      h.sites.fault((op, site, epoch) -> {
        if (!faultsOn[0]) {
          return;
        }
        double x = r.nextDouble();
        if (x < pCrash) {
          throw new SimulatedCrash("before " + op);
        }
        if (x < pCrash + pFail) {
          throw new IOException("transient failure of " + op);
        }
      });
      h.sites.afterEach((op, site, epoch) -> {
        if (faultsOn[0] && r.nextDouble() < pCrash / 2) {
          throw new SimulatedCrash("after " + op);
        }
      });
      h.store.crashPoint = where -> {
        if (faultsOn[0] && r.nextDouble() < pCrash / 3) {
          throw new SimulatedCrash(where + " store write");
        }
      };
      FailoverEngine engine = newEngine(h, r);
      Checker checker = new Checker();
      for (int i = 0; i < OPS; i++) {
        String op = "?";
        try {
          op = randomOp(h, engine, r);
        } catch (IllegalTransitionException | FailoverRefusedException expected) {
          // refused commands change nothing; the invariants below check that
        } catch (SimulatedCrash crash) {
          crashes++;
          engine = restart(h, r);
        }
        check(h, checker, seed, i, op);
      }
      faultsOn[0] = false;
      engine = newEngine(h, r);
      engine.resume();
      assertThat(TransitionTable.isPhase(engine.state().state()))
          .as("seed %d: a fault-free resume ends every phase", seed).isFalse();
      check(h, checker, seed, OPS, "final resume");
      transitions += h.events("failover.transition").size();
      reassigned += h.events("failover.reassigned").size();
      rollbacks += h.events("failover.rollback").size();
    }
    assertThat(crashes).as("the test crashed the orchestrator often").isGreaterThan(RUNS / 2);
    assertThat(transitions).isGreaterThan(RUNS * 3);
    assertThat(reassigned).as("phases were taken over by new terms").isGreaterThan(RUNS / 20);
    assertThat(rollbacks).as("phases failed after the fence and rolled back").isGreaterThan(RUNS / 20);
  }

  private static FailoverEngine newEngine(Harness h, Random r) {
    while (true) {
      try {
        return h.builder().retries(1 + r.nextInt(3), Duration.ofSeconds(1)).build();
      } catch (SimulatedCrash crash) {
        // crashed while creating the initial state: start again
      }
    }
  }

  /** A fresh engine on the same store, resuming; it may crash again. */
  private static FailoverEngine restart(Harness h, Random r) {
    for (int attempt = 0; ; attempt++) {
      FailoverEngine e = newEngine(h, r);
      try {
        if (r.nextBoolean() || attempt > 3) {
          e.resume();
        }
        return e;
      } catch (SimulatedCrash crash) {
        // crashed again while resuming
      }
    }
  }

  private static String randomOp(Harness h, FailoverEngine e, Random r) {
    int k = r.nextInt(18);
    switch (k) {
      case 0, 1 -> e.recordProbe(r.nextInt(3) == 0);
      case 2 -> e.onVerdict(HealthVerdict.values()[r.nextInt(3)], "detector");
      case 3 -> e.failover("op", "random");
      case 4 -> e.forceFailover("op", "random");
      case 5 -> e.switchover("op", "random");
      case 6 -> e.failback("op", "random");
      case 7 -> e.abort("op", "random");
      case 8 -> e.retry("op", "random");
      case 9 -> e.resolve(r.nextBoolean() ? FailoverState.PRIMARY_ACTIVE : FailoverState.BACKUP_ACTIVE, "op", "random");
      case 10 -> h.clock.advance(Duration.ofMinutes(r.nextInt(45)));
      case 11 -> h.loss.set(r.nextBoolean() ? Duration.ZERO : Duration.ofSeconds(r.nextInt(120)));
      case 12 -> h.validationPasses.set(r.nextInt(4) != 0);
      case 13 -> e.resume();
      case 14 -> throw new SimulatedCrash("between steps");
      case 17 -> {
        // A new leadership term: whatever phase is in progress is re-assigned at a new epoch.
        h.coordinator.relinquish();
        h.coordinator.awaitLeadership(Duration.ZERO);
      }
      default -> e.onVerdict(HealthVerdict.DOWN, "detector");
    }
    return "op" + k;
  }

  /** Checks the history incrementally (only entries written since the last check). */
  private static final class Checker {
    final Map<Long, Site> activePerEpoch = new HashMap<>();
    int checked;
    Versioned<ServiceState> prev;
  }

  private static void check(Harness h, Checker c, long seed, int step, String op) {
    String ctx = "seed " + seed + " step " + step + " (" + op + ")";
    if (!h.sites.violations.isEmpty()) {
      fail(ctx + ": " + h.sites.violations);
    }
    if (h.writable().size() > 1) {
      fail(ctx + ": writable sites " + h.writable());
    }
    List<Versioned<ServiceState>> hist = h.store.history();
    Versioned<ServiceState> prev = c.prev;
    for (Versioned<ServiceState> v : hist.subList(c.checked, hist.size())) {
      ServiceState s = v.value();
      Site earlier = c.activePerEpoch.putIfAbsent(s.epoch(), s.activeSite());
      if (earlier != null && earlier != s.activeSite()) {
        fail(ctx + ": two active sites at epoch " + s.epoch());
      }
      if (prev == null) {
        if (v.version() != 1 || s.state() != FailoverState.PRIMARY_ACTIVE || s.epoch() != 1) {
          fail(ctx + ": first state " + v);
        }
      } else {
        if (v.version() != prev.version() + 1) {
          fail(ctx + ": version " + v.version() + " after " + prev.version());
        }
        if (s.epoch() < prev.value().epoch()) {
          fail(ctx + ": epoch shrank from " + prev.value().epoch() + " to " + s.epoch());
        }
        if (!reachable(prev.value(), s)) {
          fail(ctx + ": " + prev.value() + " -> " + s + " is not reachable");
        }
      }
      prev = v;
    }
    c.prev = prev;
    c.checked = hist.size();
  }

  static boolean reachable(ServiceState a, ServiceState b) {
    if (a.state() == b.state()) {
      // A bookkeeping update inside a phase: steps done; the failback's own role change.
      boolean same = a.epoch() == b.epoch() && a.activeSite() == b.activeSite() && a.since().equals(b.since());
      boolean failbackSwitch = a.state() == FailoverState.FAILING_BACK && b.epoch() == a.epoch() + 1
          && a.activeSite() == Site.BACKUP && b.activeSite() == Site.PRIMARY
          && b.attributes().getOrDefault(FailoverEngine.ATTR_DONE, "").contains("switch");
      // After a failure past the fence: the old site is restored at a new epoch.
      boolean rollback = b.epoch() == a.epoch() + 1 && b.activeSite() == a.activeSite().other()
          && a.since().equals(b.since()) && PhaseSteps.servingAfter(a) != a.activeSite()
          && b.attributes().getOrDefault(FailoverEngine.ATTR_DONE, "").contains("rollback");
      // A new leadership term, or a retry after a rollback: the roles are assigned anew at a new epoch.
      boolean reassigned = b.epoch() == a.epoch() + 1 && a.since().equals(b.since())
          && Long.toString(a.epoch()).equals(b.attributes().get(FailoverEngine.ATTR_PREVIOUS_EPOCH));
      return TransitionTable.isPhase(a.state()) && (same || failbackSwitch || rollback || reassigned);
    }
    for (Transition t : TransitionTable.all()) {
      if (t.from() == a.state() && t.to() == b.state() && b.epoch() == a.epoch() + (t.roleChange() ? 1 : 0)
          && b.activeSite() == (t.activeSite() == null ? a.activeSite() : t.activeSite())) {
        return true;
      }
    }
    return false;
  }
}
