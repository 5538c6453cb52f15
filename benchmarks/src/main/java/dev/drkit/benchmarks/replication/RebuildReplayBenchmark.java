package dev.drkit.benchmarks.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.RebuildReport;
import dev.drkit.core.failover.RebuildRequest;
import dev.drkit.core.failover.RebuildSources;
import dev.drkit.benchmarks.core.NoFailoverActions;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.PreparingRebuildTarget;
import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.replication.Durability;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationLogReplay;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: the library's own part of a rebuild's replay, without a host's store. A real
 * {@link ReplicationLog} on the local disk holds {@value #RECORDS} order-shaped records (about 130
 * bytes of JSON each); each invocation is a whole {@link FailoverEngine#rebuild} from a snapshot at
 * the log's start: the engine's phases and persisted state, {@link ReplicationLogReplay} reading the
 * segments, offset and epoch checks, batching, the read-ahead thread, and a target that only reads
 * each payload ({@code plain}: on the applying thread; {@code preparing}: a
 * {@link PreparingRebuildTarget} reading them on the read-ahead thread, as the orders example
 * decodes there). The score is time per replayed record; its inverse is the rate a store that costs
 * nothing would replay at, the ceiling the library puts on any host.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RebuildReplayBenchmark {
  /** Records in the log (and replayed per invocation). */
  static final int RECORDS = 500_000;

  /** Where the payloads are read: {@code plain} or {@code preparing}. */
  @Param({"plain", "preparing"})
  public String target;

  private Path dir;
  private LogConfig config;

  /** Writes the log. */
  @Setup(Level.Trial)
  public void writeLog() throws IOException {
    dir = Files.createTempDirectory("drkit-replay-bench");
    config = LogConfig.builder("orders").durability(Durability.interval(Duration.ofMillis(50)))
        .eventBus(new EventBus()).build();
    try (ReplicationLog log = ReplicationLog.open(dir, config)) {
      Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
      for (int i = 0; i < RECORDS; i++) {
        String json = "{\"id\":\"o-" + String.format("%08d", i) + "\",\"customer\":\"c" + (i % 97)
            + "\",\"amountCents\":" + (100 + i) + ",\"createdAt\":" + t0.plusMillis(i).getEpochSecond() + "."
            + String.format("%09d", t0.plusMillis(i).getNano()) + ",\"epoch\":1,\"site\":\"primary\"}";
        log.append(1, json.getBytes(StandardCharsets.US_ASCII));
      }
      log.sync();
    }
  }

  /**
   * One rebuild replaying the whole log.
   *
   * @return the sum of the payloads' lengths (so nothing is optimized away)
   * @throws Exception when the rebuild fails
   */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long rebuild() throws Exception {
    Counting counting = target.equals("plain") ? new PlainCounting() : new PreparingCounting();
    SnapshotRef snapshot = new SnapshotRef("s0", Instant.parse("2025-12-31T23:59:00Z"), new LogPosition(0, 1), 0);
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);
    try (ReplicationLogReplay replay = new ReplicationLogReplay("orders",
        () -> Optional.of(ReplicationLog.open(dir, config)))) {
      FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
          .rto(Duration.ofMinutes(30)).build()).stateStore(new InMemoryStateStore()).actions(NoFailoverActions.INSTANCE)
          .eventBus(new EventBus()).coordinator(coordinator)
          .rebuildSources(new RebuildSources(service -> List.of(snapshot), replay, counting)).build();
      ServiceState s = engine.rebuild(RebuildRequest.latest(), "bench", "bench");
      RebuildReport r = RebuildReport.of(s).orElseThrow();
      if (s.state() != FailoverState.PRIMARY_ACTIVE || r.applied() < RECORDS - 1) {
        throw new IllegalStateException("rebuild ended " + s.state() + " with " + r.applied() + " records applied");
      }
    }
    return counting.bytes;
  }

  /** Deletes the log. */
  @TearDown(Level.Trial)
  public void delete() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A store that costs nothing: it loads no snapshot and sums what it reads. */
  abstract static class Counting implements RebuildTarget {
    long bytes;

    @Override
    public void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) {}
  }

  /** Reads each payload on the applying thread. */
  static final class PlainCounting extends Counting {
    @Override
    public void apply(String service, Site site, List<ReplayRecord> records, long epoch) {
      for (ReplayRecord r : records) {
        bytes += r.payload().length + r.payload()[r.payload().length - 1];
      }
    }
  }

  /** Reads each payload on the read-ahead thread. */
  static final class PreparingCounting extends Counting implements PreparingRebuildTarget<Long> {
    @Override
    public Long prepare(String service, List<ReplayRecord> records) {
      long sum = 0;
      for (ReplayRecord r : records) {
        sum += r.payload().length + r.payload()[r.payload().length - 1];
      }
      return sum;
    }

    @Override
    public void applyPrepared(String service, Site site, List<ReplayRecord> records, Long prepared, long epoch) {
      bytes += prepared;
    }
  }
}
