package dev.drkit.validation;

import dev.drkit.core.CheckResult;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.StepResult;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.internal.DaemonThreads;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ValidationStep}: all its checks concurrently, each retried per a Failsafe
 * {@link RetryPolicy} and cut off at the step's timeout, the step passing when the fraction of
 * passing checks reaches its threshold.
 *
 * <p>Checks run on threads the runner can abandon (by default a shared cached pool of daemon
 * threads): at the deadline every unfinished check is interrupted and reported
 * {@link CheckResult.Status#TIMED_OUT}, and the step returns without waiting for it, so a check that
 * hangs and ignores interruption costs a thread but never holds the step. A check that throws is
 * {@link CheckResult.Status#ERROR} with the exception's message; one that returns {@code null} or an
 * unhealthy result is {@link CheckResult.Status#FAILED}; a check that cannot be built from its spec
 * (unknown type, bad parameter) is ERROR with the configuration problem as its error.
 *
 * <p>Publishes {@code validation.check.passed} or {@code validation.check.failed} for each check
 * (with its status and {@code durationMs}) and
 * {@code validation.step.passed} / {@code validation.step.failed} per step. Thread-safe.
 */
public final class StepRunner {
  private static final Logger LOG = LoggerFactory.getLogger(StepRunner.class);

  private final CheckRegistry registry;
  private final ExecutorService executor;
  private final RetryPolicy<HealthResult> retryPolicy;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final EventBus events;

  private StepRunner(Builder b) {
    this.registry = b.registry;
    this.executor = b.executor;
    this.retryPolicy = b.retryPolicy;
    this.nanoTime = b.nanoTime;
    this.clock = b.clock;
    this.events = b.events;
  }

  /**
   * @param registry builds the checks of each step
   * @return a builder with the shared daemon pool, {@link #defaultRetryPolicy()}, the system clocks
   *     and an event bus without listeners
   */
  public static Builder builder(CheckRegistry registry) {
    return new Builder(registry);
  }

  /**
   * The default retry policy: up to 2 retries of an unhealthy, null or throwing probe, with a
   * backoff from 100 ms to 1 s; never retries after an interruption.
   *
   * @return the policy
   */
  public static RetryPolicy<HealthResult> defaultRetryPolicy() {
    return retryPolicy(2, Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  /**
   * @param maxRetries retries after the first attempt, {@code >= 0}
   * @param delay the first delay between attempts
   * @param maxDelay the largest delay (exponential backoff up to it); equal to {@code delay} for a
   *     fixed delay
   * @return a policy that retries unhealthy, null and throwing probes, never after an interruption
   */
  public static RetryPolicy<HealthResult> retryPolicy(int maxRetries, Duration delay, Duration maxDelay) {
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must not be negative but was " + maxRetries);
    }
    var b = RetryPolicy.<HealthResult>builder()
        .handle(Exception.class)
        .handleResultIf(r -> r == null || !r.healthy())
        .abortOn(InterruptedException.class)
        .withMaxRetries(maxRetries);
    if (maxRetries > 0) {
      if (maxDelay.compareTo(delay) > 0) {
        b.withBackoff(delay, maxDelay);
      } else {
        b.withDelay(delay);
      }
    }
    return b.build();
  }

  /** @return a policy that never retries */
  public static RetryPolicy<HealthResult> noRetries() {
    return retryPolicy(0, Duration.ZERO, Duration.ZERO);
  }

  /**
   * Runs a step against a site.
   *
   * @param service the service validated
   * @param site the site probed
   * @param epoch the epoch in force
   * @param step the checks to run, their pass threshold and their shared timeout
   * @return the step's result, with one check result per check in declaration order
   * @throws InterruptedException when interrupted (the running checks are interrupted too)
   */
  public StepResult run(String service, Site site, long epoch, ValidationStep step) throws InterruptedException {
    Objects.requireNonNull(step, "step");
    List<NamedCheck> named = new ArrayList<>(step.checks().size());
    for (CheckSpec spec : step.checks()) {
      String name = CheckRegistry.displayName(spec, site);
      try {
        named.add(new NamedCheck(name, registry.create(spec, site), null));
      } catch (ConfigException e) {
        named.add(new NamedCheck(name, null, e.getMessage()));
      }
    }
    CheckContext context = new CheckContext(service, site, epoch, step.timeout());
    long start = nanoTime.getAsLong();
    List<Future<?>> cutOff = new ArrayList<>();
    List<CheckResult> results = runChecks(named, context, cutOff);
    Duration took = Duration.ofNanos(nanoTime.getAsLong() - start);
    long passed = results.stream().filter(CheckResult::passed).count();
    double fraction = (double) passed / results.size();
    boolean ok = passed >= Math.ceil(step.threshold() * results.size() - 1e-9);
    StepResult result = new StepResult(step.name(), ok, fraction, step.threshold(), took, results);
    publishStep(context, result, passed);
    interruptLater(cutOff);
    return result;
  }

  /** A check to run, or why it could not be built. */
  record NamedCheck(String name, @Nullable HealthCheck check, @Nullable String configError) {}

  /**
   * Runs checks concurrently under one deadline ({@code context.timeout()} from now).
   *
   * @param checks the checks, with their display names
   * @param context what they probe; its timeout is the deadline
   * @return a result per check, in the given order
   * @throws InterruptedException when interrupted
   */
  public List<CheckResult> runChecks(Map<String, HealthCheck> checks, CheckContext context)
      throws InterruptedException {
    List<NamedCheck> named = new ArrayList<>();
    checks.forEach((n, c) -> named.add(new NamedCheck(n, Objects.requireNonNull(c, n), null)));
    List<Future<?>> cutOff = new ArrayList<>();
    List<CheckResult> results = runChecks(named, context, cutOff);
    interruptLater(cutOff);
    return results;
  }

  /**
   * Runs the checks; the tasks of checks cut off at the deadline are added to {@code cutOff} for the
   * caller to interrupt once it has its result (interrupting hundreds of threads first would make
   * them compete with the caller for the CPU).
   */
  private List<CheckResult> runChecks(List<NamedCheck> checks, CheckContext context, List<Future<?>> cutOff)
      throws InterruptedException {
    int n = checks.size();
    Duration timeout = context.timeout();
    long start = nanoTime.getAsLong();
    long deadline = start + timeout.toNanos();
    CheckResult[] results = new CheckResult[n];
    List<CompletableFuture<CheckResult>> pending = new ArrayList<>(n);
    List<@Nullable Future<?>> tasks = new ArrayList<>(n);
    List<Attempt> attempts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      NamedCheck c = checks.get(i);
      CompletableFuture<CheckResult> done = new CompletableFuture<>();
      Attempt attempt = new Attempt();
      pending.add(done);
      attempts.add(attempt);
      if (c.check() == null) {
        done.complete(new CheckResult(c.name(), CheckResult.Status.ERROR, Duration.ZERO,
            "the check could not be built from its spec", c.configError(), Map.of()));
        tasks.add(null);
        continue;
      }
      HealthCheck check = c.check();
      if (nanoTime.getAsLong() - deadline >= 0) {
        // starting threads took the whole budget (a cold pool on a busy machine): the rest never ran
        done.complete(new CheckResult(c.name(), CheckResult.Status.TIMED_OUT, timeout,
            "not started before the step's timeout of " + timeout.toMillis() + " ms", null, Map.of("attempts", 0)));
        tasks.add(null);
        continue;
      }
      try {
        tasks.add(executor.submit(() -> done.complete(runOne(c.name(), check, context, attempt))));
      } catch (RejectedExecutionException e) {
        done.complete(new CheckResult(c.name(), CheckResult.Status.ERROR, Duration.ZERO,
            "the check executor refused the check", String.valueOf(e.getMessage()), Map.of()));
        tasks.add(null);
      }
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]));
    try {
      long remaining = deadline - nanoTime.getAsLong();
      if (remaining > 0) {
        all.get(remaining, TimeUnit.NANOSECONDS);
      }
    } catch (TimeoutException e) {
      // the unfinished checks are cut off below
    } catch (ExecutionException e) {
      throw new IllegalStateException("a check future failed; runOne never completes exceptionally", e);
    } catch (InterruptedException e) {
      for (Future<?> f : tasks) {
        if (f != null) {
          f.cancel(true);
        }
      }
      throw e;
    }
    for (int i = 0; i < n; i++) {
      CheckResult r = pending.get(i).getNow(null);
      if (r == null) {
        Attempt a = attempts.get(i);
        String last = a.lastDetail.get();
        Future<?> task = tasks.get(i);
        if (task != null) {
          cutOff.add(task);
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("attempts", a.count.get());
        results[i] = new CheckResult(checks.get(i).name(), CheckResult.Status.TIMED_OUT, timeout,
            "cut off at the step's timeout of " + timeout.toMillis() + " ms after " + a.count.get() + " attempt(s)"
                + (last == null ? "" : "; last attempt: " + last),
            null, data);
      } else {
        results[i] = r;
      }
    }
    return List.of(results);
  }

  /**
   * Interrupts the cut-off checks from another thread, so that the caller gets its result without
   * waiting for hundreds of interrupted threads to wake up on a small machine.
   */
  private void interruptLater(List<Future<?>> cutOff) {
    if (cutOff.isEmpty()) {
      return;
    }
    Runnable interrupt = () -> cutOff.forEach(f -> f.cancel(true));
    try {
      executor.execute(interrupt);
    } catch (RejectedExecutionException e) {
      interrupt.run();
    }
  }

  /** Progress of one check, readable when it is cut off. */
  private static final class Attempt {
    final AtomicInteger count = new AtomicInteger();
    final AtomicReference<@Nullable String> lastDetail = new AtomicReference<>();
  }

  private CheckResult runOne(String name, HealthCheck check, CheckContext context, Attempt attempt) {
    long t0 = nanoTime.getAsLong();
    try {
      HealthResult r = Failsafe.with(retryPolicy).get(exec -> {
        attempt.count.incrementAndGet();
        HealthResult res;
        try {
          res = check.check(context);
        } catch (Exception e) {
          if (!(e instanceof InterruptedException)) {
            attempt.lastDetail.set("threw " + describe(e));
          }
          throw e;
        }
        attempt.lastDetail.set(res == null ? "returned null" : res.detail());
        return res;
      });
      Duration took = Duration.ofNanos(nanoTime.getAsLong() - t0);
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("attempts", attempt.count.get());
      if (r == null) {
        return new CheckResult(name, CheckResult.Status.FAILED, took, "the check returned null instead of a result",
            null, data);
      }
      data.putAll(r.data());
      return new CheckResult(name, r.healthy() ? CheckResult.Status.PASSED : CheckResult.Status.FAILED, took,
          r.detail(), null, data);
    } catch (FailsafeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return error(name, t0, attempt, cause);
    } catch (RuntimeException | LinkageError | AssertionError e) {
      return error(name, t0, attempt, e);
    }
  }

  private CheckResult error(String name, long t0, Attempt attempt, Throwable t) {
    Duration took = Duration.ofNanos(nanoTime.getAsLong() - t0);
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("attempts", attempt.count.get());
    data.put("exception", t.getClass().getName());
    return new CheckResult(name, CheckResult.Status.ERROR, took, "the check threw " + describe(t),
        t.getMessage() == null ? t.getClass().getName() : t.getMessage(), data);
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  private void publishStep(CheckContext context, StepResult result, long passed) {
    for (CheckResult c : result.checks()) {
      Map<String, String> attrs = new LinkedHashMap<>();
      attrs.put("step", result.name());
      attrs.put("check", c.name());
      attrs.put("site", context.site().name());
      attrs.put("status", c.status().name());
      attrs.put("durationMs", Long.toString(c.duration().toMillis()));
      if (c.passed()) {
        events.publish(new DrEvent(clock.instant(), "validation.check.passed", DrEvent.Severity.INFO,
            context.service(), context.epoch(), "check '" + c.name() + "' of step '" + result.name() + "' passed", attrs));
      } else {
        events.publish(new DrEvent(clock.instant(), "validation.check.failed", DrEvent.Severity.WARN,
            context.service(), context.epoch(),
            "check '" + c.name() + "' of step '" + result.name() + "' " + c.status() + ": " + c.detail(), attrs));
      }
    }
    String verdict = result.passed() ? "passed" : "failed";
    events.publish(new DrEvent(clock.instant(), "validation.step." + verdict,
        result.passed() ? DrEvent.Severity.INFO : DrEvent.Severity.WARN, context.service(), context.epoch(),
        "validation step '" + result.name() + "' " + verdict + " on " + context.site() + ": " + passed + "/"
            + result.checks().size() + " checks passed, threshold " + result.threshold(), Map.of())
        .with("step", result.name()).with("site", context.site()).with("passed", passed)
        .with("total", result.checks().size()).with("threshold", result.threshold())
        .with("durationMs", result.duration().toMillis()));
    LOG.debug("service {} step {} on {} epoch {}: {} ({}/{} passed in {})", context.service(), result.name(),
        context.site(), context.epoch(), verdict, passed, result.checks().size(), result.duration());
  }

  /** Builds a {@link StepRunner}; not thread-safe. */
  public static final class Builder {
    private final CheckRegistry registry;
    private ExecutorService executor = DaemonThreads.shared();
    private RetryPolicy<HealthResult> retryPolicy = defaultRetryPolicy();
    private LongSupplier nanoTime = System::nanoTime;
    private Clock clock = Clock.systemUTC();
    private EventBus events = new EventBus();

    private Builder(CheckRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * @param executor runs the checks; it must start each task at once (an unbounded cached pool),
     *     or checks queue behind hung ones and time out
     * @return this builder
     */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * @param retryPolicy retries each check within the step's timeout; it should handle unhealthy
     *     and null results (see {@link StepRunner#retryPolicy})
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy<HealthResult> retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * @param nanoTime a monotonic time source in nanoseconds
     * @return this builder
     */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * @param clock stamps events
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param events the shared bus that receives the runner's events; pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /** @return the runner */
    public StepRunner build() {
      return new StepRunner(this);
    }
  }
}
