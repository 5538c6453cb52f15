package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.retention.RetentionDecision;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionRule;
import dev.drkit.backup.retention.SnapshotDescriptor;
import dev.drkit.testkit.FakeClock;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.RetentionPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention through the repository: a dry run that changes nothing, and an apply that forgets. */
class RepositoryRetentionTest {
  @TempDir Path tmp;

  private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T03:00:00Z"));

  private Repository repoWithDailySnapshots(int days, List<String> ids) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(), null,
        RepositoryOptions.builder().clock(clock).host("h1").build());
    for (int d = 0; d < days; d++) {
      Files.writeString(src.resolve("f.txt"), "day " + d);
      BackupRequest.Builder req = BackupRequest.builder(FileTreeSource.of(src));
      if (d == 0) {
        req.tag("release");
      }
      ids.add(repo.backup(req.build()).id());
      clock.advance(Duration.ofDays(1));
    }
    return repo;
  }

  @Test
  void snapshotsAreSnapshotDescriptors() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Repository repo = repoWithDailySnapshots(1, ids)) {
      SnapshotDescriptor d = repo.snapshot(ids.get(0));
      assertThat(d.id()).isEqualTo(ids.get(0));
      assertThat(d.host()).isEqualTo("h1");
      assertThat(d.tags()).containsExactly("release");
      assertThat(d.time()).isEqualTo(Instant.parse("2026-01-01T03:00:00Z"));
    }
  }

  @Test
  void aDryRunSaysWhatWouldBeKeptAndWhyAndRemovesNothing() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Repository repo = repoWithDailySnapshots(5, ids)) {
      RetentionPolicy policy = RetentionPolicy.builder().keepLast(2).keepTag("release").build();
      RetentionPlan plan = repo.planRetention(policy);
      assertThat(plan.toKeep()).extracting(d -> d.snapshot().id()).containsExactly(ids.get(4), ids.get(3), ids.get(0));
      assertThat(plan.idsToRemove()).containsExactlyInAnyOrder(ids.get(1), ids.get(2));
      RetentionDecision oldest = plan.toKeep().get(2);
      assertThat(oldest.reasons()).extracting(r -> r.rule()).containsExactly(RetentionRule.TAG);
      assertThat(plan.toKeep().get(0).reasons()).extracting(r -> r.rule()).containsExactly(RetentionRule.LAST);
      assertThat(repo.snapshots()).hasSize(5);
    }
  }

  @Test
  void applyingForgetsWhatThePlanRemoves() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Repository repo = repoWithDailySnapshots(5, ids)) {
      RetentionPlan plan = repo.applyRetention(RetentionPolicy.builder().keepLast(2).build());
      assertThat(plan.idsToRemove()).hasSize(3);
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactlyInAnyOrder(ids.get(3), ids.get(4));
    }
  }

  @Test
  void keepWithinCountsBackFromTheRepositorysClock() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Repository repo = repoWithDailySnapshots(5, ids)) {
      RetentionPlan plan = repo.planRetention(RetentionPolicy.builder().keepWithin(Duration.ofHours(36)).build());
      assertThat(plan.toKeep()).extracting(d -> d.snapshot().id()).containsExactly(ids.get(4), ids.get(3));
    }
  }

  @Test
  void refusesAPlanThatWouldEmptyAGroupAndRemovesNothing() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Repository repo = repoWithDailySnapshots(3, ids)) {
      RetentionPolicy typo = RetentionPolicy.builder().keepTag("relaese").build();
      assertThat(repo.planRetention(typo).emptiedGroups()).hasSize(1);
      assertThatThrownBy(() -> repo.applyRetention(typo))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("would remove every snapshot of");
      assertThat(repo.snapshots()).hasSize(3);
    }
  }
}
