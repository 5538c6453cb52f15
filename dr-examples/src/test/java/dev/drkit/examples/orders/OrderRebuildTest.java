package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.RepositorySnapshotCatalog;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.RebuildReport;
import dev.drkit.core.failover.RebuildRequest;
import dev.drkit.core.failover.RebuildSources;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationLogReplay;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole rebuild stack on real parts: an H2 order site whose writes go to a real replication
 * log, a dr-backup snapshot that records the log position, both sites' data lost, then the failover
 * engine's rebuild to a point in time just before a burst of bad writes.
 */
class OrderRebuildTest {
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  @TempDir Path tmp;

  @Test
  void rebuildsTheSiteFromItsSnapshotAndLogToJustBeforeTheBadWrites() throws Exception {
    FakeClock logClock = new FakeClock(Instant.parse("2026-05-01T12:00:00Z")); // the log's commit times
    OrderSite primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("primary"), Clock.systemUTC()).start();
    OrderSite backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("backup"), Clock.systemUTC());
    Path logDir = tmp.resolve("log");
    LogConfig logConfig = LogConfig.builder("orders").clock(logClock).build();
    ReplicationLog log = ReplicationLog.open(logDir, logConfig);
    primary.writeHook(o -> log.append(1, JSON.writeValueAsBytes(o)));
    primary.promote(1);
    List<String> good = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      good.add(primary.accept("good-" + i, "c", 100 + i, 1L).id());
    }

    // The backup: the quiesce hook notes the log's next offset before the dump starts (the site
    // appends to the log after its commit, so every record below it is in the dump).
    Path repoDir = tmp.resolve("repo");
    RepositoryOptions options = RepositoryOptions.builder().host("test").clock(logClock).build();
    Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.none(), null, options).close();
    Path staging = tmp.resolve("staging");
    Files.createDirectories(staging);
    long[] position = {-1};
    BackupSource dump = new BackupSource() {
      @Override
      public String description() {
        return staging.toString();
      }

      @Override
      public void prepare() {
        log.sync();
        position[0] = log.nextOffset();
        primary.dumpTo(staging.resolve("orders.sql"));
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) throws IOException {
        FileTreeSource.of(staging).scan(sink);
      }

      @Override
      public Optional<LogPosition> logPosition() {
        return Optional.of(new LogPosition(position[0], 1));
      }
    };
    Snapshot snap;
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), null, options)) {
      snap = repo.backup(BackupRequest.builder(dump).build());
    }
    assertThat(snap.logPosition()).isEqualTo(new LogPosition(40, 1));
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), null, options)) {
      assertThat(repo.snapshots().get(0).logPosition()).as("read back from the snapshot file")
          .isEqualTo(new LogPosition(40, 1));
    }

    for (int i = 40; i < 70; i++) {
      good.add(primary.accept("good-" + i, "c", 100 + i, 1L).id());
    }
    Instant beforeBad = logClock.instant();
    logClock.advance(Duration.ofSeconds(5));
    Set<String> bad = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      bad.add(primary.accept("bad-" + i, "c", 1, 1L).id());
    }
    log.sync();
    // Both sites' data is lost; the log survives on its own volume.
    primary.kill();
    log.close();
    primary.destroyData();

    List<String> actions = Collections.synchronizedList(new ArrayList<>());
    FailoverActions siteActions = new FailoverActions() {
      @Override
      public void fence(String service, Site site, long epoch) {
        actions.add("fence " + site + " @" + epoch);
      }

      @Override
      public void promote(String service, Site site, long epoch) {
        actions.add("promote " + site + " @" + epoch);
        (site == Site.PRIMARY ? primary : backup).promote(epoch);
      }

      @Override
      public void redirect(String service, Site site, long epoch) {
        actions.add("redirect " + site + " @" + epoch);
      }

      @Override
      public void resync(String service, Site target, Site source, long epoch) {}
    };
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);
    RebuildSources sources = new RebuildSources(
        new RepositorySnapshotCatalog(() -> Repository.open(new FileSystemBlobStore(repoDir), null, options),
            (service, s) -> true),
        new ReplicationLogReplay("orders", () -> Optional.of(ReplicationLog.open(logDir, logConfig))),
        new OrderRebuildTarget(primary, backup, () -> Repository.open(new FileSystemBlobStore(repoDir), null,
            options), tmp.resolve("rebuild-staging"), Optional::empty));
    FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
        .rto(Duration.ofMinutes(10)).build()).stateStore(new InMemoryStateStore()).actions(siteActions)
        .coordinator(coordinator).rebuildSources(sources).build();
    try {
      ServiceState s = engine.rebuild(RebuildRequest.latest().withTargetTime(beforeBad), "test", "bad writes");

      assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
      assertThat(s.epoch()).isEqualTo(2);
      assertThat(primary.orderIds()).containsExactlyInAnyOrderElementsOf(good).doesNotContainAnyElementsOf(bad);
      assertThat(primary.epoch()).isEqualTo(2);
      assertThat(actions).containsExactly("fence BACKUP @2", "fence PRIMARY @2", "promote PRIMARY @2",
          "redirect PRIMARY @2");
      RebuildReport r = RebuildReport.of(s).orElseThrow();
      assertThat(r.snapshotId()).isEqualTo(snap.id());
      assertThat(r.fromOffset()).isEqualTo(40);
      assertThat(r.applied()).isEqualTo(30);
      assertThat(r.lastApplied()).isEqualTo(69);
      assertThat(r.notReplayed()).isEqualTo(10);
      assertThat(r.notReplayedFirst()).isEqualTo(beforeBad.plusSeconds(5));
    } finally {
      primary.stop();
      backup.stop();
    }
  }
}
