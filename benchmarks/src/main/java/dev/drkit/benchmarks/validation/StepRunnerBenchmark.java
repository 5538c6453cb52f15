package dev.drkit.benchmarks.validation;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.StepResult;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.StepRunner;
import dev.drkit.validation.internal.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
 * Wall time of one validation step of many concurrent checks (issue 5's targets: 1,000 checks of
 * 50 ms each in under 150 ms; 1,000 hanging checks in under the timeout + 50 ms).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar StepRunnerBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StepRunnerBenchmark {
  /** Number of checks in the step. */
  @Param({"1000"})
  public int checks;

  /** The hanging checks' step timeout in milliseconds. */
  @Param({"200"})
  public int hangTimeoutMillis;

  private StepRunner runner;
  private ThreadPoolExecutor pool;
  private ValidationStep sleepy;
  private ValidationStep hanging;
  private CountDownLatch never;

  /** Registers the checks and builds the steps. */
  @Setup(Level.Trial)
  public void setUp() {
    never = new CountDownLatch(1);
    CheckRegistry registry = CheckRegistry.withBuiltIns();
    registry.registerCheck("sleep50", ctx -> {
      Thread.sleep(50);
      return HealthResult.healthy("slept 50 ms");
    });
    registry.registerCheck("hang", ctx -> {
      never.await(); // hangs until interrupted by the cut-off
      return HealthResult.healthy("released");
    });
    pool = (ThreadPoolExecutor) DaemonThreads.newCachedPool("bench-check");
    runner = StepRunner.builder(registry).executor(pool).retryPolicy(StepRunner.noRetries()).build();
    sleepy = step("sleep50", Duration.ofSeconds(10));
    hanging = step("hang", Duration.ofMillis(hangTimeoutMillis));
  }

  private ValidationStep step(String type, Duration timeout) {
    List<CheckSpec> specs = new ArrayList<>(checks);
    for (int i = 0; i < checks; i++) {
      specs.add(CheckSpec.of(type));
    }
    return new ValidationStep(type, specs, 1.0, timeout);
  }

  /** Releases any hung check. */
  @TearDown(Level.Trial)
  public void tearDown() {
    never.countDown();
    pool.shutdownNow();
  }

  /**
   * Before each invocation, waits (at most 10 s) until the previous step's interrupted checks have
   * unwound and their threads are idle again, so that one step does not pay for the last one's
   * clean-up. Only the {@code Settled} benchmarks use it.
   */
  @State(Scope.Benchmark)
  public static class Settle {
    /**
     * @param b the benchmark state
     * @throws InterruptedException when interrupted
     */
    @Setup(Level.Invocation)
    public void settle(StepRunnerBenchmark b) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (b.pool != null && b.pool.getActiveCount() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
    }
  }

  /**
   * The hanging step, each invocation starting with idle threads.
   *
   * @param settle waits for the previous invocation's threads
   * @return the step's result
   * @throws InterruptedException never in practice
   */
  @Benchmark
  public StepResult thousandHangingChecksSettled(Settle settle) throws InterruptedException {
    return thousandHangingChecks();
  }

  /**
   * The 50 ms step, each invocation starting with idle threads.
   *
   * @param settle waits for the previous invocation's threads
   * @return the step's result
   * @throws InterruptedException never in practice
   */
  @Benchmark
  public StepResult thousandChecksOf50msSettled(Settle settle) throws InterruptedException {
    return thousandChecksOf50ms();
  }

  /**
   * @return the step's result
   * @throws InterruptedException never in practice
   */
  @Benchmark
  public StepResult thousandChecksOf50ms() throws InterruptedException {
    StepResult r = runner.run("bench", Site.BACKUP, 1, sleepy);
    if (!r.passed()) {
      throw new IllegalStateException("a 50 ms check did not pass: " + r.checks().get(0));
    }
    return r;
  }

  /**
   * @return the step's result
   * @throws InterruptedException never in practice
   */
  @Benchmark
  public StepResult thousandHangingChecks() throws InterruptedException {
    StepResult r = runner.run("bench", Site.BACKUP, 1, hanging);
    if (r.passed()) {
      throw new IllegalStateException("hanging checks passed");
    }
    return r;
  }
}
