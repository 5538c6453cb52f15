package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit every {@link FailoverActions} implementation passes: the semantics the SPI
 * Javadoc and {@code docs/failover.md} ask of fence, promote, redirect and demote, observed through
 * the implementation's own effects.
 *
 * <p>Extend it and implement {@link #createActions()} (the service's primary serving and receiving
 * traffic at {@link #initialEpoch()}, the backup a replica), {@link #acceptsWrites(Site)} and
 * {@link #trafficGoesTo()}; implementations that cannot observe a router return empty from the
 * latter and the routing checks are skipped. It checks that:
 *
 * <ul>
 *   <li>a fenced site accepts no writes; a promoted site does; a demoted site no longer does;
 *       redirect sends the traffic to the site;
 *   <li>every action is idempotent per epoch: repeating it with the same arguments (as drkit does
 *       after a crash) succeeds and leaves the same effect;
 *   <li>a whole failover and a failback at the next epoch leave exactly one writable site;
 *   <li>a call with an epoch older than the newest its receiver has seen (a late call of a paused,
 *       deposed leader) throws and changes nothing.
 * </ul>
 */
public abstract class FailoverActionsContract {
  /** For subclasses, one per implementation under test. */
  protected FailoverActionsContract() {}

  /** The actions under test, created before each test. */
  protected FailoverActions actions;

  /**
   * @return actions for {@link #service()} over two sites: {@link Site#PRIMARY} writable and
   *     receiving the traffic at {@link #initialEpoch()}, {@link Site#BACKUP} a replica
   * @throws Exception when they cannot be set up
   */
  protected abstract FailoverActions createActions() throws Exception;

  /**
   * @param site a site of the service
   * @return whether {@code site} accepts writes as primary right now
   * @throws Exception when it cannot be observed
   */
  protected abstract boolean acceptsWrites(Site site) throws Exception;

  /**
   * @return the site the service's clients are sent to, or empty when this implementation has no
   *     observable router (the routing checks are then skipped)
   * @throws Exception when it cannot be observed
   */
  protected abstract Optional<Site> trafficGoesTo() throws Exception;

  /**
   * Releases what {@link #createActions()} set up; the default does nothing.
   *
   * @throws Exception when it cannot be released
   */
  protected void release() throws Exception {}

  /** @return the service the actions are called for */
  protected String service() {
    return "orders";
  }

  /** @return the epoch the primary serves at when the test starts; role changes use the next ones */
  protected long initialEpoch() {
    return 1;
  }

  @BeforeEach
  void createActionsUnderTest() throws Exception {
    actions = createActions();
  }

  @AfterEach
  void releaseActionsUnderTest() throws Exception {
    release();
  }

  private void assertTraffic(Site expected) throws Exception {
    Optional<Site> target = trafficGoesTo();
    if (target.isPresent()) {
      assertThat(target).as("traffic target").contains(expected);
    }
  }

  /** Fences the primary, promotes the backup and redirects to it at {@code epoch}. */
  private void failOver(long epoch) throws Exception {
    actions.fence(service(), Site.PRIMARY, epoch);
    actions.promote(service(), Site.BACKUP, epoch);
    actions.redirect(service(), Site.BACKUP, epoch);
  }

  @Test
  void startsWithThePrimaryServing() throws Exception {
    assertThat(acceptsWrites(Site.PRIMARY)).as("primary writable").isTrue();
    assertThat(acceptsWrites(Site.BACKUP)).as("backup writable").isFalse();
    assertTraffic(Site.PRIMARY);
  }

  @Test
  void fenceStopsWritesAndIsIdempotent() throws Exception {
    long e = initialEpoch() + 1;
    actions.fence(service(), Site.PRIMARY, e);
    assertThat(acceptsWrites(Site.PRIMARY)).as("fenced primary writable").isFalse();
    actions.fence(service(), Site.PRIMARY, e);
    assertThat(acceptsWrites(Site.PRIMARY)).as("primary writable after a repeated fence").isFalse();
    assertThat(acceptsWrites(Site.BACKUP)).as("backup writable after fencing the primary").isFalse();
  }

  @Test
  void promoteOpensWritesAndIsIdempotent() throws Exception {
    long e = initialEpoch() + 1;
    actions.fence(service(), Site.PRIMARY, e);
    actions.promote(service(), Site.BACKUP, e);
    assertThat(acceptsWrites(Site.BACKUP)).as("promoted backup writable").isTrue();
    actions.promote(service(), Site.BACKUP, e);
    assertThat(acceptsWrites(Site.BACKUP)).as("backup writable after a repeated promote").isTrue();
    assertThat(acceptsWrites(Site.PRIMARY)).as("fenced primary writable").isFalse();
  }

  @Test
  void redirectSendsTrafficAndIsIdempotent() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    assertTraffic(Site.BACKUP);
    actions.redirect(service(), Site.BACKUP, e);
    assertTraffic(Site.BACKUP);
  }

  @Test
  void aRepeatedFailoverHasTheEffectOfOne() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    failOver(e);
    assertThat(acceptsWrites(Site.PRIMARY)).isFalse();
    assertThat(acceptsWrites(Site.BACKUP)).isTrue();
    assertTraffic(Site.BACKUP);
  }

  @Test
  void failbackAtTheNextEpochLeavesOnlyThePrimaryWritableAndDemoteIsIdempotent() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    actions.fence(service(), Site.BACKUP, e + 1);
    assertThat(acceptsWrites(Site.BACKUP)).as("backup writable after its fence").isFalse();
    actions.promote(service(), Site.PRIMARY, e + 1);
    actions.redirect(service(), Site.PRIMARY, e + 1);
    actions.demote(service(), Site.BACKUP, e + 1);
    actions.demote(service(), Site.BACKUP, e + 1);
    assertThat(acceptsWrites(Site.PRIMARY)).as("primary writable after failback").isTrue();
    assertThat(acceptsWrites(Site.BACKUP)).as("demoted backup writable").isFalse();
    assertTraffic(Site.PRIMARY);
  }

  @Test
  void aLatePromoteAtAnOlderEpochIsRefusedAndChangesNothing() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    assertThatThrownBy(() -> actions.promote(service(), Site.PRIMARY, e - 1))
        .as("promote of the fenced primary at epoch %d after epoch %d", e - 1, e).isInstanceOf(Exception.class);
    assertThat(acceptsWrites(Site.PRIMARY)).as("fenced primary writable after a refused promote").isFalse();
    assertThat(acceptsWrites(Site.BACKUP)).isTrue();
  }

  @Test
  void aLateFenceAtAnOlderEpochIsRefusedAndChangesNothing() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    assertThatThrownBy(() -> actions.fence(service(), Site.BACKUP, e - 1))
        .as("fence of the new primary at epoch %d after epoch %d", e - 1, e).isInstanceOf(Exception.class);
    assertThat(acceptsWrites(Site.BACKUP)).as("new primary writable after a refused fence").isTrue();
  }

  @Test
  void aLateDemoteAtAnOlderEpochIsRefusedAndChangesNothing() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    assertThatThrownBy(() -> actions.demote(service(), Site.BACKUP, e - 1))
        .as("demote of the new primary at epoch %d after epoch %d", e - 1, e).isInstanceOf(Exception.class);
    assertThat(acceptsWrites(Site.BACKUP)).as("new primary writable after a refused demote").isTrue();
  }

  @Test
  void aLateRedirectAtAnOlderEpochIsRefusedAndChangesNothing() throws Exception {
    long e = initialEpoch() + 1;
    failOver(e);
    if (trafficGoesTo().isEmpty()) {
      org.junit.jupiter.api.Assumptions.abort("no observable router");
    }
    assertThatThrownBy(() -> actions.redirect(service(), Site.PRIMARY, e - 1))
        .as("redirect to the fenced primary at epoch %d after epoch %d", e - 1, e).isInstanceOf(Exception.class);
    assertTraffic(Site.BACKUP);
  }

  @Test
  void theLateCallsOfADeposedLeaderAfterARollbackAreRefused() throws Exception {
    // Term 1 fails over at e; term 2 rolls back at e + 1 (the primary serves again); the paused
    // leader of term 1 then resumes and repeats its failover at e: every call must be refused.
    long e = initialEpoch() + 1;
    failOver(e);
    actions.fence(service(), Site.BACKUP, e + 1);
    actions.promote(service(), Site.PRIMARY, e + 1);
    actions.redirect(service(), Site.PRIMARY, e + 1);
    assertThatThrownBy(() -> actions.fence(service(), Site.PRIMARY, e)).isInstanceOf(Exception.class);
    assertThatThrownBy(() -> actions.promote(service(), Site.BACKUP, e)).isInstanceOf(Exception.class);
    if (trafficGoesTo().isPresent()) {
      assertThatThrownBy(() -> actions.redirect(service(), Site.BACKUP, e)).isInstanceOf(Exception.class);
    }
    assertThat(acceptsWrites(Site.PRIMARY)).as("primary writable after the late calls").isTrue();
    assertThat(acceptsWrites(Site.BACKUP)).as("backup writable after the late calls").isFalse();
    assertTraffic(Site.PRIMARY);
  }
}
