package dev.drkit.benchmarks.replication;

import dev.drkit.core.EventBus;
import dev.drkit.replication.Durability;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: appends of 256-byte records to a {@link ReplicationLog} on the local disk, per durability
 * policy (interval = appends return at once, forced every 2 ms; group commit = each append waits
 * for a shared fsync, so run it with many threads: {@code -t 64}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ReplicationLogBenchmark {
  /** The durability policy. */
  @Param({"interval", "groupCommit"})
  public String durability;

  private Path dir;
  private ReplicationLog log;
  private final byte[] payload = new byte[256];

  /** @throws IOException on failure */
  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("drkit-log-bench");
    Durability d = durability.equals("interval") ? Durability.interval(Duration.ofMillis(2)) : Durability.groupCommit();
    log = ReplicationLog.open(dir, LogConfig.builder("bench").durability(d).eventBus(new EventBus()).build());
  }

  /** @return the offset */
  @Benchmark
  public long append() {
    return log.append(1, payload);
  }

  /** @throws IOException on failure */
  @TearDown(Level.Trial)
  public void close() throws IOException {
    log.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
