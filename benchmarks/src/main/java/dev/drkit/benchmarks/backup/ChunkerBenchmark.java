package dev.drkit.benchmarks.backup;

import dev.drkit.backup.internal.Chunker;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Throughput of the content-defined chunker alone, one thread, over 64 MiB of random data.
 * Bytes per second = 64 MiB / (time per operation). Also reports the number of chunks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class ChunkerBenchmark {
  /** min/avg/max in KiB. */
  @Param({"512/1024/8192", "256/512/2048", "64/128/1024"})
  public String sizes;

  private byte[] data;
  private Chunker chunker;

  /** Builds the data and the chunker. */
  @Setup
  public void setUp() {
    data = new byte[64 << 20];
    new Random(1).nextBytes(data);
    String[] s = sizes.split("/");
    chunker = new Chunker(new byte[32], Integer.parseInt(s[0]) << 10, Integer.parseInt(s[1]) << 10,
        Integer.parseInt(s[2]) << 10);
  }

  /** @return the number of chunks of 64 MiB */
  @Benchmark
  public int chunk64MiB() {
    int pos = 0;
    int n = 0;
    while (pos < data.length) {
      pos += chunker.cut(data, pos, data.length - pos);
      n++;
    }
    return n;
  }
}
