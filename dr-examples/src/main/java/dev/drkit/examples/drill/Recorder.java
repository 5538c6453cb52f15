package dev.drkit.examples.drill;

import dev.drkit.core.CheckResult;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.EventListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects what a drill run measures while it happens: phases timed on a monotonic clock, every
 * event published on the run's bus, validation results and traffic samples. Offsets are
 * milliseconds since the recorder was created. Thread-safe.
 */
public final class Recorder implements EventListener {
  private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);

  /** A piece of work timed as a phase. */
  @FunctionalInterface
  public interface Work<T> {
    /**
     * @return the result
     * @throws Exception any failure, which fails the phase
     */
    T run() throws Exception;
  }

  private final Clock clock;
  private final Instant startedAt;
  private final long startNanos;
  private final List<DrillReport.Phase> phases = new CopyOnWriteArrayList<>();
  private final List<DrillReport.Event> events = new CopyOnWriteArrayList<>();
  private final List<DrillReport.ValidationRun> validations = new CopyOnWriteArrayList<>();
  private final List<DrillReport.Sample> samples = new CopyOnWriteArrayList<>();
  private final List<String> notes = new CopyOnWriteArrayList<>();

  /** @param clock the wall clock (for the report's start time and events) */
  public Recorder(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.startedAt = clock.instant();
    this.startNanos = System.nanoTime();
  }

  /** @return when the run started (wall clock) */
  public Instant startedAt() {
    return startedAt;
  }

  /** @return milliseconds since the run started, on the monotonic clock */
  public long nowMs() {
    return msAt(System.nanoTime());
  }

  /**
   * @param nanos a {@link System#nanoTime()} reading
   * @return its offset from the run's start in milliseconds
   */
  public long msAt(long nanos) {
    return Math.round((nanos - startNanos) / 1e6);
  }

  /**
   * Runs {@code work} as a phase and records it: PASS when it completes within {@code budget}, FAIL
   * when it throws or overruns, INFO when there is no budget. A failure is rethrown.
   *
   * @param name the phase
   * @param budget its time budget, or null
   * @param work the phase's work; a thrown exception fails the phase
   * @param <T> the work's result
   * @return the work's result
   * @throws Exception what the work threw
   */
  public <T> T phase(String name, @Nullable Duration budget, Work<T> work) throws Exception {
    long t0 = System.nanoTime();
    try {
      T result = work.run();
      long t1 = System.nanoTime();
      record(name, t0, t1, budget, null, describe(result));
      return result;
    } catch (Exception | Error e) {
      record(name, t0, System.nanoTime(), budget, e, "failed: " + e);
      throw e;
    }
  }

  private static String describe(@Nullable Object result) {
    return result == null ? "done" : result.toString();
  }

  /**
   * Records a phase that was timed elsewhere.
   *
   * @param name the phase
   * @param startNanos its start ({@link System#nanoTime()})
   * @param endNanos its end
   * @param budget its budget, or null
   * @param failure its failure, or null
   * @param detail what happened
   * @return the recorded phase
   */
  public DrillReport.Phase record(String name, long startNanos, long endNanos, @Nullable Duration budget,
      @Nullable Throwable failure, String detail) {
    long durMs = Math.round((endNanos - startNanos) / 1e6);
    Long budgetMs = budget == null ? null : budget.toMillis();
    DrillReport.Verdict v = failure != null ? DrillReport.Verdict.FAIL
        : budget == null ? DrillReport.Verdict.INFO
        : (endNanos - startNanos) <= budget.toNanos() ? DrillReport.Verdict.PASS : DrillReport.Verdict.FAIL;
    String d = failure == null && v == DrillReport.Verdict.FAIL ? detail + " (over budget)" : detail;
    DrillReport.Phase p = new DrillReport.Phase(name, msAt(startNanos), durMs, budgetMs, v, d);
    phases.add(p);
    LOG.info("phase {}: {} ms (budget {}) {}", name, durMs, budgetMs == null ? "-" : budgetMs + " ms", v);
    return p;
  }

  /**
   * Records a phase timed on the wall clock elsewhere (for example by the failover engine).
   *
   * @param name the phase
   * @param start when it started
   * @param end when it ended
   * @param budget its budget, or null
   * @param failed whether it failed
   * @param detail what happened
   * @return the recorded phase
   */
  public DrillReport.Phase recordWall(String name, Instant start, Instant end, @Nullable Duration budget,
      boolean failed, String detail) {
    long startMs = Duration.between(startedAt, start).toMillis();
    long durMs = Duration.between(start, end).toMillis();
    DrillReport.Verdict v = failed ? DrillReport.Verdict.FAIL : budget == null ? DrillReport.Verdict.INFO
        : durMs <= budget.toMillis() ? DrillReport.Verdict.PASS : DrillReport.Verdict.FAIL;
    DrillReport.Phase p = new DrillReport.Phase(name, startMs, durMs, budget == null ? null : budget.toMillis(), v,
        detail);
    phases.add(p);
    return p;
  }

  @Override
  public void onEvent(DrEvent e) {
    long at = Duration.between(startedAt, e.time()).toMillis();
    events.add(new DrillReport.Event(at, e.type(), e.severity().name(), e.epoch(), e.message(), e.attributes()));
  }

  /**
   * @param label why validation ran
   * @param siteName the validated site's name
   * @param report the validator's report
   * @param startNanos when it started ({@link System#nanoTime()})
   * @return the recorded run
   */
  public DrillReport.ValidationRun validation(String label, String siteName, ValidationReport report,
      long startNanos) {
    List<DrillReport.Step> steps = new ArrayList<>();
    for (StepResult s : report.steps()) {
      List<DrillReport.Check> checks = new ArrayList<>();
      for (CheckResult c : s.checks()) {
        checks.add(new DrillReport.Check(c.name(), c.status().name(), c.duration().toMillis(),
            c.error() == null ? c.detail() : c.detail() + " (" + c.error() + ")"));
      }
      steps.add(new DrillReport.Step(s.name(), s.passed(), checks));
    }
    DrillReport.ValidationRun run = new DrillReport.ValidationRun(label, siteName, report.epoch(), msAt(startNanos),
        report.duration().toMillis(), report.passed(), steps);
    validations.add(run);
    return run;
  }

  /** @param sample a traffic sample */
  public void sample(DrillReport.Sample sample) {
    samples.add(sample);
  }

  /** @param note a remark for the report */
  public void note(String note) {
    notes.add(note);
  }

  /** @return the phases so far, by start time */
  public List<DrillReport.Phase> phases() {
    List<DrillReport.Phase> out = new ArrayList<>(phases);
    out.sort(java.util.Comparator.comparingLong(DrillReport.Phase::startMs));
    return out;
  }

  /** @return the events so far, in time order */
  public List<DrillReport.Event> events() {
    List<DrillReport.Event> out = new ArrayList<>(events);
    out.sort(java.util.Comparator.comparingLong(DrillReport.Event::atMs));
    return out;
  }

  /** @return the validation runs so far */
  public List<DrillReport.ValidationRun> validations() {
    return List.copyOf(validations);
  }

  /** @return the samples so far */
  public List<DrillReport.Sample> samples() {
    return List.copyOf(samples);
  }

  /** @return the notes so far */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  /** @return the wall clock */
  public Clock clock() {
    return clock;
  }
}
