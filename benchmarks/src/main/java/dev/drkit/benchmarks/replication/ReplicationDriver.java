package dev.drkit.benchmarks.replication;

import dev.drkit.core.EventBus;
import dev.drkit.replication.Durability;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicaApplier;
import dev.drkit.replication.ReplicationKeys;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationMode;
import dev.drkit.replication.ReplicationPrimary;
import dev.drkit.replication.TcpTransport;
import dev.drkit.replication.spi.ReplicationSink;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Runnable driver for the replication figures of issue 4, over real TCP on 127.0.0.1 and real
 * files: {@code throughput} (asynchronous, 256-byte records, end to end), {@code lag} (p50/p99/max
 * replication lag under a steady rate), {@code sync} (synchronous, group commit and fsync on both
 * sides, N concurrent writers, plus the machine's fsync latency) and {@code memory} (heap while the
 * backup is down). Usage:
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.drkit.benchmarks.replication.ReplicationDriver
 *     throughput|lag|sync|memory|fsync|all [seconds] [dir]</pre>
 */
public final class ReplicationDriver {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final int RECORD = 256;
  /** Seconds the lag scenario runs at its rate before measuring ({@code -Ddrkit.bench.lagWarmup}, default 2). */
  private static final int LAG_WARMUP_SECONDS = Integer.getInteger("drkit.bench.lagWarmup", 2);
  /**
   * How often the lag scenario's watcher polls the primary's acknowledged offset: the lag figures
   * are late by up to this much ({@code -Ddrkit.bench.watchMicros}, default 200). Polling faster
   * burns CPU that, on a machine with a CPU quota, delays the replication threads themselves.
   */
  private static final long WATCH_NANOS = 1000 * Long.getLong("drkit.bench.watchMicros", 200);
  /** How often the lag scenario's primary forces ({@code -Ddrkit.bench.lagIntervalMs}, default 1). */
  private static final long LAG_INTERVAL_MS = Long.getLong("drkit.bench.lagIntervalMs", 1);
  /** Zero-filled space kept ahead of each log's writer; {@code -Ddrkit.bench.preallocate=0} for the A/B run without. */
  private static final long PREALLOCATE = Long.getLong("drkit.bench.preallocate", 4L << 20);
  /** {@code -Ddrkit.bench.insecure=true}: both sites without authentication, for the A/B of the MAC's cost. */
  private static final boolean INSECURE = Boolean.getBoolean("drkit.bench.insecure");

  private ReplicationDriver() {}

  /**
   * @param args scenario, seconds, directory
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "all";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path base = args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir"));
    Path dir = Files.createTempDirectory(base, "drkit-repl-bench");
    try {
      switch (what) {
        case "throughput" -> throughput(dir, seconds);
        case "lag" -> {
          lag(dir.resolve("a"), seconds, 20_000, false);
          lag(dir.resolve("b"), seconds, 20_000, true);
        }
        case "sync" -> {
          sync(dir.resolve("a"), seconds, 64, false);
          sync(dir.resolve("b"), seconds, 64, true);
        }
        case "memory" -> memory(dir, seconds);
        case "fsync" -> fsync(dir);
        case "all" -> {
          fsync(dir.resolve("f"));
          throughput(dir.resolve("t"), seconds);
          lag(dir.resolve("l"), seconds, 20_000, false);
          lag(dir.resolve("l2"), seconds, 20_000, true);
          sync(dir.resolve("s"), seconds, 64, false);
          sync(dir.resolve("s2"), seconds, 64, true);
          memory(dir.resolve("m"), seconds);
        }
        default -> throw new IllegalArgumentException("unknown scenario " + what);
      }
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Counts applied records; the host state is discarded (the figure is the replication path). */
  static final class CountingSink implements ReplicationSink {
    volatile long applied = -1;

    @Override
    public void apply(long epoch, long offset, ByteBuffer payload) {
      applied = offset;
    }

    @Override
    public long appliedOffset() {
      return applied;
    }
  }

  record Pair(ReplicationLog primaryLog, ReplicationLog backupLog, TcpTransport server, TcpTransport client,
      ReplicaApplier applier, ReplicationPrimary primary) implements AutoCloseable {
    @Override
    public void close() {
      primary.close();
      client.close();
      server.close();
      primaryLog.close();
      backupLog.close();
    }
  }

  static Pair pair(Path dir, Durability durability, ReplicationMode mode) throws IOException {
    return pair(dir, durability, durability, mode, false);
  }

  static Pair pair(Path dir, Durability primaryDurability, Durability backupDurability, ReplicationMode mode,
      boolean shipBeforeDurable) throws IOException {
    Files.createDirectories(dir);
    EventBus bus = new EventBus();
    ReplicationLog plog = ReplicationLog.open(dir.resolve("primary"),
        LogConfig.builder("bench").durability(primaryDurability).preallocateBytes(PREALLOCATE).eventBus(bus).build());
    ReplicationLog blog = ReplicationLog.open(dir.resolve("backup"),
        LogConfig.builder("bench").durability(backupDurability).preallocateBytes(PREALLOCATE).eventBus(bus).build());
    ReplicaApplier applier = new ReplicaApplier("bench", blog, new CountingSink(), bus, Clock.systemUTC());
    ReplicationKeys keys = ReplicationKeys.generate("bench");
    TcpTransport.Builder sb = TcpTransport.builder(TcpTransport.Config.listening(new InetSocketAddress(LOOPBACK, 0)));
    TcpTransport server = (INSECURE ? sb.insecure() : sb.keys(keys)).build();
    server.serve("bench", applier);
    TcpTransport.Builder cb = TcpTransport.builder(
        TcpTransport.Config.connecting(new InetSocketAddress(LOOPBACK, server.boundPort())));
    TcpTransport client = (INSECURE ? cb.insecure() : cb.keys(keys)).build();
    ReplicationPrimary p = ReplicationPrimary.builder("bench", plog, client).mode(mode).eventBus(bus)
        .shipBeforeDurable(shipBeforeDurable)
        .heartbeatInterval(Duration.ofMillis(100)).reconnectDelay(Duration.ofMillis(20)).build();
    p.start();
    return new Pair(plog, blog, server, client, applier, p);
  }

  /** @return how the two logs batched their forces: forces and records per force on each side */
  static String forceStats(Pair p) {
    ReplicationLog a = p.primaryLog();
    ReplicationLog b = p.backupLog();
    return String.format(Locale.ROOT, "primary %d forces (%.1f records each, longest %.1f ms), backup %d forces"
        + " (%.1f records each, longest %.1f ms)", a.forceCount(), a.forcedRecords() / (double) Math.max(1,
        a.forceCount()), a.longestForceNanos() / 1e6, b.forceCount(), b.forcedRecords() / (double) Math.max(1,
        b.forceCount()), b.longestForceNanos() / 1e6) + "; force latency primary " + histogram(a) + ", backup "
        + histogram(b);
  }

  /** @return the log's force latencies as counts per power-of-two bucket, the fast ones merged */
  static String histogram(ReplicationLog log) {
    long[] h = log.forceLatencyHistogram();
    StringBuilder sb = new StringBuilder("{");
    long fast = 0;
    for (int i = 0; i <= 8; i++) {
      fast += h[i];
    }
    sb.append("<0.5ms:").append(fast);
    for (int i = 9; i < h.length; i++) {
      if (h[i] > 0) {
        double lo = (1L << i) / 1000.0;
        sb.append(String.format(Locale.ROOT, ", %.1f-%.1fms:%d", lo, lo * 2, h[i]));
      }
    }
    return sb.append('}').toString();
  }

  static void throughput(Path dir, int seconds) throws Exception {
    try (Pair p = pair(dir, Durability.interval(Duration.ofMillis(2)), ReplicationMode.async())) {
      byte[] payload = new byte[RECORD];
      long warm = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (System.nanoTime() < warm) {
        p.primary().append(payload);
      }
      waitAcked(p.primary(), p.primaryLog().nextOffset() - 1);
      long start = System.nanoTime();
      long cpu0 = processCpuNanos();
      long first = p.primaryLog().nextOffset();
      long end = start + Duration.ofSeconds(seconds).toNanos();
      while (System.nanoTime() < end) {
        p.primary().append(payload);
      }
      long last = p.primaryLog().nextOffset() - 1;
      double appendSecs = (System.nanoTime() - start) / 1e9;
      waitAcked(p.primary(), last);
      double totalSecs = (System.nanoTime() - start) / 1e9;
      double cpuSecs = (processCpuNanos() - cpu0) / 1e9;
      long n = last - first + 1;
      System.out.printf(Locale.ROOT,
          "throughput: async, TCP 127.0.0.1, %d-byte records, interval(2ms) durability both sides: %d records appended"
              + " in %.2f s; all acknowledged by the backup after %.2f s => %.0f records/s end to end (%.0f appends/s);"
              + " process CPU %.2f s (both sides in one JVM) => %.0f records per CPU-second%n",
          RECORD, n, appendSecs, totalSecs, n / totalSecs, n / appendSecs, cpuSecs, n / cpuSecs);
    }
  }

  static void waitAcked(ReplicationPrimary p, long offset) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (p.ackedOffset() < offset) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("backup did not catch up to " + offset);
      }
      Thread.sleep(1);
    }
  }

  static void lag(Path dir, int seconds, int rate, boolean early) throws Exception {
    try (Pair p = pair(dir, Durability.interval(Duration.ofMillis(LAG_INTERVAL_MS)), Durability.groupCommit(),
        ReplicationMode.async(), early)) {
      int warm = rate * LAG_WARMUP_SECONDS; // the same load, not measured: the JIT compiles meanwhile
      int total = rate * (seconds + LAG_WARMUP_SECONDS);
      AtomicLongArray appended = new AtomicLongArray(total);
      long[] lags = new long[total];
      long base = p.primaryLog().nextOffset();
      AtomicBoolean done = new AtomicBoolean();
      Thread watcher = new Thread(() -> {
        long seen = base - 1;
        while (!done.get() || seen < base + total - 1) {
          long a = p.primary().ackedOffset();
          if (a > seen) {
            long now = System.nanoTime();
            for (long o = seen + 1; o <= a && o < base + total; o++) {
              int i = (int) (o - base);
              while (appended.get(i) == 0) {
                Thread.onSpinWait();
              }
              lags[i] = now - appended.get(i);
            }
            seen = a;
          } else {
            LockSupport.parkNanos(WATCH_NANOS);
          }
        }
      });
      watcher.start();
      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      byte[] payload = new byte[RECORD];
      for (int i = 0; i < total; i++) {
        long now;
        while ((now = System.nanoTime()) < next) {
          LockSupport.parkNanos(next - now);
        }
        long t = System.nanoTime();
        p.primary().append(payload);
        appended.set(i, t);
        next += interval;
      }
      done.set(true);
      watcher.join(300_000);
      int worst = warm;
      for (int i = warm; i < total; i++) {
        if (lags[i] > lags[worst]) {
          worst = i;
        }
      }
      long[] sorted = Arrays.copyOfRange(lags, warm, total); // skip the warm-up
      StringBuilder episodes = new StringBuilder();
      int over = 0;
      int runStart = -1;
      long runMax = 0;
      for (int i = warm; i <= total; i++) {
        boolean late = i < total && lags[i] > 10_000_000L;
        if (late) {
          over++;
          runMax = Math.max(runMax, lags[i]);
          if (runStart < 0) {
            runStart = i;
          }
        } else if (runStart >= 0) {
          episodes.append(String.format(Locale.ROOT, " [at %.3f s, %d records, max %.1f ms]",
              (appended.get(runStart) - appended.get(0)) / 1e9, i - runStart, runMax / 1e6));
          runStart = -1;
          runMax = 0;
        }
      }
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT,
          "lag: async, %s, TCP 127.0.0.1, %d-byte records at a steady %d records/s for %d s, primary log forced every"
              + " %d ms, backup forces before each ack; append-to-durable-ack lag (after %d s of warm-up at that rate): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms (record appended %.3f s into the run); %s%n",
          early ? "shipped before the primary's force" : "shipped once durable", RECORD, rate, seconds, LAG_INTERVAL_MS,
          LAG_WARMUP_SECONDS,
          pct(sorted, 0.50), pct(sorted, 0.99), pct(sorted, 0.999),
          sorted[sorted.length - 1] / 1e6, (appended.get(worst) - appended.get(0)) / 1e9, forceStats(p));
      System.out.printf(Locale.ROOT, "lag: %d records over 10 ms, in episodes:%s%n", over, episodes);
    }
  }

  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }

  static double pct(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e6;
  }

  static void sync(Path dir, int seconds, int writers, boolean early) throws Exception {
    try (Pair p = pair(dir, Durability.groupCommit(), Durability.groupCommit(), ReplicationMode.sync(), early)) {
      AtomicLong count = new AtomicLong();
      AtomicBoolean measuring = new AtomicBoolean();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch finished = new CountDownLatch(writers);
      List<Thread> ts = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        Thread t = new Thread(() -> {
          byte[] payload = new byte[RECORD];
          try {
            while (!stop.get()) {
              p.primary().append(payload);
              if (measuring.get()) {
                count.incrementAndGet();
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            finished.countDown();
          }
        });
        t.start();
        ts.add(t);
      }
      Thread.sleep(2000); // warm-up: the JIT compiles the hot paths meanwhile
      measuring.set(true);
      long start = System.nanoTime();
      long cpu0 = processCpuNanos();
      Thread.sleep(seconds * 1000L);
      measuring.set(false);
      double secs = (System.nanoTime() - start) / 1e9;
      double cpuSecs = (processCpuNanos() - cpu0) / 1e9;
      long n = count.get();
      stop.set(true);
      finished.await();
      System.out.printf(Locale.ROOT,
          "sync: synchronous, %s, TCP 127.0.0.1, %d-byte records, group commit + fsync on both sides, %d writers: %.0f"
              + " records/s (%d acknowledged appends in %.2f s; process CPU %.2f s); %s%n",
          early ? "shipped before the primary's force" : "shipped once durable", RECORD, writers, n / secs, n,
          secs, cpuSecs, forceStats(p));
    }
  }

  static void memory(Path dir, int seconds) throws Exception {
    Files.createDirectories(dir);
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      deadPort = s.getLocalPort(); // closed again: the backup is down
    }
    EventBus bus = new EventBus();
    try (ReplicationLog plog = ReplicationLog.open(dir.resolve("primary"),
            LogConfig.builder("bench").durability(Durability.interval(Duration.ofMillis(5)))
                .preallocateBytes(PREALLOCATE).eventBus(bus).build());
        TcpTransport client = TcpTransport.builder(
            TcpTransport.Config.connecting(new InetSocketAddress(LOOPBACK, deadPort)))
            .keys(ReplicationKeys.generate("bench")).build();
        ReplicationPrimary p = ReplicationPrimary.builder("bench", plog, client).eventBus(bus)
            .reconnectDelay(Duration.ofMillis(50)).build()) {
      p.start();
      MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
      byte[] payload = new byte[RECORD];
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      long nextSample = System.nanoTime();
      List<Long> heap = new ArrayList<>();
      while (System.nanoTime() < end) {
        p.append(payload);
        if (System.nanoTime() >= nextSample) {
          System.gc();
          heap.add(mem.getHeapMemoryUsage().getUsed());
          nextSample += 1_000_000_000L;
        }
      }
      System.gc();
      heap.add(mem.getHeapMemoryUsage().getUsed());
      long logBytes = 0;
      for (Path seg : plog.segmentFiles()) {
        logBytes += Files.size(seg);
      }
      System.out.printf(Locale.ROOT,
          "memory: backup down for %d s while the primary appended %d records (%.1f MiB of log on disk, lag %s);"
              + " heap used after GC each second (MiB): %s%n", seconds, plog.nextOffset(), logBytes / 1048576.0,
          p.lag(), heap.stream().map(h -> String.format(Locale.ROOT, "%.1f", h / 1048576.0)).toList());
    }
  }

  /**
   * The machine's force latency, 2,000 forces each: appending 4 KiB (the file grows: the force
   * must also commit the new size) with {@code force(false)} and {@code force(true)}, and
   * overwriting 4 KiB of a zero-filled file (what a preallocated log does) with {@code force(false)}.
   */
  static void fsync(Path dir) throws IOException {
    Files.createDirectories(dir);
    int n = 2000;
    for (String variant : List.of("append+force(false)", "append+force(true)", "prezeroed overwrite+force(false)")) {
      Path f = dir.resolve("fsync-probe");
      Files.deleteIfExists(f);
      long[] t = new long[n];
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        boolean prezeroed = variant.startsWith("prezeroed");
        if (prezeroed) {
          ByteBuffer z = ByteBuffer.allocate(1 << 20);
          for (long p = 0; p < 4096L * n; p += z.capacity()) {
            z.clear();
            ch.write(z, p);
          }
          ch.force(true);
        }
        boolean meta = variant.endsWith("(true)");
        for (int i = 0; i < t.length; i++) {
          b.clear();
          long s = System.nanoTime();
          ch.write(b, 4096L * i);
          ch.force(meta);
          t[i] = System.nanoTime() - s;
        }
      }
      long[] sorted = Arrays.copyOfRange(t, 20, t.length);
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "fsync: 4 KiB %s in %s: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
          variant, dir, pct(sorted, 0.5), pct(sorted, 0.99), pct(sorted, 0.999), sorted[sorted.length - 1] / 1e6);
    }
  }
}
