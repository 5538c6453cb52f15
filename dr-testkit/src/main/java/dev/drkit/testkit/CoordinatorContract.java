package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit every {@link Coordinator} implementation passes: the leadership lease of
 * the SPI. Extend it and implement {@link #createCoordinator()} and {@link #endTerm(Coordinator)};
 * a coordinator whose instances compete for one leadership (several processes or machines) also
 * overrides {@link #sharesLeadership()}.
 *
 * <p>It checks that {@code awaitLeadership} grants a valid lease that {@code currentLease} reports,
 * that asking again during a term returns the same term, that fencing tokens strictly increase from
 * term to term, that a lease once ended is invalid for good ({@link Lease#ensureValid()} throws
 * {@link LeadershipLostException}) and no longer reported, that {@code close()} ends the term and
 * releases leadership to a competitor, and that among competing instances at most one holds a valid
 * lease at a time.
 */
public abstract class CoordinatorContract {
  /** For subclasses, one per implementation under test. */
  protected CoordinatorContract() {}

  private final List<Coordinator> created = new ArrayList<>();

  /**
   * Creates a started coordinator. Within one test, every coordinator created competes for the same
   * leadership when {@link #sharesLeadership()} is true (for example the same lock file or the same
   * ZooKeeper group); across tests they must not.
   *
   * @return a new, started coordinator
   * @throws Exception when it cannot be created
   */
  protected abstract Coordinator createCoordinator() throws Exception;

  /**
   * Ends the current leadership term of {@code coordinator} without closing it, as losing the lease
   * would (a relinquish, an expired session). The coordinator must be able to lead again in a new
   * term afterwards. The suite waits (up to {@link #patience()}) for the old lease to turn invalid,
   * so this may return before it does.
   *
   * @param coordinator a coordinator created by {@link #createCoordinator()} that holds a lease
   * @throws Exception when the term cannot be ended
   */
  protected abstract void endTerm(Coordinator coordinator) throws Exception;

  /**
   * @return whether coordinators created in one test compete for one leadership; false for a
   *     single-process coordinator whose instances are independent (the competing tests are then
   *     skipped)
   */
  protected boolean sharesLeadership() {
    return false;
  }

  /** @return how long the suite waits for leadership to be granted or to change hands */
  protected Duration patience() {
    return Duration.ofSeconds(30);
  }

  /**
   * @return how long a competitor waits in vain while another instance leads (short: the wait is
   *     expected to time out)
   */
  protected Duration refusalWait() {
    return Duration.ofMillis(300);
  }

  private Coordinator coordinator() throws Exception {
    Coordinator c = createCoordinator();
    created.add(c);
    return c;
  }

  private Lease lead(Coordinator c) throws InterruptedException {
    Optional<Lease> lease = c.awaitLeadership(patience());
    assertThat(lease).as("%s grants leadership within %s", c, patience()).isPresent();
    return lease.orElseThrow();
  }

  private void awaitInvalid(Coordinator c, Lease lease) {
    await("lease " + lease.token() + " of " + c + " to end").atMost(patience()).pollInterval(Duration.ofMillis(5))
        .until(() -> !lease.isValid());
  }

  @AfterEach
  void closeCoordinators() {
    for (Coordinator c : created) {
      c.close();
    }
    created.clear();
  }

  @Test
  void awaitLeadershipGrantsAValidLeaseThatCurrentLeaseReports() throws Exception {
    Coordinator c = coordinator();
    Lease lease = lead(c);
    assertThat(lease.isValid()).isTrue();
    lease.ensureValid();
    assertThat(c.currentLease()).map(Lease::token).contains(lease.token());
  }

  @Test
  void askingAgainDuringATermReturnsTheSameTerm() throws Exception {
    Coordinator c = coordinator();
    Lease first = lead(c);
    Lease again = lead(c);
    assertThat(again.token()).isEqualTo(first.token());
    assertThat(first.isValid()).isTrue();
  }

  @Test
  void concurrentWaitersOfOneInstanceShareOneTerm() throws Exception {
    Coordinator c = coordinator();
    int n = 6;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Long>> tokens = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Callable<Long> waiter = () -> {
          start.await();
          return lead(c).token();
        };
        tokens.add(pool.submit(waiter));
      }
      start.countDown();
      long first = tokens.get(0).get(patience().toMillis() * 2, TimeUnit.MILLISECONDS);
      for (Future<Long> t : tokens) {
        assertThat(t.get(patience().toMillis() * 2, TimeUnit.MILLISECONDS)).isEqualTo(first);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anEndedLeaseIsInvalidForGoodAndNoLongerReported() throws Exception {
    Coordinator c = coordinator();
    Lease lease = lead(c);
    endTerm(c);
    awaitInvalid(c, lease);
    assertThatThrownBy(lease::ensureValid).isInstanceOf(LeadershipLostException.class)
        .hasMessageContaining(Long.toString(lease.token()));
    assertThat(c.currentLease().map(Lease::token).orElse(Long.MAX_VALUE))
        .as("current lease after the term ended: none or a later term").isGreaterThan(lease.token());
    Lease next = lead(c);
    assertThat(next.token()).isGreaterThan(lease.token());
    assertThat(lease.isValid()).as("an ended lease never becomes valid again").isFalse();
  }

  @Test
  void tokensStrictlyIncreaseFromTermToTerm() throws Exception {
    Coordinator c = coordinator();
    long previous = Long.MIN_VALUE;
    for (int term = 0; term < 4; term++) {
      Lease lease = lead(c);
      assertThat(lease.token()).as("token of term %d", term).isGreaterThan(previous);
      previous = lease.token();
      endTerm(c);
      awaitInvalid(c, lease);
    }
  }

  @Test
  void closeEndsTheTermAndGrantsNothingMore() throws Exception {
    Coordinator c = coordinator();
    Lease lease = lead(c);
    c.close();
    assertThat(lease.isValid()).as("lease after close").isFalse();
    assertThat(c.currentLease()).isEmpty();
    assertThat(c.awaitLeadership(refusalWait())).as("leadership from a closed coordinator").isEmpty();
    c.close(); // closing twice is harmless
  }

  @Test
  void aCompetitorWaitsInVainWhileAnotherInstanceLeads() throws Exception {
    Assumptions.assumeTrue(sharesLeadership(), "instances of this coordinator do not compete");
    Coordinator a = coordinator();
    Lease lease = lead(a);
    Coordinator b = coordinator(); // created after a leads: an election may pick either of two new instances
    assertThat(b.awaitLeadership(refusalWait())).as("competitor's lease while another leads").isEmpty();
    assertThat(b.currentLease()).isEmpty();
    assertThat(lease.isValid()).isTrue();
  }

  @Test
  void closingTheLeaderReleasesLeadershipToACompetitorAtAHigherToken() throws Exception {
    Assumptions.assumeTrue(sharesLeadership(), "instances of this coordinator do not compete");
    Coordinator a = coordinator();
    Lease first = lead(a);
    Coordinator b = coordinator();
    a.close();
    Lease second = lead(b);
    assertThat(second.token()).isGreaterThan(first.token());
    assertThat(first.isValid()).isFalse();
  }

  @Test
  @SuppressWarnings("FutureReturnValueIgnored") // a competitor that fails never shows up in 'granted', which fails the test
  void atMostOneOfSeveralCompetitorsHoldsAValidLease() throws Exception {
    Assumptions.assumeTrue(sharesLeadership(), "instances of this coordinator do not compete");
    List<Coordinator> all = List.of(coordinator(), coordinator(), coordinator());
    BlockingQueue<Map.Entry<Coordinator, Optional<Lease>>> granted = new LinkedBlockingQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(all.size());
    try {
      for (Coordinator c : all) {
        pool.submit(() -> {
          granted.add(Map.entry(c, c.awaitLeadership(patience().multipliedBy(all.size()))));
          return null;
        });
      }
      long previous = Long.MIN_VALUE;
      for (int term = 0; term < all.size(); term++) {
        Map.Entry<Coordinator, Optional<Lease>> next = granted.poll(patience().toMillis() * 2, TimeUnit.MILLISECONDS);
        assertThat(next).as("a competitor leads in round %d", term).isNotNull();
        Coordinator leader = next.getKey();
        Lease lease = next.getValue().orElseThrow(() -> new AssertionError(leader + " got no lease"));
        assertThat(lease.token()).isGreaterThan(previous);
        previous = lease.token();
        for (Coordinator other : all) {
          if (other != leader) {
            assertThat(other.currentLease()).as("lease of %s while %s leads", other, leader).isEmpty();
          }
        }
        assertThat(lease.isValid()).as("the leader's lease while the others were checked").isTrue();
        leader.close();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
