package dev.drkit.backup.schedule;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.CronSchedule;
import dev.drkit.core.EventBus;
import dev.drkit.core.WrongKeyException;
import dev.drkit.core.spi.DrEvent;
import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each {@link BackupStrategy} on its {@link CronSchedule}.
 *
 * <ul>
 *   <li>Time comes only from the {@link TaskScheduler} and its clock, so tests drive it.
 *   <li>One strategy never runs twice at once: a run falling due while the previous one still goes
 *       is skipped or coalesced ({@link OverlapPolicy}), with an event.
 *   <li>Runs that fell due while the scheduler was down (known from the {@link RunHistory}) or while
 *       the machine was suspended (the wake-up came later than {@code misfireGrace}) are missed: an
 *       event reports them and the {@link MissedRunPolicy} decides between one catch-up run and
 *       nothing.
 *   <li>A failed attempt is retried with exponential backoff (Failsafe), the delays also running on
 *       the injected scheduler; a {@link ConfigException} or {@link WrongKeyException} is not retried.
 *   <li>Events ({@code backup.run.started/succeeded/failed/retrying/skipped/coalesced/missed}) go to
 *       the {@link EventBus}.
 * </ul>
 *
 * Thread-safe. Built with {@link #builder(BackupJob)}.
 */
public final class BackupScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BackupScheduler.class);
  /** Upper bound on the missed cron times counted one by one (a per-second schedule down for a year). */
  static final int MAX_COUNTED_MISSES = 100_000;

  private final BackupJob job;
  private final TaskScheduler tasks;
  private final Clock clock;
  private final EventBus events;
  private final RunHistory history;
  private final MissedRunPolicy missedPolicy;
  private final OverlapPolicy overlapPolicy;
  private final Duration misfireGrace;
  private final int maxRetries;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final FailsafeSchedulerAdapter failsafeScheduler;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private boolean started;
  private boolean closed;

  private BackupScheduler(Builder b) {
    this.job = b.job;
    this.tasks = Objects.requireNonNull(b.tasks, "tasks"); // build() checked it
    this.clock = tasks.clock();
    this.events = b.events;
    this.history = b.history;
    this.missedPolicy = b.missedPolicy;
    this.overlapPolicy = b.overlapPolicy;
    this.misfireGrace = b.misfireGrace;
    this.maxRetries = b.maxRetries;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.failsafeScheduler = new FailsafeSchedulerAdapter(tasks);
  }

  /**
   * @param job what to run when a strategy falls due
   * @return a builder; a {@link TaskScheduler} is required
   */
  public static Builder builder(BackupJob job) {
    return new Builder(job);
  }

  /**
   * @param service the service the strategy belongs to, or {@code null}
   * @param strategy the strategy to name
   * @return the strategy's key, {@code service/strategy} or just the strategy's name
   */
  public static String key(@Nullable String service, BackupStrategy strategy) {
    return service == null ? strategy.name() : service + "/" + strategy.name();
  }

  /**
   * Adds a strategy; once {@link #start started}, it is armed at once.
   *
   * @param service the service it belongs to, or {@code null}
   * @param strategy the strategy to run on its cron schedule
   * @throws IllegalArgumentException if a strategy with the same key is already scheduled
   * @throws IllegalStateException after {@link #close}
   */
  public void add(@Nullable String service, BackupStrategy strategy) {
    Objects.requireNonNull(strategy, "strategy");
    Entry e = new Entry(service, strategy);
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("scheduler is closed");
      }
      if (entries.putIfAbsent(e.key, e) != null) {
        throw new IllegalArgumentException("strategy " + e.key + " is already scheduled");
      }
      if (!started) {
        return;
      }
    }
    arm(e);
  }

  /** Arms every strategy: from then on they run on their schedules. Idempotent. */
  public void start() {
    List<Entry> toArm;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("scheduler is closed");
      }
      if (started) {
        return;
      }
      started = true;
      toArm = new ArrayList<>(entries.values());
    }
    toArm.forEach(this::arm);
  }

  /**
   * Starts a run now, outside the schedule, subject to the overlap policy.
   *
   * @param key the strategy's key (see {@link #key})
   * @return completes when the run ends, exceptionally with its last failure; already completed
   *     (with {@code false}) if the run was skipped or coalesced, with {@code true} on success
   * @throws IllegalArgumentException for an unknown key
   */
  public CompletableFuture<Boolean> runNow(String key) {
    Entry e;
    synchronized (this) {
      e = entries.get(key);
    }
    if (e == null) {
      throw new IllegalArgumentException("no strategy " + key + " is scheduled");
    }
    List<DrEvent> out = new ArrayList<>();
    CompletableFuture<Boolean> result;
    synchronized (e) {
      result = tryStart(e, clock.instant(), RunTrigger.MANUAL, out);
    }
    publish(out);
    return result;
  }

  /** @return the state of every strategy, in the order added */
  public List<StrategyStatus> status() {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(entries.values());
    }
    List<StrategyStatus> out = new ArrayList<>();
    for (Entry e : all) {
      synchronized (e) {
        out.add(new StrategyStatus(e.key, e.nextDue, e.running, e.owed != null, e.lastOutcome));
      }
    }
    return out;
  }

  /** Stops scheduling: cancels every timer and owed run. Runs in progress finish on their own. */
  @Override
  public void close() {
    List<Entry> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(entries.values());
    }
    for (Entry e : all) {
      synchronized (e) {
        if (e.timer != null) {
          e.timer.cancel();
        }
        e.owed = null;
      }
    }
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  /** One scheduled strategy. Guarded by its own monitor. */
  private static final class Entry {
    final @Nullable String service;
    final BackupStrategy strategy;
    final String key;
    Instant nextDue = Instant.EPOCH;
    TaskScheduler.@Nullable ScheduledTask timer;
    boolean running;
    @Nullable Owed owed;
    @Nullable String lastOutcome;
    /** The latest cron time skipped during the run in progress; recorded when that run ends. */
    @Nullable Instant skippedWhileRunning;

    Entry(@Nullable String service, BackupStrategy strategy) {
      this.service = service;
      this.strategy = strategy;
      this.key = key(service, strategy);
    }
  }

  private record Owed(Instant scheduledFor, CompletableFuture<Boolean> result) {}

  private void arm(Entry e) {
    Instant now = clock.instant();
    Optional<Instant> last = history.lastHandled(e.key);
    if (last.isEmpty()) {
      // First time this strategy is scheduled: everything before now is dealt with. Recording it
      // lets a restart notice a first run that was cut short.
      history.handled(e.key, now);
    }
    synchronized (e) {
      // After a restart, resume from the last cron time dealt with, so missed runs are noticed.
      Instant from = last.filter(l -> l.isBefore(now)).orElse(now);
      Optional<Instant> next = nextAfter(e.strategy.schedule(), from);
      if (next.isEmpty()) {
        LOG.warn("strategy {} ({}) never fires again; not scheduled", e.key, e.strategy.schedule());
        return;
      }
      e.nextDue = next.get();
      schedule(e);
    }
  }

  private void schedule(Entry e) {
    e.timer = tasks.schedule(e.nextDue, () -> onTimer(e));
  }

  private Optional<Instant> nextAfter(CronSchedule schedule, Instant t) {
    return schedule.nextAfter(ZonedDateTime.ofInstant(t, clock.getZone())).map(ZonedDateTime::toInstant);
  }

  @SuppressWarnings("FutureReturnValueIgnored") // a timer's run reports through events and the history
  private void onTimer(Entry e) {
    if (isClosed()) {
      return;
    }
    List<DrEvent> out = new ArrayList<>();
    synchronized (e) {
      Instant now = clock.instant();
      if (now.isBefore(e.nextDue)) {
        schedule(e); // woke early
        return;
      }
      Instant first = e.nextDue;
      Instant lastDue = first;
      int due = 1;
      while (due < MAX_COUNTED_MISSES) {
        Optional<Instant> n = nextAfter(e.strategy.schedule(), lastDue);
        if (n.isEmpty() || n.get().isAfter(now)) {
          break;
        }
        lastDue = n.get();
        due++;
      }
      boolean onTime = !now.isAfter(lastDue.plus(misfireGrace));
      int missed = onTime ? due - 1 : due;
      if (missed > 0) {
        boolean catchUp = !onTime && missedPolicy == MissedRunPolicy.RUN_ONCE;
        out.add(event(e, "backup.run.missed", DrEvent.Severity.WARN,
            "strategy " + e.key + " missed " + (due >= MAX_COUNTED_MISSES ? "at least " : "") + missed
                + " scheduled run(s) from " + first + (onTime ? "; the run due now covers them"
                : catchUp ? "; running once to catch up" : "; skipped, waiting for the next scheduled time"))
            .with("count", missed).with("from", first).with("to", onTime ? lastDue.minusNanos(1) : lastDue)
            .with("policy", missedPolicy));
      }
      Optional<Instant> next = nextAfter(e.strategy.schedule(), now.isAfter(lastDue) ? now : lastDue);
      // A cron time is recorded as dealt with once the run in progress ends (so a run cut short by
      // a crash is caught up after a restart), or at once when it is skipped and nothing runs.
      boolean recordNow = !e.running;
      if (e.running && !(overlapPolicy == OverlapPolicy.COALESCE
          && (onTime || missedPolicy == MissedRunPolicy.RUN_ONCE))) {
        e.skippedWhileRunning = lastDue;
      }
      if (onTime || missedPolicy == MissedRunPolicy.RUN_ONCE) {
        recordNow = false;
        tryStart(e, lastDue, onTime ? RunTrigger.SCHEDULED : RunTrigger.CATCH_UP, out);
      } else {
        out.add(event(e, "backup.run.skipped", DrEvent.Severity.WARN,
            "strategy " + e.key + " skipped the run due at " + lastDue + ": missed while the scheduler was down")
            .with("scheduledFor", lastDue).with("reason", "missed"));
      }
      if (recordNow) {
        history.handled(e.key, lastDue);
      }
      if (next.isPresent()) {
        e.nextDue = next.get();
        schedule(e);
      } else {
        LOG.info("strategy {} never fires again", e.key);
      }
    }
    publish(out);
  }

  /** Starts a run unless one is in progress (then skips or owes it). Caller holds e's monitor. */
  private CompletableFuture<Boolean> tryStart(Entry e, Instant scheduledFor, RunTrigger trigger, List<DrEvent> out) {
    if (e.running) {
      if (overlapPolicy == OverlapPolicy.COALESCE) {
        Owed owed = e.owed;
        if (owed == null) {
          owed = new Owed(scheduledFor, new CompletableFuture<>());
        } else {
          owed = new Owed(scheduledFor, owed.result());
        }
        e.owed = owed;
        out.add(event(e, "backup.run.coalesced", DrEvent.Severity.WARN,
            "strategy " + e.key + " fell due at " + scheduledFor
                + " while its previous run was still going; it will run once when that run ends")
            .with("scheduledFor", scheduledFor).with("trigger", trigger));
        return owed.result().handle((x, t) -> false);
      }
      out.add(event(e, "backup.run.skipped", DrEvent.Severity.WARN,
          "strategy " + e.key + " skipped the run due at " + scheduledFor + ": its previous run is still going")
          .with("scheduledFor", scheduledFor).with("reason", "overlap").with("trigger", trigger));
      return CompletableFuture.completedFuture(false);
    }
    e.running = true;
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    // launched after the caller releases the monitor and publishes its events
    tasks.schedule(clock.instant(), () -> launch(e, scheduledFor, trigger, result));
    return result;
  }

  @SuppressWarnings("FutureReturnValueIgnored") // finished(..) handles the outcome
  private void launch(Entry e, Instant scheduledFor, RunTrigger trigger, CompletableFuture<Boolean> result) {
    Instant begin = clock.instant();
    RetryPolicy<Object> retry = RetryPolicy.builder()
        .withMaxRetries(maxRetries)
        .withBackoff(initialBackoff, maxBackoff)
        .abortOn(ConfigException.class, WrongKeyException.class)
        .onRetryScheduled(ev -> publish(List.of(event(e, "backup.run.retrying", DrEvent.Severity.WARN,
            "strategy " + e.key + " attempt " + ev.getAttemptCount() + " failed ("
                + describe(ev.getLastException()) + "); retrying in " + ev.getDelay())
            .with("attempt", ev.getAttemptCount()).with("delay", ev.getDelay())
            .with("scheduledFor", scheduledFor))))
        .build();
    CompletableFuture<Object> run = Failsafe.with(retry).with(failsafeScheduler).getStageAsync(ctx -> {
      RunInfo info = new RunInfo(e.service, e.strategy.name(), scheduledFor, trigger, ctx.getAttemptCount() + 1,
          clock.instant());
      publish(List.of(event(e, "backup.run.started", DrEvent.Severity.INFO,
          "strategy " + e.key + " " + e.strategy.type().configName() + " backup started (attempt " + info.attempt()
              + ", " + trigger.name().toLowerCase(java.util.Locale.ROOT) + ")")
          .with("scheduledFor", scheduledFor).with("attempt", info.attempt()).with("trigger", trigger)
          .with("type", e.strategy.type().configName())));
      CompletionStage<?> stage = job.start(e.strategy, info);
      if (stage == null) {
        throw new IllegalStateException("backup job returned no completion stage for " + e.key);
      }
      return stage.thenApply(x -> (Object) x);
    });
    run.whenComplete((r, err) -> finished(e, scheduledFor, trigger, begin, err, result));
  }

  private void finished(Entry e, Instant scheduledFor, RunTrigger trigger, Instant begin, @Nullable Throwable err,
      CompletableFuture<Boolean> result) {
    Instant record;
    synchronized (e) {
      record = trigger == RunTrigger.MANUAL ? null : scheduledFor;
      Instant skipped = e.skippedWhileRunning;
      e.skippedWhileRunning = null;
      if (skipped != null && (record == null || skipped.isAfter(record))) {
        record = skipped;
      }
    }
    if (record != null) {
      try {
        history.handled(e.key, record);
      } catch (RuntimeException ex) {
        LOG.error("cannot record the run of {} for {} in the run history", e.key, record, ex);
      }
    }
    List<DrEvent> out = new ArrayList<>();
    Owed owed;
    Duration took = Duration.between(begin, clock.instant());
    Throwable cause = unwrap(err);
    synchronized (e) {
      e.running = false;
      e.lastOutcome = cause == null ? "succeeded" : "failed";
      if (cause == null) {
        out.add(event(e, "backup.run.succeeded", DrEvent.Severity.INFO,
            "strategy " + e.key + " backup for " + scheduledFor + " succeeded in " + took)
            .with("scheduledFor", scheduledFor).with("duration", took));
      } else {
        out.add(event(e, "backup.run.failed", DrEvent.Severity.ERROR,
            "strategy " + e.key + " backup for " + scheduledFor + " failed after retries: " + describe(cause))
            .with("scheduledFor", scheduledFor).with("duration", took).with("error", describe(cause)));
      }
      owed = e.owed;
      e.owed = null;
      if (owed != null && !isClosed()) {
        e.running = true;
      }
    }
    publish(out);
    if (cause == null) {
      result.complete(true);
    } else {
      result.completeExceptionally(cause);
    }
    if (owed != null) {
      if (isClosed()) {
        owed.result().complete(false);
      } else {
        launch(e, owed.scheduledFor(), RunTrigger.COALESCED, owed.result());
      }
    }
  }

  private static @Nullable Throwable unwrap(@Nullable Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(@Nullable Throwable t) {
    Throwable c = unwrap(t);
    if (c == null) {
      return "no error";
    }
    return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }

  private DrEvent event(Entry e, String type, DrEvent.Severity severity, String message) {
    return new DrEvent(clock.instant(), type, severity, e.service, 0, message, Map.of())
        .with("strategy", e.strategy.name());
  }

  private void publish(List<DrEvent> out) {
    for (DrEvent ev : out) {
      switch (ev.severity()) {
        case ERROR -> LOG.error("{}", ev.message());
        case WARN -> LOG.warn("{}", ev.message());
        case INFO -> LOG.info("{}", ev.message());
        default -> LOG.info("{}", ev.message());
      }
      events.publish(ev);
    }
  }

  /** Builds a {@link BackupScheduler}; not thread-safe. */
  public static final class Builder {
    private final BackupJob job;
    private @Nullable TaskScheduler tasks;
    private EventBus events = new EventBus();
    private RunHistory history = RunHistory.inMemory();
    private MissedRunPolicy missedPolicy = MissedRunPolicy.RUN_ONCE;
    private OverlapPolicy overlapPolicy = OverlapPolicy.SKIP;
    private Duration misfireGrace = Duration.ofMinutes(1);
    private int maxRetries = 3;
    private Duration initialBackoff = Duration.ofSeconds(30);
    private Duration maxBackoff = Duration.ofMinutes(10);

    private Builder(BackupJob job) {
      this.job = Objects.requireNonNull(job, "job");
    }

    /** @param tasks the scheduler (and clock) to run on; required @return this builder */
    public Builder taskScheduler(TaskScheduler tasks) {
      this.tasks = Objects.requireNonNull(tasks, "tasks");
      return this;
    }

    /** @param events where events go (default: a bus with no listeners) @return this builder */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /** @param history where the last cron time per strategy is kept (default in memory) @return this builder */
    public Builder runHistory(RunHistory history) {
      this.history = Objects.requireNonNull(history, "history");
      return this;
    }

    /** @param policy what to do about missed runs (default {@link MissedRunPolicy#RUN_ONCE}) @return this builder */
    public Builder missedRunPolicy(MissedRunPolicy policy) {
      this.missedPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** @param policy what to do about overlapping runs (default {@link OverlapPolicy#SKIP}) @return this builder */
    public Builder overlapPolicy(OverlapPolicy policy) {
      this.overlapPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * @param grace how late a wake-up may be and still count as on time (default one minute)
     * @return this builder
     * @throws ConfigException naming {@code misfireGrace} if negative
     */
    public Builder misfireGrace(Duration grace) {
      if (grace == null || grace.isNegative()) {
        throw new ConfigException("misfireGrace", "must be a non-negative duration but was " + grace);
      }
      this.misfireGrace = grace;
      return this;
    }

    /**
     * @param maxRetries retries after the first failed attempt ({@code 0}: none; default 3)
     * @param initialBackoff the first delay (default 30 s), doubled on each retry
     * @param maxBackoff the longest delay (default 10 min)
     * @return this builder
     * @throws ConfigException naming {@code retries} for a negative count, or {@code backoff} for a
     *     non-positive initial delay or a maximum below it
     */
    public Builder retries(int maxRetries, Duration initialBackoff, Duration maxBackoff) {
      if (maxRetries < 0) {
        throw new ConfigException("retries", "must be >= 0 but was " + maxRetries);
      }
      if (initialBackoff == null || maxBackoff == null || initialBackoff.isNegative() || initialBackoff.isZero()
          || maxBackoff.compareTo(initialBackoff) <= 0) {
        throw new ConfigException("backoff", "needs 0 < initial < max but was " + initialBackoff + ", " + maxBackoff);
      }
      this.maxRetries = maxRetries;
      this.initialBackoff = initialBackoff;
      this.maxBackoff = maxBackoff;
      return this;
    }

    /**
     * @return the scheduler, not yet started
     * @throws ConfigException naming {@code taskScheduler} when none was given
     */
    public BackupScheduler build() {
      if (tasks == null) {
        throw new ConfigException("taskScheduler", "is required (TaskScheduler.of(executor, clock))");
      }
      return new BackupScheduler(this);
    }
  }
}
