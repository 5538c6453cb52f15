package dev.drkit.validation.checks;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.validation.CheckFactory;
import dev.drkit.validation.internal.DaemonThreads;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Plan type {@code performance}: runs an operation {@code probes} times ({@code concurrency} at a
 * time), measures p50/p95/p99 latency (nearest rank, over the successful probes) and throughput
 * (successful probes per second of wall time), and is healthy when every configured budget holds
 * and the error rate is at most {@code maxErrorRate}. Probes stop at the step's timeout; the
 * probes not run by then count as errors.
 *
 * <p>Parameters: {@code probes} (required, 1-1000000); exactly one of {@code operation} (a check
 * the host registered by name; an unhealthy, null or throwing result is an error) or {@code url}
 * (an HTTP GET expecting 2xx); {@code concurrency} (default 1, 1-256); budgets, at least one:
 * {@code p50}, {@code p95}, {@code p99} (durations), {@code minThroughput} (per second);
 * {@code maxErrorRate} (default 0, 0-1).
 */
public final class PerformanceCheck implements HealthCheck {
  private final HealthCheck operation;
  private final int probes;
  private final int concurrency;
  private final Budgets budgets;
  private final LongSupplier nanoTime;

  /**
   * The limits a performance check enforces.
   *
   * @param p50 the median latency budget, or null
   * @param p95 the 95th percentile budget, or null
   * @param p99 the 99th percentile budget, or null
   * @param minThroughput the least successful probes per second, or {@code 0} for none
   * @param maxErrorRate the largest tolerated fraction of failed probes
   */
  public record Budgets(@Nullable Duration p50, @Nullable Duration p95, @Nullable Duration p99, double minThroughput,
      double maxErrorRate) {
    /** Validates. */
    public Budgets {
      if (minThroughput < 0 || !(maxErrorRate >= 0 && maxErrorRate <= 1)) {
        throw new IllegalArgumentException("minThroughput must be >= 0 and maxErrorRate in [0, 1]");
      }
    }
  }

  /**
   * @param operation the probed operation
   * @param probes how many probes, positive
   * @param concurrency how many at a time, positive
   * @param budgets the limits
   */
  public PerformanceCheck(HealthCheck operation, int probes, int concurrency, Budgets budgets) {
    this(operation, probes, concurrency, budgets, System::nanoTime);
  }

  /**
   * A check that reads time from {@code nanoTime}, so that tests drive latencies with a fake clock.
   *
   * @param operation the probed operation
   * @param probes how many probes, positive
   * @param concurrency how many at a time, positive
   * @param budgets the limits
   * @param nanoTime the monotonic time source latencies, throughput and the step's deadline are
   *     read from, in nanoseconds ({@code System::nanoTime} in production)
   */
  public PerformanceCheck(HealthCheck operation, int probes, int concurrency, Budgets budgets,
      LongSupplier nanoTime) {
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.operation = Objects.requireNonNull(operation, "operation");
    if (probes < 1 || concurrency < 1) {
      throw new IllegalArgumentException("probes and concurrency must be positive");
    }
    this.probes = probes;
    this.concurrency = concurrency;
    this.budgets = Objects.requireNonNull(budgets, "budgets");
  }

  /** @return the factory of plan type {@code performance} */
  public static CheckFactory factory() {
    return p -> {
      long probes = p.requireLong("probes", 1, 1_000_000);
      HealthCheck op = p.optResource("operation", HealthCheck.class, "check");
      URI url = p.optHttpUri("url");
      if (p.has("operation") == p.has("url")) {
        p.problem(p.has("url") ? "url" : "operation", "give exactly one of 'operation' (a registered check) or 'url'");
      }
      long concurrency = p.optLong("concurrency", 1, 1, 256);
      Duration p50 = p.optDuration("p50", null);
      Duration p95 = p.optDuration("p95", null);
      Duration p99 = p.optDuration("p99", null);
      double minTp = p.optDouble("minThroughput", 0, 0, Double.MAX_VALUE);
      double maxErr = p.optDouble("maxErrorRate", 0, 0, 1);
      if (!p.has("p50") && !p.has("p95") && !p.has("p99") && !p.has("minThroughput")) {
        p.problem("p99", "a performance check needs at least one budget: p50, p95, p99 or minThroughput");
      }
      p.ensureValid();
      HealthCheck operation = op != null ? op
          : new HttpCheck(Objects.requireNonNull(url), "GET", List.of(), null, null, Map.of(), null);
      return new PerformanceCheck(operation, (int) probes, (int) concurrency,
          new Budgets(p50, p95, p99, minTp, maxErr));
    };
  }

  @Override
  public HealthResult check(CheckContext context) throws InterruptedException {
    List<Long> samples = new ArrayList<>(Math.min(probes, 1 << 16));
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicReference<@Nullable String> firstError = new AtomicReference<>();
    long deadline = nanoTime.getAsLong() + context.timeout().toNanos();
    long start = nanoTime.getAsLong();
    Runnable worker = () -> {
      int i;
      while (!Thread.currentThread().isInterrupted() && nanoTime.getAsLong() < deadline
          && (i = next.getAndIncrement()) < probes) {
        long t0 = nanoTime.getAsLong();
        String err = null;
        try {
          HealthResult r = operation.check(context);
          if (r == null) {
            err = "returned null";
          } else if (!r.healthy()) {
            err = r.detail();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          err = e.toString();
        }
        if (err == null) {
          long took = nanoTime.getAsLong() - t0;
          synchronized (samples) {
            samples.add(took);
          }
        } else {
          errors.incrementAndGet();
          firstError.compareAndSet(null, err);
        }
      }
    };
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 1; w < concurrency; w++) {
      workers.add(DaemonThreads.shared().submit(worker));
    }
    try {
      worker.run();
      for (Future<?> f : workers) {
        f.get(Math.max(0, deadline - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("a performance probe worker failed", e.getCause());
    } catch (TimeoutException e) {
      // the probes still running at the deadline count as not run
    } finally {
      for (Future<?> f : workers) {
        f.cancel(true);
      }
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedException("performance check interrupted");
    }
    double seconds = (nanoTime.getAsLong() - start) / 1e9;
    long[] sorted;
    synchronized (samples) {
      sorted = samples.stream().mapToLong(Long::longValue).toArray();
    }
    Arrays.sort(sorted);
    int good = sorted.length;
    int notRun = Math.max(0, probes - good - errors.get());
    int failed = errors.get() + notRun;
    double errorRate = (double) failed / probes;
    double throughput = seconds > 0 ? good / seconds : 0;
    List<String> violations = new ArrayList<>();
    Double p50 = pct(sorted, 50);
    Double p95 = pct(sorted, 95);
    Double p99 = pct(sorted, 99);
    budget(violations, "p50", p50, budgets.p50());
    budget(violations, "p95", p95, budgets.p95());
    budget(violations, "p99", p99, budgets.p99());
    if (budgets.minThroughput() > 0 && throughput < budgets.minThroughput()) {
      violations.add(String.format(Locale.ROOT, "throughput %.1f/s < budget %.1f/s", throughput,
          budgets.minThroughput()));
    }
    if (errorRate > budgets.maxErrorRate()) {
      violations.add(String.format(Locale.ROOT, "error rate %.3f > budget %.3f (%d failed, %d not run%s)", errorRate,
          budgets.maxErrorRate(), errors.get(), notRun,
          firstError.get() == null ? "" : "; first error: " + firstError.get()));
    }
    String summary = String.format(Locale.ROOT, "%d probes: p50 %s, p95 %s, p99 %s, %.1f/s, %d errors",
        probes, ms(p50), ms(p95), ms(p99), throughput, failed);
    HealthResult r = violations.isEmpty() ? HealthResult.healthy(summary)
        : HealthResult.unhealthy(String.join("; ", violations) + " (" + summary + ")");
    return r.with("probes", probes).with("errors", failed)
        .with("p50Millis", p50 == null ? -1.0 : p50).with("p95Millis", p95 == null ? -1.0 : p95)
        .with("p99Millis", p99 == null ? -1.0 : p99).with("throughputPerSecond", throughput)
        .with("violations", List.copyOf(violations));
  }

  /** Nearest-rank percentile in milliseconds, or null without samples. */
  static @Nullable Double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return null;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)] / 1e6;
  }

  private static void budget(List<String> violations, String name, @Nullable Double actualMs,
      @Nullable Duration budget) {
    if (budget == null) {
      return;
    }
    double b = budget.toNanos() / 1e6;
    if (actualMs == null) {
      violations.add(name + " unknown (no successful probe) against budget " + ms(b));
    } else if (actualMs > b) {
      violations.add(name + " " + ms(actualMs) + " > budget " + ms(b));
    }
  }

  private static String ms(@Nullable Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.1f ms", v);
  }

  @Override
  public String toString() {
    return "performance " + operation;
  }
}
