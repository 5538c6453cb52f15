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
import dev.drkit.core.EventBus;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.RebuildReport;
import dev.drkit.core.failover.RebuildRequest;
import dev.drkit.core.failover.RebuildSources;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.replication.Durability;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationLogReplay;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures a rebuild of the orders example (not a test: opt-in with
 * {@code -Drebuild.orders=N}; benchmarks/RESULTS.md has the command and figures). Half of the N
 * orders are in the snapshot, the other half are replayed from the log. Prints the rebuild
 * report's times and the replay step's CPU time (the process's and the applying thread's), which a
 * loaded machine inflates far less than the wall time.
 */
@EnabledIfSystemProperty(named = "rebuild.orders", matches = "\\d+")
class RebuildMeasurement {
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  @TempDir Path tmp;

  @Test
  void measure() throws Exception {
    int n = Integer.parseInt(System.getProperty("rebuild.orders"));
    OrderSite site = new OrderSite("primary", Site.PRIMARY, tmp.resolve("primary"), Clock.systemUTC()).start();
    Path logDir = tmp.resolve("log");
    LogConfig logConfig = LogConfig.builder("orders").durability(Durability.interval(Duration.ofMillis(50))).build();
    ReplicationLog log = ReplicationLog.open(logDir, logConfig);
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<Order> batch = new ArrayList<>();
    int half = n / 2;
    for (int i = 0; i < n; i++) {
      Order o = new Order(String.format("o-%08d", i), "c" + (i % 97), 100 + i, t0.plusMillis(i), 1, "primary");
      long off = log.append(1, JSON.writeValueAsBytes(o));
      if (i < half) {
        batch.add(o);
        if (batch.size() == 4096 || i == half - 1) {
          site.applyReplicated(batch, 1, off);
          batch.clear();
        }
      }
    }
    log.sync();
    Path repoDir = tmp.resolve("repo");
    RepositoryOptions options = RepositoryOptions.builder().host("m").build();
    Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.none(), null, options).close();
    Path staging = tmp.resolve("staging");
    Files.createDirectories(staging);
    BackupSource dump = new BackupSource() {
      @Override
      public String description() {
        return staging.toString();
      }

      @Override
      public void prepare() {
        site.dumpTo(staging.resolve("orders.sql"));
      }

      @Override
      public void scan(Consumer<SourceEntry> sink) throws IOException {
        FileTreeSource.of(staging).scan(sink);
      }

      @Override
      public Optional<LogPosition> logPosition() {
        return Optional.of(new LogPosition(half, 1));
      }
    };
    Snapshot snap;
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), null, options)) {
      snap = repo.backup(BackupRequest.builder(dump).build());
    }
    site.kill();
    log.close();
    site.destroyData();
    OrderSite backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("backup"), Clock.systemUTC());
    FailoverActions none = new FailoverActions() {
      @Override
      public void fence(String service, Site s, long epoch) {}

      @Override
      public void promote(String service, Site s, long epoch) {
        site.promote(epoch);
      }

      @Override
      public void redirect(String service, Site s, long epoch) {}

      @Override
      public void resync(String service, Site target, Site source, long epoch) {}
    };
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);
    try (ReplicationLogReplay replay = new ReplicationLogReplay("orders",
        () -> Optional.of(ReplicationLog.open(logDir, logConfig)))) {
      // CPU time of the replay step, from the "loaded" to the "replayed" event (both published on the
      // rebuilding thread): the whole process's (both replay threads, GC, JIT) and the applying thread's.
      long[] cpu = new long[6];
      Map<String, Long> threadCpu = new TreeMap<>();
      EventBus events = new EventBus();
      events.subscribe(e -> {
        int at = e.type().endsWith("rebuild.loaded") ? 0 : e.type().endsWith("rebuild.replayed") ? 3 : -1;
        if (at >= 0) {
          cpu[at] = PROCESS.getProcessCpuTime();
          cpu[at + 1] = THREADS.getCurrentThreadCpuTime();
          cpu[at + 2] = ManagementFactory.getGarbageCollectorMXBeans().stream()
              .mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
          for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t != null) {
              long c = THREADS.getThreadCpuTime(t.getThreadId());
              threadCpu.merge(t.getThreadName(), at == 0 ? -c : c, Long::sum);
            }
          }
        }
      });
      FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
          .rto(Duration.ofMinutes(30)).build()).stateStore(new InMemoryStateStore()).actions(none).eventBus(events)
          .coordinator(coordinator).rebuildSources(new RebuildSources(
              new RepositorySnapshotCatalog(() -> Repository.open(new FileSystemBlobStore(repoDir), null, options),
                  (service, s) -> true), replay,
              new OrderRebuildTarget(site, backup, () -> Repository.open(new FileSystemBlobStore(repoDir), null,
                  options), tmp.resolve("rebuild-staging"), Optional::empty))).build();
      long start = System.nanoTime();
      ServiceState s = engine.rebuild(RebuildRequest.latest(), "measure", "measure");
      long total = System.nanoTime() - start;
      RebuildReport r = RebuildReport.of(s).orElseThrow();
      assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
      assertThat(site.orderIds()).hasSize(n);
      long processCpu = cpu[3] - cpu[0];
      long applyCpu = cpu[4] - cpu[1];
      StringBuilder busiest = new StringBuilder();
      threadCpu.entrySet().stream().filter(t -> t.getValue() >= 50_000_000L)
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(t -> busiest.append(' ').append(t.getKey().replace(' ', '_')).append('=')
              .append(t.getValue() / 1_000_000).append("ms"));
      System.out.printf("REPLAY-THREADS gcPauses=%dms javaThreadsCpu:%s%n", cpu[5] - cpu[2], busiest);
      System.out.printf("REBUILD orders=%d snapshotOrders=%d snapshotBytes=%d stored=%d load=%dms replayed=%d"
          + " replay=%dms rate=%.0f/s total=%dms replayCpu=%dms (%.0f records per CPU-second) applyThreadCpu=%dms"
          + " (%.0f records per CPU-second)%n", n, half, snap.stats().totalBytes(), snap.stats().bytesStored(),
          r.loadDuration().toMillis(), r.applied(), r.replayDuration().toMillis(), r.replayRate(), total / 1_000_000,
          processCpu / 1_000_000, r.applied() / (processCpu / 1e9), applyCpu / 1_000_000,
          r.applied() / (applyCpu / 1e9));
    } finally {
      site.stop();
    }
  }
}
