package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * Tracks how far a backup trails its primary in records, bytes and time, and serves it to the
 * core's RPO gate as a {@link DataLossEstimator}: promoting the replica site now would lose
 * {@link Lag#age()} worth of writes; promoting the primary's own site loses nothing.
 *
 * <p>Memory is bounded: commit times are kept as samples (at most one per millisecond, at most
 * {@value #MAX_SAMPLES}; beyond that every other sample is dropped), so the estimate is an upper
 * bound that never grows memory while a backup is down. Thread-safe.
 */
public final class LagTracker implements DataLossEstimator {
  /** The most commit-time samples kept. */
  public static final int MAX_SAMPLES = 8192;
  private final String service;
  private final Site replicaSite;
  private final Clock clock;
  private final EventBus events;
  private final LagBounds bounds;
  private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {offset, bytesBefore, timeMillis}
  private long committedOffset = -1;
  private long committedBytes;
  private long ackedOffset = -1;
  private long epoch;
  private boolean exceeded;

  /**
   * @param service the protected service whose replica is tracked
   * @param replicaSite the site the backup runs on
   * @param clock where the lag's ages are read from (a fake clock in tests)
   * @param events where lag events go
   * @param bounds when to warn
   */
  public LagTracker(String service, Site replicaSite, Clock clock, EventBus events, LagBounds bounds) {
    this.service = Objects.requireNonNull(service, "service");
    this.replicaSite = Objects.requireNonNull(replicaSite, "replicaSite");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.events = Objects.requireNonNull(events, "events");
    this.bounds = Objects.requireNonNull(bounds, "bounds");
  }

  /**
   * A record was committed on the primary.
   *
   * @param offset its offset
   * @param frameBytes its size
   * @param timeMillis when
   */
  public synchronized void committed(long offset, int frameBytes, long timeMillis) {
    if (offset <= committedOffset) {
      return;
    }
    long before = committedBytes;
    committedBytes += frameBytes;
    committedOffset = offset;
    long[] last = samples.peekLast();
    if (last == null || timeMillis > last[2]) {
      samples.addLast(new long[] {offset, before, timeMillis});
      if (samples.size() > MAX_SAMPLES) {
        decimate();
      }
    }
  }

  /** Keeps every other sample (but always the first), halving memory. */
  private void decimate() {
    Iterator<long[]> it = samples.iterator();
    it.next();
    boolean drop = true;
    while (it.hasNext()) {
      it.next();
      if (drop) {
        it.remove();
      }
      drop = !drop;
    }
  }

  /**
   * The backup acknowledged everything up to {@code offset}.
   *
   * @param offset the acknowledged offset
   */
  public void acknowledged(long offset) {
    synchronized (this) {
      if (offset <= ackedOffset) {
        return;
      }
      ackedOffset = offset;
      while (samples.size() > 1) {
        Iterator<long[]> it = samples.iterator();
        it.next();
        if (it.next()[0] <= offset + 1) {
          samples.removeFirst();
        } else {
          break;
        }
      }
    }
    check();
  }

  /**
   * Aligns the tracker with a log that already holds records (at start, or after a resync).
   *
   * @param committed the primary's last committed offset
   * @param acked the backup's last acknowledged offset
   * @param epoch the primary's epoch
   */
  public synchronized void reset(long committed, long acked, long epoch) {
    samples.clear();
    committedOffset = committed;
    ackedOffset = acked;
    this.epoch = epoch;
    if (committed > acked) {
      samples.add(new long[] {acked + 1, committedBytes, clock.millis()});
    }
  }

  /** @return the lag now */
  public synchronized Lag lag() {
    if (ackedOffset >= committedOffset) {
      return Lag.none();
    }
    long[] head = samples.peekFirst();
    long records = committedOffset - ackedOffset;
    if (head == null) {
      return new Lag(records, 0, Duration.ZERO);
    }
    long bytes = committedBytes - head[1];
    return new Lag(records, bytes, Duration.ofMillis(Math.max(0, clock.millis() - head[2])));
  }

  /** @return the last offset the backup acknowledged */
  public synchronized long ackedOffset() {
    return ackedOffset;
  }

  /** Publishes an event when lag crossed a bound, or came back under all of them. Call periodically too. */
  public void check() {
    Lag l = lag();
    boolean over = l.records() > bounds.maxRecords() || l.bytes() > bounds.maxBytes()
        || l.age().compareTo(bounds.maxAge()) > 0;
    boolean changed;
    long ep;
    synchronized (this) {
      changed = over != exceeded;
      exceeded = over;
      ep = epoch;
    }
    if (!changed) {
      return;
    }
    DrEvent e = over
        ? new DrEvent(clock.instant(), "replication.lag.exceeded", DrEvent.Severity.WARN, service, ep,
            "replication lag of " + service + " exceeds its bound: " + l, Map.of())
        : DrEvent.info(clock.instant(), "replication.lag.recovered", service, ep,
            "replication lag of " + service + " is back within bounds: " + l);
    events.publish(e.with("records", l.records()).with("bytes", l.bytes()).with("ageMillis", l.age().toMillis()));
  }

  /** @param epoch the epoch to stamp events with */
  public synchronized void epoch(long epoch) {
    this.epoch = epoch;
  }

  /**
   * @throws IllegalArgumentException for another service
   */
  @Override
  public Duration estimate(String service, Site target) {
    if (!this.service.equals(service)) {
      throw new IllegalArgumentException("lag tracker of " + this.service + " asked about service " + service);
    }
    return target == replicaSite ? lag().age() : Duration.ZERO;
  }
}
