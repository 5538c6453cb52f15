package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RebuildTest {
  private static Instant t(long seconds) {
    return FakeRebuild.T0.plusSeconds(seconds);
  }

  private static FailoverEngine engine(Harness h, FakeRebuild f) {
    return h.builder().rebuildSources(new RebuildSources(f, f, f)).build();
  }

  @Test
  void rebuildsFromTheLatestSnapshotAndReplaysFromItsLogPositionToTheEnd() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(5).add("del k1").puts(4);
    f.snapshot("aaaa1111", 3, t(3)).snapshot("bbbb2222", 6, t(6));
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "both sites lost");

    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(s.epoch()).isEqualTo(2);
    assertThat(f.store).isEqualTo(f.expectedUpTo(9));
    assertThat(f.calls).containsExactly("load bbbb2222 into PRIMARY @2", "apply 6..9 @2");
    assertThat(f.violations).isEmpty();
    assertThat(h.sites.calls).containsExactly("fence BACKUP @2", "fence PRIMARY @2", "promote PRIMARY @2",
        "redirect PRIMARY @2");
    assertThat(h.validations).containsExactly("PRIMARY@2");
    assertThat(h.writable()).containsExactly(Site.PRIMARY);
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.snapshotId()).isEqualTo("bbbb2222");
    assertThat(r.fromOffset()).isEqualTo(6);
    assertThat(r.applied()).isEqualTo(4);
    assertThat(r.lastApplied()).isEqualTo(9);
    assertThat(r.stop()).isEqualTo("end");
    assertThat(r.notReplayed()).isZero();
    assertThat(h.eventTypes()).contains("failover.rebuild.loaded", "failover.rebuild.replayed");
    assertThat(h.engine().phaseHistory()).isEmpty();
  }

  @Test
  void replaysToATimeAndReportsWhatItDeliberatelyDidNotReplay() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(8).add("del k0").add("del k1").add("del k2").puts(1);
    f.snapshot("aaaa1111", 4, t(4));
    // Records 8..10 are the bulk delete committed at t(8)..t(10); rebuild to just before it.
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest().withTargetTime(t(7)), "alice", "bad delete");

    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.expectedUpTo(7)).containsKeys("k0", "k1", "k2");
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.stop()).isEqualTo("target");
    assertThat(r.lastApplied()).isEqualTo(7);
    assertThat(r.lastAppliedTime()).isEqualTo(t(7));
    assertThat(r.notReplayed()).isEqualTo(4);
    assertThat(r.notReplayedFirst()).isEqualTo(t(8));
    assertThat(r.notReplayedLast()).isEqualTo(t(11));
    assertThat(r.summary()).contains("NOT replayed: 4 records committed " + t(8) + " .. " + t(11));
  }

  @Test
  void replaysToAnOffsetInclusive() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 2, t(2));
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest().withTargetOffset(5), "alice", "test");
    assertThat(f.store).isEqualTo(f.expectedUpTo(5));
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.applied()).isEqualTo(4);
    assertThat(r.notReplayed()).isEqualTo(4);
  }

  @Test
  void aTargetTimeBeforeTheOldestSnapshotIsRefusedNamingItAndChangesNothing() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("bbbb2222", 6, t(6)).snapshot("aaaa1111", 3, t(3));
    FailoverEngine e = engine(h, f);
    long version = e.versionedState().version();
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest().withTargetTime(t(2)), "alice", "test"))
        .isInstanceOf(RebuildRefusedException.class)
        .hasMessageContaining("time " + t(2))
        .hasMessageContaining("before the oldest snapshot aaaa1111");
    assertThat(h.store.load("orders").orElseThrow().version()).isEqualTo(version);
    assertThat(e.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(h.sites.calls).isEmpty();
    assertThat(f.calls).isEmpty();
    assertThat(h.events("failover.refused")).hasSize(1);
  }

  @Test
  void aChosenSnapshotNewerThanTheTargetIsRefusedNamingTheNewestUsableOne() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 3, t(3)).snapshot("bbbb2222", 6, t(6));
    FailoverEngine e = engine(h, f);
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest().withSnapshot("bbbb").withTargetTime(t(5)), "a", "b"))
        .isInstanceOf(RebuildRefusedException.class)
        .hasMessageContaining("before snapshot bbbb2222")
        .hasMessageContaining("usable for it is aaaa1111");
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest().withTargetOffset(1), "a", "b"))
        .isInstanceOf(RebuildRefusedException.class).hasMessageContaining("offset 1")
        .hasMessageContaining("oldest snapshot aaaa1111");
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest().withSnapshot("cccc"), "a", "b"))
        .isInstanceOf(RebuildRefusedException.class).hasMessageContaining("no snapshot 'cccc'");
  }

  @Test
  void latestWithATargetTimePicksTheNewestSnapshotTakenAtOrBeforeIt() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 3, t(3)).snapshot("bbbb2222", 6, t(6)).snapshot("cccc3333", 9, t(9));
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest().withTargetTime(t(7)), "a", "b");
    assertThat(RebuildReport.of(s).orElseThrow().snapshotId()).isEqualTo("bbbb2222");
    assertThat(f.store).isEqualTo(f.expectedUpTo(7));
    ServiceState s2 = engine(h, f).rebuild(RebuildRequest.latest().withSnapshotBefore(t(5)), "a", "b");
    assertThat(RebuildReport.of(s2).orElseThrow().snapshotId()).isEqualTo("aaaa1111");
    assertThat(s2.epoch()).isEqualTo(3);
    assertThat(f.store).isEqualTo(f.expectedUpTo(9));
  }

  @Test
  void aGapAfterTheSnapshotStopsTheReplayNamingTheOffsetAndWhatWasRecovered() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    f.gapAt = 7;
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.attributes().get(FailoverEngine.ATTR_SERVING_SITE)).isEqualTo(FailoverEngine.NO_SITE);
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.error()).contains("gap in the log at offset 7")
        .contains("recovered: snapshot aaaa1111 and log records 4..6 (3 records)");
    assertThat(h.sites.calls).doesNotContain("promote PRIMARY @2");
    assertThat(h.writable()).isEmpty();
    // The operator serves what was recovered by rebuilding to just before the damage.
    ServiceState again = engine(h, f).rebuild(RebuildRequest.latest().withTargetOffset(6), "alice", "serve 0..6");
    assertThat(again.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.expectedUpTo(6));
    assertThat(RebuildReport.of(again).orElseThrow().error()).isNull();
  }

  @Test
  void aChecksumFailureStopsTheReplayNamingTheOffset() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    f.damagedAt = 8;
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.attributes().get(FailoverEngine.ATTR_ERROR)).contains("offset 8 fails its checksum")
        .contains("log records 4..7 (4 records)");
  }

  @Test
  void damageOrAGapAtTheVeryFirstRecordAfterTheSnapshotRecoversTheSnapshotAloneNamingTheOffset() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    f.damagedAt = 4;
    ServiceState damaged = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(damaged.state()).isEqualTo(FailoverState.FAILED);
    assertThat(RebuildReport.of(damaged).orElseThrow().error()).contains("offset 4 fails its checksum")
        .contains("recovered: snapshot aaaa1111 and no log record");

    f.damagedAt = -1;
    f.gapAt = 4;
    ServiceState gap = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(gap.state()).isEqualTo(FailoverState.FAILED);
    assertThat(RebuildReport.of(gap).orElseThrow().error()).contains("gap in the log at offset 4 (the next record"
        + " read is offset 5)").contains("recovered: snapshot aaaa1111 and no log record");
    assertThat(f.calls).noneMatch(c -> c.startsWith("apply"));
  }

  @Test
  void aLogThatEndsAtTheSnapshotPositionReplaysNothingAndCompletesAtTheSnapshot() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(4);
    f.snapshot("aaaa1111", 4, t(4));
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest().withTargetTime(t(4)), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.expectedUpTo(3));
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.applied()).isZero();
    assertThat(r.notReplayed()).isZero();
    assertThat(r.stop()).isEqualTo("end");
  }

  @Test
  void aLogEndingBeforeTheSnapshotPositionStopsAtTheSnapshotAndSaysSoInsteadOfReportingTheEndOfTheLog() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 8, t(8));
    f.log.subList(5, 10).clear(); // the log lost the tail the snapshot holds, and everything after it
    f.lastAck = t(9);
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.snapshotData.get("aaaa1111"));
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.stop()).isEqualTo("log-behind");
    assertThat(r.applied()).isZero();
    assertThat(r.rpo()).as("measured from the snapshot, as with the log gone").isEqualTo(Duration.ofSeconds(1));
    assertThat(r.summary()).contains("stopped at log-behind");
  }

  @Test
  void aLogTruncatedPastTheSnapshotPositionIsAGapNamingTheMissingOffsets() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    f.firstOffset = 6;
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.attributes().get(FailoverEngine.ATTR_ERROR)).contains("offsets 4..5 are gone");
  }

  @Test
  void withTheLogGoneTheRebuildStopsAtTheSnapshotAndMeasuresTheGapToTheLastAcknowledgedWrite() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    f.logAvailable = false;
    f.lastAck = t(9).plusMillis(250);
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.expectedUpTo(3));
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.stop()).isEqualTo("log-gone");
    assertThat(r.rpo()).isEqualTo(Duration.ofMillis(5250));
  }

  @Test
  void replaysARecordExactlyAtTheTargetTimeWithItsEqualTimedNeighboursAndCountsSkewedRecordsLeftOut() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(4);
    f.snapshot("aaaa1111", 2, t(2));
    f.add("put a x", t(5), 1).add("put b x", t(5), 1).add("put c x", t(5), 1) // offsets 4..6, all at the target
        .add("put d x", t(6), 1) // 7: the first past it
        .add("put e x", t(4), 1) // 8: behind it in the log, committed before the target (a clock behind)
        .add("put f x", t(7), 1); // 9
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest().withTargetTime(t(5)), "alice", "skew");

    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.expectedUpTo(6)).containsKeys("a", "b", "c").doesNotContainKeys("d", "e", "f");
    RebuildReport r = RebuildReport.of(s).orElseThrow();
    assertThat(r.lastApplied()).isEqualTo(6);
    assertThat(r.lastAppliedTime()).isEqualTo(t(5));
    assertThat(r.stop()).isEqualTo("target");
    assertThat(r.notReplayed()).isEqualTo(3);
    assertThat(r.notReplayedFirst()).isEqualTo(t(6));
    assertThat(r.notReplayedLast()).isEqualTo(t(7));
    assertThat(r.notReplayedAtOrBeforeTarget()).isEqualTo(1);
    assertThat(r.summary()).contains("1 of them committed at or before the target");
  }

  @Test
  void aTargetTimeOnlyOffsetsFromTheSnapshotCountNoSkewWhenTheLogIsInOrder() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 2, t(2));
    RebuildReport r = RebuildReport.of(engine(h, f).rebuild(RebuildRequest.latest().withTargetTime(t(6)), "a", "b"))
        .orElseThrow();
    assertThat(r.notReplayed()).isEqualTo(3);
    assertThat(r.notReplayedAtOrBeforeTarget()).isZero();
    assertThat(r.summary()).doesNotContain("clock skew");
  }

  @Test
  void aLogOfAnOlderEpochThanTheSnapshotStopsTheReplayNamingTheOffsetAndEpochs() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10); // every record at epoch 1
    f.snapshot("aaaa1111", 4, t(4), 2); // taken under epoch 2: this log is not its line
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(RebuildReport.of(s).orElseThrow().error())
        .contains("record at offset 4 was written at epoch 1, older than epoch 2 of the snapshot's log position")
        .contains("recovered: snapshot aaaa1111 and no log record");
    assertThat(f.calls).isNotEmpty().allMatch(c -> c.equals("load aaaa1111 into PRIMARY @2"));
    assertThat(h.writable()).isEmpty();
  }

  @Test
  void aLogWhoseRecordBeforeTheSnapshotPositionIsOfANewerEpochIsAnotherLineAndIsNotReplayed() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild();
    for (int i = 0; i < 10; i++) {
      f.add("put k" + i + " w" + i, t(i), 3); // a later epoch's fresh log, offsets from 0 again
    }
    f.snapshot("aaaa1111", 4, t(4), 1);
    ServiceState s = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(RebuildReport.of(s).orElseThrow().error())
        .contains("record at offset 3, before snapshot aaaa1111's log position 4, was written at epoch 3, after the"
            + " snapshot's epoch 1");
    assertThat(f.calls).noneMatch(c -> c.startsWith("apply"));
  }

  @Test
  void epochsRisingAlongTheLogAreReplayedAndAnEpochGoingDownStopsTheReplayAtIt() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(6);
    f.add("put x 1", t(6), 2).add("put y 1", t(7), 2); // a role change inside one log: legal
    f.snapshot("aaaa1111", 4, t(4));
    ServiceState ok = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "rising");
    assertThat(ok.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.store).isEqualTo(f.expectedUpTo(7));

    f.add("put z 1", t(8), 1); // offset 8 goes back to epoch 1: another line spliced in
    ServiceState bad = engine(h, f).rebuild(RebuildRequest.latest(), "alice", "falling");
    assertThat(bad.state()).isEqualTo(FailoverState.FAILED);
    assertThat(RebuildReport.of(bad).orElseThrow().error())
        .contains("record at offset 8 was written at epoch 1, older than epoch 2 of the record before it")
        .contains("log records 4..7 (4 records)");
  }

  @Test
  void anAmbiguousSnapshotPrefixIsRefusedListingTheMatchesAndAFullIdWinsOverLongerOnes() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 3, t(3)).snapshot("aaaa2222", 6, t(6)).snapshot("aaaa11119", 7, t(7));
    FailoverEngine e = engine(h, f);
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest().withSnapshot("aaaa"), "a", "b"))
        .isInstanceOf(RebuildRefusedException.class).hasMessageContaining("prefix 'aaaa' is ambiguous: 3 snapshots")
        .hasMessageContaining("aaaa1111 (taken " + t(3)).hasMessageContaining("aaaa2222 (taken " + t(6))
        .hasMessageContaining("aaaa11119 (taken " + t(7));
    assertThat(f.calls).isEmpty();
    ServiceState s = e.rebuild(RebuildRequest.latest().withSnapshot("aaaa1111"), "a", "b");
    assertThat(RebuildReport.of(s).orElseThrow().snapshotId()).isEqualTo("aaaa1111");
  }

  @Test
  void aSnapshotIdOrPrefixInAnotherCaseNamesTheSnapshotAndAnExactIdStillWins() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 3, t(3)).snapshot("aaaa2222", 6, t(6)).snapshot("aaaa11119", 7, t(7));
    FailoverEngine e = engine(h, f);
    assertThat(RebuildReport.of(e.rebuild(RebuildRequest.latest().withSnapshot("AAAA2"), "a", "upper prefix"))
        .orElseThrow().snapshotId()).isEqualTo("aaaa2222");
    assertThat(RebuildReport.of(e.rebuild(RebuildRequest.latest().withSnapshot("AAAA1111"), "a", "upper full id"))
        .orElseThrow().snapshotId()).isEqualTo("aaaa1111");
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest().withSnapshot("AaAa1"), "a", "b"))
        .isInstanceOf(RebuildRefusedException.class).hasMessageContaining("prefix 'AaAa1' is ambiguous: 2 snapshots");
  }

  @Test
  void latestWithAnEmptyCatalogueIsRefusedAndChangesNothing() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(3);
    FailoverEngine e = engine(h, f);
    long version = e.versionedState().version();
    assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest(), "a", "b"))
        .isInstanceOf(RebuildRefusedException.class).hasMessageContaining("holds no snapshot of it");
    assertThat(h.store.load("orders").orElseThrow().version()).isEqualTo(version);
    assertThat(h.sites.calls).isEmpty();
  }

  @Test
  void whileARebuildRunsASecondRebuildOrAFailoverIsRefusedAndAResumeDoesNotReplayTwice() throws Exception {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    FailoverEngine e = engine(h, f);
    CountDownLatch applying = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    f.hook = where -> {
      if (where.equals("apply")) {
        applying.countDown();
        try {
          assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException ex) {
          throw new IllegalStateException(ex);
        }
      }
    };
    CompletableFuture<ServiceState> first = CompletableFuture.supplyAsync(
        () -> e.rebuild(RebuildRequest.latest().withTargetOffset(7), "alice", "first"));
    assertThat(applying.await(30, TimeUnit.SECONDS)).isTrue();
    try {
      assertThatThrownBy(() -> e.rebuild(RebuildRequest.latest(), "bob", "second"))
          .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("REBUILDING");
      assertThatThrownBy(() -> e.failover("bob", "failover during a rebuild"))
          .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("REBUILDING");
      assertThat(e.resume().state()).as("a resume while the rebuild runs returns at once")
          .isEqualTo(FailoverState.REBUILDING);
    } finally {
      release.countDown();
    }
    ServiceState s = first.get(30, TimeUnit.SECONDS);
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(RebuildReport.of(s).orElseThrow().request().toOffset()).isEqualTo(7);
    assertThat(f.calls).containsExactly("load aaaa1111 into PRIMARY @2", "apply 4..7 @2");
    assertThat(f.violations).isEmpty();
    assertThat(f.store).isEqualTo(f.expectedUpTo(7));
  }

  @Test
  void aRebuildWithoutSourcesIsAnErrorAndARunningPhaseRefusesIt() {
    Harness h = new Harness();
    assertThatThrownBy(() -> h.engine().rebuild(RebuildRequest.latest(), "a", "b"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("RebuildSources");
  }

  @Test
  void aFailedRebuildIsRetriedFromItsFirstStepNotDone() {
    Harness h = new Harness();
    FakeRebuild f = new FakeRebuild().puts(10);
    f.snapshot("aaaa1111", 4, t(4));
    h.validationPasses.set(false);
    FailoverEngine e = engine(h, f);
    ServiceState failed = e.rebuild(RebuildRequest.latest(), "alice", "test");
    assertThat(failed.state()).isEqualTo(FailoverState.FAILED);
    assertThat(failed.attributes().get(FailoverEngine.ATTR_SERVING_SITE)).as("validation runs once the rebuilt site"
        + " serves").isEqualTo("PRIMARY");
    h.validationPasses.set(true);
    ServiceState s = e.retry("alice", "validation fixed");
    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(f.calls).containsExactly("load aaaa1111 into PRIMARY @2", "apply 4..9 @2");
    assertThat(f.store).isEqualTo(f.expectedUpTo(9));
  }

  /**
   * Crashes the engine at every point of a rebuild (before and after every state write, inside
   * every action and every call of the rebuild target) and resumes with a fresh engine on the same
   * store: the end state is always the same, and the store equals the snapshot plus the log.
   */
  @Test
  void aCrashAtEveryStepOfARebuildResumesOnAFreshEngineToTheSameEnd() {
    List<String> points = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      points.add("write-before:" + i);
      points.add("write-after:" + i);
    }
    for (String op : List.of("fence", "promote", "redirect")) {
      points.add("site-before:" + op);
      points.add("site-after:" + op);
    }
    for (String op : List.of("load", "loaded", "apply", "applied")) {
      points.add("target:" + op);
    }
    int reached = 0;
    for (String point : points) {
      Harness h = new Harness(new InMemoryStateStore());
      FakeRebuild f = new FakeRebuild().puts(6).add("del k2").puts(3);
      f.snapshot("aaaa1111", 4, t(4));
      FailoverEngine first = engine(h, f);
      AtomicInteger writes = new AtomicInteger();
      AtomicInteger once = new AtomicInteger(1);
      String[] p = point.split(":");
      switch (p[0]) {
        case "write-before", "write-after" -> h.store.crashPoint = where -> {
          if (where.equals(p[0].substring(6)) && (where.equals("before") ? writes.incrementAndGet()
              : writes.get()) == Integer.parseInt(p[1]) && once.getAndDecrement() > 0) {
            throw new SimulatedCrash(point);
          }
          if (where.equals("after") && p[0].equals("write-after")) {
            writes.incrementAndGet();
          }
        };
        case "site-before" -> h.sites.fault((op, site, epoch) -> {
          if (op.equals(p[1]) && once.getAndDecrement() > 0) {
            throw new SimulatedCrash(point);
          }
        });
        case "site-after" -> h.sites.afterEach((op, site, epoch) -> {
          if (op.equals(p[1]) && once.getAndDecrement() > 0) {
            throw new SimulatedCrash(point);
          }
        });
        default -> f.hook = where -> {
          if (where.equals(p[1]) && once.getAndDecrement() > 0) {
            throw new SimulatedCrash(point);
          }
        };
      }
      boolean crashed = false;
      try {
        first.rebuild(RebuildRequest.latest(), "alice", "crash test");
      } catch (SimulatedCrash expected) {
        crashed = true;
      }
      h.store.crashPoint = where -> {};
      h.sites.fault((op, site, epoch) -> {});
      h.sites.afterEach((op, site, epoch) -> {});
      f.hook = where -> {};
      if (!crashed) {
        continue;
      }
      reached++;
      ServiceState before = h.store.load("orders").orElseThrow().value();
      ServiceState s = engine(h, f).resume();
      assertThat(s.state()).as("crash at %s (stored %s)", point, before.state())
          .isEqualTo(FailoverState.PRIMARY_ACTIVE);
      if (before.epoch() == 1) {
        // Crashed before REBUILDING was persisted: nothing happened, nothing to resume.
        assertThat(f.calls).as(point).isEmpty();
        continue;
      }
      assertThat(s.epoch()).as(point).isEqualTo(2);
      assertThat(f.store).as(point).isEqualTo(f.expectedUpTo(10));
      assertThat(f.violations).as(point).isEmpty();
      assertThat(h.sites.violations).as(point).isEmpty();
      assertThat(h.writable()).as(point).containsExactly(Site.PRIMARY);
      assertThat(h.sites.routedTo()).as(point).isEqualTo(Site.PRIMARY);
      assertThat(RebuildReport.of(s).orElseThrow().applied()).as(point).isEqualTo(6);
    }
    assertThat(reached).as("crash points reached").isGreaterThanOrEqualTo(20);
  }
}
