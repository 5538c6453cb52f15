package dev.drkit.examples.drill;

import dev.drkit.core.DetectionPolicy;
import dev.drkit.core.EventBus;
import dev.drkit.core.HealthVerdict;
import dev.drkit.spi.CheckContext;
import dev.drkit.spi.DrEvent;
import dev.drkit.spi.HealthCheck;
import dev.drkit.spi.HealthResult;
import dev.drkit.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failure detection for one site: probes it at a fixed interval and feeds the outcomes to a
 * {@link DetectionPolicy}; when the policy says {@link HealthVerdict#DOWN}, the detector records
 * the moment and publishes {@code detection.down}. Every failed probe is published as
 * {@code detection.probe.failed}.
 */
public final class Detector implements AutoCloseable {
  private final String service;
  private final Site site;
  private final HealthCheck probe;
  private final DetectionPolicy policy;
  private final Duration interval;
  private final Duration timeout;
  private final EventBus events;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final CountDownLatch down = new CountDownLatch(1);
  private final AtomicLong downAtNanos = new AtomicLong();
  private final AtomicLong firstFailureNanos = new AtomicLong();
  private final AtomicLong probes = new AtomicLong();
  private volatile long epoch;

  /**
   * @param service the service
   * @param site the watched site
   * @param probe the probe
   * @param policy the detection policy
   * @param interval the probe interval
   * @param timeout how long one probe may take
   * @param epoch the epoch the probes run under
   * @param events where detection events go
   * @param clock the clock stamping events
   */
  public Detector(String service, Site site, HealthCheck probe, DetectionPolicy policy, Duration interval,
      Duration timeout, long epoch, EventBus events, Clock clock) {
    this.service = Objects.requireNonNull(service, "service");
    this.site = Objects.requireNonNull(site, "site");
    this.probe = Objects.requireNonNull(probe, "probe");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.epoch = epoch;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "drill-detector-" + site.name().toLowerCase(java.util.Locale.ROOT));
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts probing.
   *
   * @return this detector
   */
  public Detector start() {
    scheduler.scheduleAtFixedRate(this::probeOnce, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    return this;
  }

  private void probeOnce() {
    if (down.getCount() == 0) {
      return;
    }
    boolean healthy;
    String detail;
    try {
      HealthResult r = probe.check(new CheckContext(service, site, epoch, timeout));
      healthy = r != null && r.healthy();
      detail = r == null ? "probe returned null" : r.detail();
    } catch (Exception e) {
      healthy = false;
      detail = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    long now = System.nanoTime();
    probes.incrementAndGet();
    HealthVerdict v = policy.record(healthy, now);
    if (!healthy) {
      firstFailureNanos.compareAndSet(0, now);
      events.publish(new DrEvent(clock.instant(), "detection.probe.failed", DrEvent.Severity.WARN, service, epoch,
          "probe of " + site + " failed: " + detail, Map.of("verdict", v.name())));
    } else {
      firstFailureNanos.set(0);
    }
    if (v == HealthVerdict.DOWN && downAtNanos.compareAndSet(0, now)) {
      events.publish(new DrEvent(clock.instant(), "detection.down", DrEvent.Severity.ERROR, service, epoch,
          site + " declared down by the detection policy", Map.of("probes", Long.toString(probes.get()))));
      down.countDown();
    }
  }

  /**
   * Waits until the site is declared down.
   *
   * @param max the most to wait
   * @return the {@link System#nanoTime()} reading when it was declared down, or empty on timeout
   * @throws InterruptedException when interrupted
   */
  public OptionalLong awaitDown(Duration max) throws InterruptedException {
    return down.await(max.toNanos(), TimeUnit.NANOSECONDS) ? OptionalLong.of(downAtNanos.get()) : OptionalLong.empty();
  }

  /** @return how many probes ran */
  public long probes() {
    return probes.get();
  }

  /** Stops probing. */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
