package dev.drkit.validation;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.EventBus;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.internal.DaemonThreads;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one site of one service: probes it with a {@link HealthCheck} every {@code interval} on
 * an injected scheduler, feeds each outcome to a {@link DetectionPolicy} with a monotonic timestamp
 * (so a wall-clock jump cannot cause a false failover), and reports every change of verdict
 * (HEALTHY, SUSPECT, DOWN) to its {@link VerdictListener}s and as a {@code detection.verdict}
 * {@link DrEvent}.
 *
 * <p>A DOWN verdict that lasts is reported again every {@link Builder#repeatDownEvery repeatDownEvery}
 * (default: six intervals), with {@code previous == current == DOWN} and a
 * {@code detection.verdict.repeated} event: a listener that could not act on the first report (an
 * engine whose RPO gate refused the failover, one that was busy or not leading, a failover that was
 * rolled back) gets another chance while the site stays down, instead of never hearing of it again.
 *
 * <p>The latest probe is cached (Caffeine, expiring after {@code maxAge} on the monotonic source):
 * any number of consumers calling {@link #latest()} share it, concurrent callers share one
 * in-flight probe, and the scheduled tick does not probe again while a consumer's probe is fresh.
 * Each real probe is recorded in the policy exactly once. A probe runs on an abandonable thread and
 * is cut off at {@code probeTimeout} (counted as failed); a throwing or null-returning check is a
 * failed probe.
 *
 * <p>Thread-safe.
 */
public final class FailureDetector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FailureDetector.class);
  private static final String KEY = "latest";

  private final String service;
  private final Site site;
  private final HealthCheck check;
  private final DetectionPolicy policy;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final ExecutorService probes;
  private final Duration interval;
  private final Duration probeTimeout;
  private final LongSupplier nanoTime;
  private final LongSupplier epoch;
  private final Clock clock;
  private final EventBus events;
  private final Cache<String, ProbeOutcome> cache;
  private final List<VerdictListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicReference<HealthVerdict> current = new AtomicReference<>(HealthVerdict.HEALTHY);
  private final AtomicReference<@Nullable ScheduledFuture<?>> task = new AtomicReference<>();
  private final long repeatDownNanos;
  /** Monotonic time the DOWN verdict was last reported (first or repeated). */
  private final AtomicLong lastDownReport = new AtomicLong();
  /** Monotonic time the current DOWN verdict began. */
  private final AtomicLong downSince = new AtomicLong();
  /** Set by {@link #reset()}: the next verdict is reported even when it equals the current one. */
  private final AtomicBoolean reportNext = new AtomicBoolean();

  private FailureDetector(Builder b) {
    this.service = b.service;
    this.site = b.site;
    this.check = b.check;
    this.policy = b.policy;
    this.ownsScheduler = b.scheduler == null;
    this.scheduler = b.scheduler != null ? b.scheduler
        : Executors.newSingleThreadScheduledExecutor(
            b.threadFactory == null ? DaemonThreads.factory("drkit-detector-" + b.service) : b.threadFactory);
    this.probes = b.probes;
    this.interval = b.interval;
    this.probeTimeout = b.probeTimeout == null ? b.interval : b.probeTimeout;
    this.nanoTime = b.nanoTime;
    this.epoch = b.epoch;
    this.clock = b.clock;
    this.events = b.events;
    this.repeatDownNanos = (b.repeatDownEvery == null ? b.interval.multipliedBy(6) : b.repeatDownEvery).toNanos();
    Duration maxAge = b.maxAge == null ? b.interval.dividedBy(2) : b.maxAge;
    this.cache = Caffeine.newBuilder()
        .expireAfterWrite(maxAge)
        .ticker(nanoTime::getAsLong)
        .executor(Runnable::run)
        .maximumSize(1)
        .build();
  }

  /**
   * @param service the service watched
   * @param site the site watched
   * @param check probes the site
   * @param policy decides from the probes
   * @return a builder: interval 5 s, probe timeout = interval, cache max age = interval / 2,
   *     {@link System#nanoTime()}, its own single-thread scheduler
   */
  public static Builder builder(String service, Site site, HealthCheck check, DetectionPolicy policy) {
    return new Builder(service, site, check, policy);
  }

  /**
   * Starts probing every interval, the first probe at once.
   *
   * @return this detector
   * @throws IllegalStateException when already started
   */
  public FailureDetector start() {
    ScheduledFuture<?> f = scheduler.scheduleWithFixedDelay(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    if (!task.compareAndSet(null, f)) {
      f.cancel(false);
      throw new IllegalStateException("detector for " + service + " on " + site + " is already started");
    }
    LOG.info("detector for {} on {} started: every {}, policy {}", service, site, interval, policy);
    return this;
  }

  private void tick() {
    try {
      latest();
    } catch (RuntimeException e) {
      LOG.warn("probe of {} on {} failed unexpectedly; next one in {}", service, site, interval, e);
    }
  }

  /**
   * @param listener told of every verdict change
   * @return a handle whose {@link dev.drkit.core.Subscription#close() close()} removes it (and
   *     throws nothing checked)
   */
  public dev.drkit.core.Subscription addListener(VerdictListener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return new dev.drkit.core.Subscription() {
      private volatile boolean active = true;

      @Override
      public void close() {
        active = false;
        listeners.remove(listener);
      }

      @Override
      public boolean isActive() {
        return active;
      }
    };
  }

  /**
   * The latest probe: the cached one while fresh, else a new probe (shared by concurrent callers)
   * that is recorded in the policy.
   *
   * @return the outcome
   */
  public ProbeOutcome latest() {
    return Objects.requireNonNull(cache.get(KEY, k -> probeAndRecord()));
  }

  /**
   * Probes now, whatever the cache holds, and records the outcome.
   *
   * @return the outcome
   */
  public ProbeOutcome probeNow() {
    ProbeOutcome o = probeAndRecord();
    cache.put(KEY, o);
    return o;
  }

  /**
   * The verdict now. Policies that decay with time (phi accrual) may change it without a new probe;
   * such a change is reported to listeners too.
   *
   * @return the verdict
   */
  public HealthVerdict verdict() {
    HealthVerdict v = policy.verdict(nanoTime.getAsLong());
    ProbeOutcome last = cache.getIfPresent(KEY);
    update(v, last != null ? last
        : new ProbeOutcome(false, "no probe since the verdict was last computed", nanoTime.getAsLong(), Duration.ZERO));
    return v;
  }

  /**
   * Forgets the history (for example after a failover moved the service): verdict HEALTHY. The next
   * verdict is reported to the listeners whatever it is, HEALTHY included (then with
   * {@code previous == current}): a listener that acted on the forgotten history (an engine left
   * PRIMARY_DEGRADED by a DOWN that came just before the reset) learns where things stand instead
   * of waiting for a change that may never come.
   */
  public void reset() {
    policy.reset();
    cache.invalidateAll();
    current.set(HealthVerdict.HEALTHY);
    reportNext.set(true);
  }

  private ProbeOutcome probeAndRecord() {
    ProbeOutcome o = probe();
    HealthVerdict v = policy.record(o.healthy(), o.monotonicNanos());
    update(v, o);
    return o;
  }

  private void update(HealthVerdict v, ProbeOutcome cause) {
    HealthVerdict prev = current.getAndSet(v);
    boolean afterReset = reportNext.getAndSet(false);
    if (prev == v && !afterReset) {
      if (v == HealthVerdict.DOWN) {
        repeatDown(cause);
      }
      return;
    }
    if (v == HealthVerdict.DOWN) {
      long now = nanoTime.getAsLong();
      downSince.set(now);
      lastDownReport.set(now);
    }
    LOG.info("{} on {}: {} -> {} ({})", service, site, prev, v, cause.detail());
    DrEvent.Severity sev = switch (v) {
      case HEALTHY -> DrEvent.Severity.INFO;
      case SUSPECT -> DrEvent.Severity.WARN;
      case DOWN -> DrEvent.Severity.ERROR;
    };
    events.publish(new DrEvent(clock.instant(), "detection.verdict", sev, service, epoch.getAsLong(),
        service + " on " + site + " is " + v + " (was " + prev + "): " + cause.detail(), Map.of())
        .with("site", site).with("previous", prev).with("verdict", v).with("policy", policy));
    tell(prev, v, cause);
  }

  /** Hands a verdict to every listener; one that throws is logged and the others still hear it. */
  private void tell(HealthVerdict prev, HealthVerdict v, ProbeOutcome cause) {
    for (VerdictListener l : listeners) {
      try {
        l.onVerdict(service, site, prev, v, cause);
      } catch (RuntimeException e) {
        LOG.warn("verdict listener {} failed on {} -> {}; ignored", l, prev, v, e);
      }
    }
  }

  /** Reports a lasting DOWN again once {@code repeatDownNanos} have passed since the last report. */
  private void repeatDown(ProbeOutcome cause) {
    if (repeatDownNanos <= 0) {
      return;
    }
    long now = nanoTime.getAsLong();
    long last = lastDownReport.get();
    if (now - last < repeatDownNanos || !lastDownReport.compareAndSet(last, now)) {
      return; // not due yet, or a concurrent caller reports this round
    }
    Duration down = Duration.ofNanos(now - downSince.get());
    LOG.warn("{} on {}: still DOWN after {} ({}); reporting it again", service, site, down, cause.detail());
    events.publish(new DrEvent(clock.instant(), "detection.verdict.repeated", DrEvent.Severity.ERROR, service,
        epoch.getAsLong(), service + " on " + site + " is still DOWN after " + down + ": " + cause.detail(), Map.of())
        .with("site", site).with("verdict", HealthVerdict.DOWN).with("downFor", down).with("policy", policy));
    tell(HealthVerdict.DOWN, HealthVerdict.DOWN, cause);
  }

  private ProbeOutcome probe() {
    CheckContext ctx = new CheckContext(service, site, epoch.getAsLong(), probeTimeout);
    long t0 = nanoTime.getAsLong();
    Future<HealthResult> f;
    try {
      f = probes.submit(() -> check.check(ctx));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return outcome(false, "probe refused by its executor: " + e.getMessage(), t0);
    }
    try {
      HealthResult r = f.get(probeTimeout.toNanos(), TimeUnit.NANOSECONDS);
      if (r == null) {
        return outcome(false, "the check returned null", t0);
      }
      return outcome(r.healthy(), r.detail(), t0);
    } catch (TimeoutException e) {
      f.cancel(true);
      return outcome(false, "probe timed out after " + probeTimeout.toMillis() + " ms", t0);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      return outcome(false, "the check threw " + c, t0);
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      return outcome(false, "probe interrupted", t0);
    }
  }

  private ProbeOutcome outcome(boolean healthy, String detail, long t0) {
    long now = nanoTime.getAsLong();
    return new ProbeOutcome(healthy, detail, now, Duration.ofNanos(Math.max(0, now - t0)));
  }

  /** Stops probing; shuts its scheduler down when it created it. */
  @Override
  public void close() {
    ScheduledFuture<?> f = task.getAndSet(null);
    if (f != null) {
      f.cancel(false);
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }

  /** Builds a {@link FailureDetector}; not thread-safe. */
  public static final class Builder {
    private final String service;
    private final Site site;
    private final HealthCheck check;
    private final DetectionPolicy policy;
    private @Nullable ScheduledExecutorService scheduler;
    private ExecutorService probes = DaemonThreads.shared();
    private @Nullable ThreadFactory threadFactory;
    private Duration interval = Duration.ofSeconds(5);
    private @Nullable Duration probeTimeout;
    private @Nullable Duration maxAge;
    private @Nullable Duration repeatDownEvery;
    private LongSupplier nanoTime = System::nanoTime;
    private LongSupplier epoch = () -> 0;
    private Clock clock = Clock.systemUTC();
    private EventBus events = new EventBus();

    private Builder(String service, Site site, HealthCheck check, DetectionPolicy policy) {
      this.service = Objects.requireNonNull(service, "service");
      this.site = Objects.requireNonNull(site, "site");
      this.check = Objects.requireNonNull(check, "check");
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * @param scheduler runs the periodic probes (not shut down by the detector)
     * @return this builder
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * @param threadFactory creates the thread of the detector's own scheduler when no
     *     {@link #scheduler} is given (default: a daemon thread {@code drkit-detector-<service>-1})
     * @return this builder
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
      return this;
    }

    /**
     * @param probes runs each probe so that it can be abandoned at its timeout
     * @return this builder
     */
    public Builder probeExecutor(ExecutorService probes) {
      this.probes = Objects.requireNonNull(probes, "probes");
      return this;
    }

    /**
     * @param interval between probes, positive
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = positive(interval, "interval");
      return this;
    }

    /**
     * @param timeout cuts a probe off, positive (default: the interval)
     * @return this builder
     */
    public Builder probeTimeout(Duration timeout) {
      this.probeTimeout = positive(timeout, "probeTimeout");
      return this;
    }

    /**
     * @param maxAge how long a probe's outcome is served from the cache, positive and shorter than
     *     the interval (default: half the interval)
     * @return this builder
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = positive(maxAge, "maxAge");
      return this;
    }

    /**
     * How often a DOWN verdict that lasts is reported again to the listeners (with
     * {@code previous == current == DOWN}) and as a {@code detection.verdict.repeated} event, so that a
     * listener that could not act on the first report is told again while the site stays down.
     *
     * @param every the period, counted on the monotonic source from the last report; {@link Duration#ZERO}
     *     never repeats (default: six intervals)
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder repeatDownEvery(Duration every) {
      Objects.requireNonNull(every, "repeatDownEvery");
      if (every.isNegative()) {
        throw new IllegalArgumentException("repeatDownEvery must be zero (never) or positive but was " + every);
      }
      this.repeatDownEvery = every;
      return this;
    }

    /**
     * @param nanoTime the monotonic time source (never the wall clock)
     * @return this builder
     */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * @param epoch supplies the epoch in force, for probe contexts and events
     * @return this builder
     */
    public Builder epoch(LongSupplier epoch) {
      this.epoch = Objects.requireNonNull(epoch, "epoch");
      return this;
    }

    /**
     * @param clock stamps events only
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param events the shared bus that receives {@code detection.verdict} events; pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive but was " + d);
      }
      return d;
    }

    /**
     * @return the detector (not started)
     * @throws IllegalArgumentException when {@code maxAge} is not shorter than the interval
     */
    public FailureDetector build() {
      if (maxAge != null && maxAge.compareTo(interval) >= 0) {
        throw new IllegalArgumentException("maxAge (" + maxAge + ") must be shorter than the interval (" + interval
            + "), or the scheduled probes would only reread the cache");
      }
      return new FailureDetector(this);
    }
  }
}
