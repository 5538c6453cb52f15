package dev.drkit.validation;

import dev.drkit.core.EventBus;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standard {@link ServiceValidator}: runs a service's {@link ValidationStep}s in order with a
 * {@link StepRunner} and gathers their results into a {@link ValidationReport}. It is the gate of
 * the VALIDATING phase after a failover and of the primary's validation before a failback.
 *
 * <p>Every step runs, also after one failed, so the report shows the whole picture (set
 * {@link Builder#failFast(boolean)} to stop at the first failed step); either way the report
 * passes only when every step passed. Returns within the sum of the steps' timeouts plus a small
 * overhead even when checks hang; never throws for a failing check; throws
 * {@link InterruptedException} when interrupted. Publishes {@code validation.passed} or
 * {@code validation.failed}. Thread-safe.
 */
public final class Validator implements ServiceValidator {
  private static final Logger LOG = LoggerFactory.getLogger(Validator.class);

  private final StepRunner runner;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final EventBus events;
  private final boolean failFast;

  private Validator(StepRunner runner, Clock clock, LongSupplier nanoTime, EventBus events, boolean failFast) {
    this.runner = runner;
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.events = events;
    this.failFast = failFast;
  }

  /**
   * @param registry builds the checks of the steps
   * @return a validator with the defaults of {@link StepRunner#builder}
   */
  public static Validator of(CheckRegistry registry) {
    return builder(registry).build();
  }

  /**
   * @param registry builds the checks of the steps
   * @return a builder
   */
  public static Builder builder(CheckRegistry registry) {
    return new Builder(registry);
  }

  @Override
  public ValidationReport validate(RecoveryConfig config, Site site, long epoch) throws InterruptedException {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(site, "site");
    Instant started = clock.instant();
    long t0 = nanoTime.getAsLong();
    List<StepResult> steps = new ArrayList<>();
    for (ValidationStep step : config.validation()) {
      if (Thread.interrupted()) {
        throw new InterruptedException("validation of " + config.name() + " on " + site + " interrupted");
      }
      StepResult r = runner.run(config.name(), site, epoch, step);
      steps.add(r);
      if (failFast && !r.passed()) {
        break;
      }
    }
    ValidationReport report = new ValidationReport(config.name(), site, epoch, started,
        Duration.ofNanos(nanoTime.getAsLong() - t0), steps);
    long passedSteps = steps.stream().filter(StepResult::passed).count();
    String verdict = report.passed() ? "passed" : "failed";
    events.publish(new DrEvent(clock.instant(), "validation." + verdict,
        report.passed() ? DrEvent.Severity.INFO : DrEvent.Severity.ERROR, config.name(), epoch,
        "validation of " + config.name() + " on " + site + " " + verdict + ": " + passedSteps + "/"
            + config.validation().size() + " steps passed", Map.of())
        .with("site", site).with("steps", config.validation().size()).with("passedSteps", passedSteps)
        .with("durationMs", report.duration().toMillis()));
    LOG.info("validation of {} on {} at epoch {} {} ({}/{} steps) in {}", config.name(), site, epoch, verdict,
        passedSteps, config.validation().size(), report.duration());
    return report;
  }

  /** Builds a {@link Validator}; not thread-safe. */
  public static final class Builder {
    private final StepRunner.Builder runner;
    private Clock clock = Clock.systemUTC();
    private LongSupplier nanoTime = System::nanoTime;
    private EventBus events = new EventBus();
    private boolean failFast;

    private Builder(CheckRegistry registry) {
      this.runner = StepRunner.builder(registry);
    }

    /**
     * @param customizer adjusts the step runner (executor, retry policy)
     * @return this builder
     */
    public Builder runner(java.util.function.Consumer<StepRunner.Builder> customizer) {
      customizer.accept(runner);
      return this;
    }

    /**
     * @param clock stamps reports and events
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      runner.clock(clock);
      return this;
    }

    /**
     * @param nanoTime a monotonic time source in nanoseconds
     * @return this builder
     */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      runner.nanoTime(nanoTime);
      return this;
    }

    /**
     * @param events the shared bus that receives validation events; pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      runner.eventBus(events);
      return this;
    }

    /**
     * @param failFast whether to stop at the first failed step (default false: run them all)
     * @return this builder
     */
    public Builder failFast(boolean failFast) {
      this.failFast = failFast;
      return this;
    }

    /** @return the validator */
    public Validator build() {
      return new Validator(runner.build(), clock, nanoTime, events, failFast);
    }
  }
}
