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
import dev.drkit.core.spi.PreparingRebuildTarget;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
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
import org.jspecify.annotations.Nullable;
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
      List<Map<Integer, NativeThread>> nativeThreads = new ArrayList<>();
      EventBus events = new EventBus();
      events.subscribe(e -> {
        int at = e.type().endsWith("rebuild.loaded") ? 0 : e.type().endsWith("rebuild.replayed") ? 3 : -1;
        if (at >= 0) {
          nativeThreads.add(nativeThreads());
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
      TimedTarget timed = new TimedTarget(new OrderRebuildTarget(site, backup,
          () -> Repository.open(new FileSystemBlobStore(repoDir), null, options), tmp.resolve("rebuild-staging"),
          Optional::empty), n - half);
      FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
          .rto(Duration.ofMinutes(30)).build()).stateStore(new InMemoryStateStore()).actions(none).eventBus(events)
          .coordinator(coordinator).rebuildSources(new RebuildSources(
              new RepositorySnapshotCatalog(() -> Repository.open(new FileSystemBlobStore(repoDir), null, options),
                  (service, s) -> true), replay,
              timed)).build();
      long start = System.nanoTime();
      ServiceState s = engine.rebuild(RebuildRequest.latest(), "measure", "measure");
      long total = System.nanoTime() - start;
      RebuildReport r = RebuildReport.of(s).orElseThrow();
      assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
      assertThat(site.orderIds()).hasSize(n);
      long applyCpu = cpu[4] - cpu[1];
      long processCpu = cpu[3] - cpu[0];
      StringBuilder busiest = new StringBuilder();
      threadCpu.entrySet().stream().filter(t -> t.getValue() >= 50_000_000L)
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(t -> busiest.append(' ').append(t.getKey().replace(' ', '_')).append('=')
              .append(t.getValue() / 1_000_000).append("ms"));
      System.out.println("REPLAY-SECOND-HALF " + timed.secondHalf());
      System.out.println("REPLAY-NATIVE-THREADS " + nativeProfile(nativeThreads.get(0), nativeThreads.get(1),
          processCpu));
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

  /** One native thread of this process: its name (15 characters at most) and CPU time so far. */
  record NativeThread(String name, long cpuNanos) {}

  /**
   * @return every native thread of this JVM (Java threads, GC, JIT compilers, the VM thread) by its
   *     Linux thread id, from {@code /proc/self/task} (in clock ticks of 10 ms); empty elsewhere
   */
  static Map<Integer, NativeThread> nativeThreads() {
    Map<Integer, NativeThread> out = new TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String[] f = stat.substring(close + 2).split(" ");
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
          out.put(Integer.parseInt(t.getFileName().toString()),
              new NativeThread(stat.substring(open + 1, close), ticks * 10_000_000L));
        } catch (IOException | RuntimeException e) {
          // the thread ended while listed
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /**
   * @return the CPU time each kind of native thread used between two listings (threads of one kind,
   *     such as the GC's workers, summed), and what threads that ended in between used
   */
  static String nativeProfile(Map<Integer, NativeThread> before, Map<Integer, NativeThread> after,
      long processCpu) {
    Map<String, Long> byKind = new TreeMap<>();
    long seen = 0;
    for (Map.Entry<Integer, NativeThread> e : after.entrySet()) {
      NativeThread b = before.get(e.getKey());
      long used = e.getValue().cpuNanos() - (b == null ? 0 : b.cpuNanos());
      seen += used;
      byKind.merge(e.getValue().name().replaceAll("#?\\d+$", "").replace(' ', '_'), used, Long::sum);
    }
    StringBuilder out = new StringBuilder();
    byKind.entrySet().stream().filter(k -> k.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(k -> out.append(' ').append(k.getKey()).append('=').append(k.getValue() / 1_000_000).append("ms"));
    return out.append(" ended-threads=").append((processCpu - seen) / 1_000_000).append("ms").toString().trim();
  }

  /**
   * The example's target, with the time and CPU (the process's, the applying thread's) noted after
   * each applied batch, for the rate of the replay's second half (JIT compilation and warm-up weigh
   * mostly on the first).
   */
  private static final class TimedTarget implements PreparingRebuildTarget<OrderRebuildTarget.Decoded> {
    private final OrderRebuildTarget target;
    private final List<long[]> marks = new ArrayList<>();
    private final long expected;
    private long records;
    private @Nullable Map<Integer, NativeThread> halfway;
    private @Nullable Map<Integer, NativeThread> done;
    private long halfwayProcessCpu;
    private long doneProcessCpu;

    /** @param expected how many records the replay applies (for the native threads' CPU in its second half) */
    TimedTarget(OrderRebuildTarget target, long expected) {
      this.target = target;
      this.expected = expected;
    }

    @Override
    public void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) throws Exception {
      target.loadSnapshot(service, site, snapshot, epoch);
    }

    @Override
    public OrderRebuildTarget.Decoded prepare(String service, List<ReplayRecord> batch) throws Exception {
      return target.prepare(service, batch);
    }

    @Override
    public void applyPrepared(String service, Site site, List<ReplayRecord> batch, OrderRebuildTarget.Decoded prepared,
        long epoch) throws Exception {
      if (marks.isEmpty()) {
        marks.add(new long[] {0, System.nanoTime(), PROCESS.getProcessCpuTime(), THREADS.getCurrentThreadCpuTime()});
      }
      target.applyPrepared(service, site, batch, prepared, epoch);
      records += batch.size();
      if (halfway == null && records >= expected / 2) {
        halfway = nativeThreads();
        halfwayProcessCpu = PROCESS.getProcessCpuTime();
      }
      if (records >= expected) {
        done = nativeThreads(); // the reader thread still runs (or has just handed over the end)
        doneProcessCpu = PROCESS.getProcessCpuTime();
      }
      marks.add(new long[] {records, System.nanoTime(), PROCESS.getProcessCpuTime(), THREADS.getCurrentThreadCpuTime()});
    }

    @Override
    public Optional<Instant> lastAcknowledgedWrite(String service) {
      return target.lastAcknowledgedWrite(service);
    }

    /** @return the rate and CPU per record from the first batch ending past half the records to the last */
    String secondHalf() {
      long[] last = marks.get(marks.size() - 1);
      long[] mid = marks.stream().filter(m -> m[0] >= last[0] / 2).findFirst().orElseThrow();
      long n = last[0] - mid[0];
      double secs = (last[1] - mid[1]) / 1e9;
      String threads = halfway == null || done == null ? "" : " threads: " + nativeProfile(halfway, done,
          doneProcessCpu - halfwayProcessCpu);
      return String.format("records=%d wall=%dms rate=%.0f/s processCpu=%dms (%.2f us/record) applyThreadCpu=%dms"
          + " (%.2f us/record)", n, (last[1] - mid[1]) / 1_000_000, n / secs, (last[2] - mid[2]) / 1_000_000,
          (last[2] - mid[2]) / 1e3 / n, (last[3] - mid[3]) / 1_000_000, (last[3] - mid[3]) / 1e3 / n) + threads;
    }
  }
}
