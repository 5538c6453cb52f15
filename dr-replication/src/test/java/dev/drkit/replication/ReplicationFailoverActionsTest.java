package dev.drkit.replication;

import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicationFailoverActionsTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  final RecordingListener events = new RecordingListener();
  final EventBus bus = EventBus.of(events);
  final InProcessTransport transport = new InProcessTransport();
  final List<String> hostCalls = new ArrayList<>();
  ReplicationLog primaryLog;
  ReplicationLog backupLog;
  final ListSink primarySink = new ListSink();
  final ListSink backupSink = new ListSink();
  ReplicationFailoverActions actions;

  void setUp(ReplicationMode mode) {
    setUp(mode, false);
  }

  void setUp(ReplicationMode mode, boolean early) {
    primaryLog = ReplicationLog.open(dir.resolve("p"), LogConfig.builder(SVC).eventBus(bus).build());
    backupLog = ReplicationLog.open(dir.resolve("b"), LogConfig.builder(SVC).eventBus(bus).build());
    FailoverActions host = new FailoverActions() {
      @Override
      public void fence(String service, Site site, long epoch) {
        hostCalls.add("fence " + site + " " + epoch);
      }

      @Override
      public void promote(String service, Site site, long epoch) {
        hostCalls.add("promote " + site + " " + epoch);
      }

      @Override
      public void redirect(String service, Site site, long epoch) {
        hostCalls.add("redirect " + site + " " + epoch);
      }

      @Override
      public void resync(String service, Site target, Site source, long epoch) {
        hostCalls.add("resync " + target + " " + epoch);
      }
    };
    actions = ReplicationFailoverActions.builder(SVC).mode(mode).eventBus(bus).host(host)
        .shipBeforeDurable(early).rewindDivergedBackup(early)
        .site(Site.PRIMARY, new ReplicationFailoverActions.SiteHandle(primaryLog, primarySink, transport))
        .site(Site.BACKUP, new ReplicationFailoverActions.SiteHandle(backupLog, backupSink, transport)).build();
  }

  @AfterEach
  void tearDown() {
    actions.close();
    primaryLog.close();
    backupLog.close();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }


  long append(Site site, String payload, ListSink sink) throws InterruptedException {
    long off = actions.primary(site).append(bytes(payload));
    sink.local(new ListSink.Entry(actions.primary(site).epoch(), off, payload));
    return off;
  }

  @Test
  void aLatePromoteFromAnOlderEpochIsRefusedAndLeavesTheNewerPrimaryShipping() throws Exception {
    setUp(ReplicationMode.async());
    actions.start(Site.PRIMARY, 1);
    append(Site.PRIMARY, "p0", primarySink);
    // Let the shipper go idle first: closing a primary interrupts its shipper, and an interrupt in
    // the middle of the in-process replica's file write would close the backup's log channel.
    eventually("p0 applied on the backup").until(() -> backupSink.entries().size() == 1);
    actions.fence(SVC, Site.PRIMARY, 2);
    // a new leader took over the phase and acts at epoch 3; the old leader's promote at 2 arrives late
    actions.fence(SVC, Site.PRIMARY, 3);
    actions.promote(SVC, Site.BACKUP, 3);
    ReplicationPrimary current = actions.primary(Site.BACKUP);
    hostCalls.clear();

    assertThatThrownBy(() -> actions.promote(SVC, Site.BACKUP, 2)).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> actions.demote(SVC, Site.BACKUP, 2)).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> actions.resync(SVC, Site.PRIMARY, Site.BACKUP, 2))
        .isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> actions.fence(SVC, Site.PRIMARY, 2)).isInstanceOf(StaleEpochException.class);
    assertThat(actions.primary(Site.BACKUP)).as("the epoch-3 primary is untouched").isSameAs(current);
    assertThat(current.epoch()).isEqualTo(3);
    assertThat(hostCalls).as("nothing reached the host either").isEmpty();
    append(Site.BACKUP, "b0", backupSink);
  }

  @Test
  void failsOverAndBackWithoutLosingSynchronousWritesAndEndsWithIdenticalSites() throws Exception {
    setUp(ReplicationMode.sync());
    actions.start(Site.PRIMARY, 1);
    for (int i = 0; i < 20; i++) {
      append(Site.PRIMARY, "p" + i, primarySink);
    }
    ReplicationPrimary old = actions.primary(Site.PRIMARY);
    assertThat(actions.dataLossEstimator().estimate(SVC, Site.BACKUP)).isEqualTo(Duration.ZERO);

    actions.fence(SVC, Site.PRIMARY, 2);
    assertThatThrownBy(() -> old.append(bytes("late"))).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> primaryLog.append(1, bytes("late"))).isInstanceOf(StaleEpochException.class);
    actions.promote(SVC, Site.BACKUP, 2);
    actions.promote(SVC, Site.BACKUP, 2); // idempotent
    assertThat(backupSink.entries()).hasSize(20);
    // synchronous: the new primary's appends wait until the old primary is resynced and following
    actions.resync(SVC, Site.PRIMARY, Site.BACKUP, 2);
    actions.demote(SVC, Site.PRIMARY, 2);
    for (int i = 0; i < 6; i++) {
      long off = append(Site.BACKUP, "b" + i, backupSink);
      assertThat(primaryLog.durableOffset()).isGreaterThanOrEqualTo(off);
    }
    eventually("primary caught up").until(() -> primarySink.entries().size() == 26);
    assertThat(primarySink.entries()).isEqualTo(backupSink.entries());

    actions.fence(SVC, Site.BACKUP, 3);
    actions.promote(SVC, Site.PRIMARY, 3);
    actions.resync(SVC, Site.BACKUP, Site.PRIMARY, 3);
    actions.demote(SVC, Site.BACKUP, 3);
    append(Site.PRIMARY, "p-again", primarySink);
    eventually("backup caught up").until(() -> backupSink.entries().size() == 27);
    assertThat(backupSink.entries()).isEqualTo(primarySink.entries());
    assertThat(primaryLog.read(0, 100)).usingRecursiveFieldByFieldElementComparator()
        .isEqualTo(backupLog.read(0, 100));
    assertThat(hostCalls).containsSubsequence("fence PRIMARY 2", "promote BACKUP 2", "resync PRIMARY 2",
        "fence BACKUP 3", "promote PRIMARY 3", "resync BACKUP 3");
  }

  @Test
  void quarantinesTheOldPrimarysDivergentWritesOnFailback() throws Exception {
    setUp(ReplicationMode.async());
    actions.start(Site.PRIMARY, 1);
    for (int i = 0; i < 10; i++) {
      append(Site.PRIMARY, "p" + i, primarySink);
    }
    eventually("backup has 10").until(() -> backupSink.entries().size() == 10);
    // partition: the backup is promoted while the old primary, not yet fenced, keeps writing
    // locally (its shipper is refused by the promoted replica, so these never reach it)
    actions.replica(Site.BACKUP).promote(2);
    for (int i = 10; i < 13; i++) {
      long off = primaryLog.append(1, bytes("lost" + i));
      primarySink.local(new ListSink.Entry(1, off, "lost" + i));
    }
    actions.fence(SVC, Site.PRIMARY, 2);
    actions.promote(SVC, Site.BACKUP, 2);
    append(Site.BACKUP, "b0", backupSink);

    actions.resync(SVC, Site.PRIMARY, Site.BACKUP, 2);
    assertThat(primaryLog.quarantineFiles()).hasSize(1);
    assertThat(ReplicationLog.readQuarantine(primaryLog.quarantineFiles().get(0))).extracting(
        r -> new String(r.payload(), StandardCharsets.UTF_8)).containsExactly("lost10", "lost11", "lost12");
    assertThat(events.ofType("replication.divergence.quarantined")).hasSize(1);
    actions.demote(SVC, Site.PRIMARY, 2);
    eventually("old primary caught up").until(() -> primarySink.entries().size() == 11);
    assertThat(primarySink.entries()).isEqualTo(backupSink.entries());
  }

  @Test
  void shippingBeforeTheForceTheOldPrimaryComesBackByDemotionAloneAndRewindsOverTheTransport() throws Exception {
    setUp(ReplicationMode.async(), true);
    actions.start(Site.PRIMARY, 1);
    for (int i = 0; i < 10; i++) {
      append(Site.PRIMARY, "p" + i, primarySink);
    }
    eventually("backup has 10").until(() -> backupSink.entries().size() == 10);
    actions.replica(Site.BACKUP).promote(2);
    for (int i = 10; i < 13; i++) {
      long off = primaryLog.append(1, bytes("lost" + i));
      primarySink.local(new ListSink.Entry(1, off, "lost" + i));
    }
    actions.fence(SVC, Site.PRIMARY, 2);
    actions.promote(SVC, Site.BACKUP, 2);
    append(Site.BACKUP, "b0", backupSink);

    actions.demote(SVC, Site.PRIMARY, 2); // no resync: the new primary rewinds the old one when it connects
    eventually("old primary caught up").until(() -> primarySink.entries().size() == 11);
    assertThat(primarySink.entries()).isEqualTo(backupSink.entries());
    assertThat(ReplicationLog.readQuarantine(primaryLog.quarantineFiles().get(0))).extracting(
        r -> new String(r.payload(), StandardCharsets.UTF_8)).containsExactly("lost10", "lost11", "lost12");
    assertThat(events.ofType("replication.replica.rewound")).hasSize(1);
    assertThat(primaryLog.read(0, 100)).usingRecursiveFieldByFieldElementComparator()
        .isEqualTo(backupLog.read(0, 100));
  }

  @Test
  void estimatesDataLossFromReplicationLagAndForeverWhenNothingShips() throws Exception {
    setUp(ReplicationMode.async());
    assertThat(actions.dataLossEstimator().estimate(SVC, Site.BACKUP)).isGreaterThan(Duration.ofDays(365));
    actions.start(Site.PRIMARY, 1);
    assertThat(actions.dataLossEstimator().estimate(SVC, Site.PRIMARY)).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> actions.dataLossEstimator().estimate("other", Site.BACKUP))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("other");
  }
}
