package dev.drkit.examples.drill.internal;

import dev.drkit.core.CheckResult;
import dev.drkit.core.CheckSpec;
import dev.drkit.core.RecoveryConfig;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.ValidationStep;
import dev.drkit.spi.CheckContext;
import dev.drkit.spi.HealthCheck;
import dev.drkit.spi.HealthResult;
import dev.drkit.spi.ServiceValidator;
import dev.drkit.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a service's validation steps with checks looked up by type: each step's checks
 * concurrently, each cut off at the step's timeout, the step passing when the passing fraction
 * reaches its threshold.
 */
public final class BasicValidator implements ServiceValidator, AutoCloseable {
  private final Map<String, HealthCheck> checks;
  private final Clock clock;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "drill-validation");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param checks the checks by type name
   * @param clock the clock
   */
  public BasicValidator(Map<String, HealthCheck> checks, Clock clock) {
    this.checks = Map.copyOf(checks);
    this.clock = clock;
  }

  @Override
  public ValidationReport validate(RecoveryConfig config, Site site, long epoch) throws InterruptedException {
    Instant started = clock.instant();
    long t0 = System.nanoTime();
    List<StepResult> steps = new ArrayList<>();
    for (ValidationStep step : config.validation()) {
      steps.add(runStep(config.name(), step, site, epoch));
    }
    return new ValidationReport(config.name(), site, epoch, started, Duration.ofNanos(System.nanoTime() - t0), steps);
  }

  private StepResult runStep(String service, ValidationStep step, Site site, long epoch) throws InterruptedException {
    long t0 = System.nanoTime();
    List<Future<HealthResult>> futures = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    for (CheckSpec spec : step.checks()) {
      HealthCheck h = checks.get(spec.type());
      CheckContext ctx = new CheckContext(service, site, epoch, step.timeout());
      starts.add(System.nanoTime());
      futures.add(pool.submit(() -> {
        if (h == null) {
          throw new IllegalArgumentException("no check registered for type '" + spec.type() + "'");
        }
        return h.check(ctx);
      }));
    }
    long deadline = t0 + step.timeout().toNanos();
    List<CheckResult> results = new ArrayList<>();
    int passed = 0;
    for (int i = 0; i < futures.size(); i++) {
      CheckSpec spec = step.checks().get(i);
      Future<HealthResult> f = futures.get(i);
      CheckResult r;
      try {
        HealthResult h = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        Duration d = Duration.ofNanos(System.nanoTime() - starts.get(i));
        r = h == null ? new CheckResult(spec.type(), CheckResult.Status.FAILED, d, "returned null", null, Map.of())
            : new CheckResult(spec.type(), h.healthy() ? CheckResult.Status.PASSED : CheckResult.Status.FAILED, d,
                h.detail(), null, h.data());
      } catch (TimeoutException e) {
        f.cancel(true);
        r = new CheckResult(spec.type(), CheckResult.Status.TIMED_OUT, step.timeout(),
            "cut off after " + step.timeout().toMillis() + " ms", null, Map.of());
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        r = new CheckResult(spec.type(), CheckResult.Status.ERROR, Duration.ofNanos(System.nanoTime() - starts.get(i)),
            "threw " + c.getClass().getSimpleName(), String.valueOf(c.getMessage()), Map.of());
      }
      if (r.passed()) {
        passed++;
      }
      results.add(r);
    }
    double fraction = results.isEmpty() ? 1.0 : (double) passed / results.size();
    return new StepResult(step.name(), fraction >= step.threshold(), fraction, step.threshold(),
        Duration.ofNanos(System.nanoTime() - t0), results);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
