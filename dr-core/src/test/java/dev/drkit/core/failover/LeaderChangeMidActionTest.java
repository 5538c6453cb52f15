package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, finding 5, in one process: the leader's term ends while its {@code promote} is in
 * flight, a new term takes the phase over and finishes it, and only then does the old leader's
 * promote reach the site. Before the fix both promotes carried epoch 2 and the late one was
 * indistinguishable; now the successor re-fences and acts at epoch 3 (persisted first), so the
 * late epoch-2 promote is refused by the site, and the site serving at the end has the newest epoch.
 */
class LeaderChangeMidActionTest {
  private final MutableClock clock = new MutableClock();
  private final SiteModel sites = new SiteModel();
  private final RecordingStore store = new RecordingStore(new InMemoryStateStore());
  private final LocalCoordinator coordinator = new LocalCoordinator();
  private final ExecutorService successorThread = Executors.newSingleThreadExecutor();
  private final RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
      .rto(Duration.ofMinutes(10)).build();

  @AfterEach
  void stop() {
    successorThread.shutdownNow();
  }

  private FailoverEngine engine() {
    return FailoverEngine.builder(config).stateStore(store).actions(sites).coordinator(coordinator)
        .validator(sites.validator(clock)).dataLossEstimator(sites.estimator()).clock(clock)
        .sleeper(clock.sleeper()).retries(3, Duration.ofSeconds(1)).build();
  }

  @Test
  void aPausedLeadersLatePromoteIsRefusedBecauseTheNewTermActsAtANewerEpoch() throws Exception {
    coordinator.awaitLeadership(Duration.ZERO);
    FailoverEngine first = engine();
    AtomicReference<ServiceState> successorEnd = new AtomicReference<>();
    sites.script((i, label) -> {
      if (label.equals("promote BACKUP @2") && successorEnd.get() == null) {
        // The old leader is paused here, its promote in flight. Its term ends; a new one starts,
        // and another engine resumes the phase from the store and finishes it.
        coordinator.relinquish();
        coordinator.awaitLeadership(Duration.ZERO);
        Future<ServiceState> f = successorThread.submit(() -> engine().resume());
        successorEnd.set(f.get(30, TimeUnit.SECONDS));
        // ... and now the old leader's promote arrives, after everything the successor did.
      }
    });
    assertThatThrownBy(() -> first.forceFailover("alice", "primary lost"))
        .isInstanceOf(LeadershipLostException.class);

    assertThat(successorEnd.get().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(successorEnd.get().epoch()).isEqualTo(3);
    assertThat(successorEnd.get().attributes()).containsEntry(FailoverEngine.ATTR_TERM, "2");
    // The old promote entered first (and was held back); everything of the new term came after it.
    assertThat(sites.calls()).containsSubsequence("fence PRIMARY @2", "promote BACKUP @2", "fence PRIMARY @3",
        "promote BACKUP @3", "redirect BACKUP @3");
    assertThat(sites.accepted()).doesNotContain("promote BACKUP @2");
    assertThat(sites.refused()).as("the paused leader's late action is refused where it lands")
        .containsExactly("promote BACKUP @2");
    assertThat(sites.serving()).contains(Site.BACKUP);
    assertThat(sites.promotedAt(Site.BACKUP)).isEqualTo(3);
    assertThat(sites.routerEpoch()).isEqualTo(3);
    assertThat(sites.violations()).isEmpty();
    ServiceState stored = store.load("orders").orElseThrow().value();
    assertThat(stored).as("the old leader changed nothing after its term ended").isEqualTo(successorEnd.get());
    long epoch = 0;
    for (Versioned<ServiceState> v : store.history()) {
      assertThat(v.value().epoch()).isGreaterThanOrEqualTo(epoch);
      epoch = v.value().epoch();
    }
  }

  @Test
  void aLeaderChangeDuringARollbackFinishesTheRollbackAtANewerEpoch() throws Exception {
    coordinator.awaitLeadership(Duration.ZERO);
    FailoverEngine first = engine();
    sites.script((i, label) -> {
      if (label.equals("promote BACKUP @2")) {
        throw new java.io.IOException("backup cannot be promoted");
      }
      if (label.equals("promote PRIMARY @3")) {
        coordinator.relinquish();
      }
    });
    assertThatThrownBy(() -> first.forceFailover("alice", "test")).isInstanceOf(LeadershipLostException.class);
    assertThat(store.load("orders").orElseThrow().value().attributes().get(FailoverEngine.ATTR_DONE))
        .contains("rollback");
    sites.script((i, label) -> {});
    coordinator.awaitLeadership(Duration.ZERO);
    ServiceState s = engine().resume();

    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.epoch()).isEqualTo(4);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_SERVING_SITE, "PRIMARY");
    assertThat(sites.calls()).endsWith("fence BACKUP @4", "promote PRIMARY @4", "redirect PRIMARY @4",
        "demote BACKUP @4");
    assertThat(sites.serving()).contains(Site.PRIMARY);
    assertThat(sites.refused()).isEmpty();
    assertThat(sites.violations()).isEmpty();
  }
}
