package dev.drkit.replication;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.replication.spi.PrimaryHistory;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationHandshake;
import dev.drkit.replication.spi.ReplicationSession;
import dev.drkit.replication.spi.ReplicationTransport;
import dev.drkit.core.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

// Why this file is over 600 lines: about 155 of them are the nested Builder, whose documented
// settings are public API as ReplicationPrimary.Builder; the shipping loop itself is about 500.

/**
 * The primary side of replication for one service: appends host records to the local
 * {@link ReplicationLog} at the primary's epoch, ships durable records to the backup through a
 * {@link ReplicationTransport}, waits for the backup as the {@link ReplicationMode} says, and
 * tracks lag ({@link #lagTracker()}, a {@link dev.drkit.core.spi.DataLossEstimator}).
 *
 * <p>By default only records durable on the primary are shipped, so a backup never holds a record
 * the primary could lose in a crash. With {@link Builder#shipBeforeDurable(boolean)} records are
 * shipped once written, while the primary forces them (the two sites' forces overlap); see that
 * method for the rules that keep this safe. On any session failure the shipper reconnects and resumes from
 * the backup's next offset (the backup skips duplicates). A backup that has seen a newer epoch
 * refuses the session: this primary is then fenced, stops shipping and fails waiting appends with
 * {@link StaleEpochException}.
 *
 * <p>{@link #start()} runs shipping on a daemon thread; tests may instead drive {@link #pump()}.
 */
public final class ReplicationPrimary implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationPrimary.class);
  private final String service;
  private final String replicaName;
  private final ReplicationLog log;
  private final ReplicationTransport transport;
  private final ReplicationMode mode;
  private final EventBus events;
  private final Clock clock;
  private final LagTracker lag;
  private final int maxBatchBytes;
  private final Duration heartbeatInterval;
  private final Duration reconnectDelay;
  private final boolean shipBeforeDurable;
  private final boolean rewindDivergedBackup;
  private final Object ackMonitor = new Object();
  private final ReplicationSession.Listener listener = new Listener();

  private volatile long epoch;
  private volatile @Nullable ReplicationSession session;
  private volatile long next;
  private volatile long acked = -1;
  private volatile boolean degraded;
  private volatile boolean stopped;
  private volatile @Nullable RuntimeException stopCause;
  private volatile boolean disconnectedReported;
  private volatile boolean needsResync;
  private long lastSendNanos = System.nanoTime();
  private @Nullable Thread shipper;

  private ReplicationPrimary(Builder b) {
    this.service = b.service;
    this.replicaName = b.replicaName;
    this.log = b.log;
    this.transport = b.transport;
    this.mode = b.mode;
    this.events = b.events;
    this.clock = b.clock;
    this.epoch = b.epoch;
    this.maxBatchBytes = b.maxBatchBytes;
    this.heartbeatInterval = b.heartbeatInterval;
    this.reconnectDelay = b.reconnectDelay;
    this.shipBeforeDurable = b.shipBeforeDurable;
    this.rewindDivergedBackup = b.rewindDivergedBackup;
    this.lag = new LagTracker(service, b.replicaSite, clock, events, b.lagBounds);
    if (epoch < log.currentEpoch()) {
      throw new StaleEpochException("replication log " + log.name(), epoch, log.currentEpoch());
    }
    if (shipBeforeDurable) {
      EpochHistory h = log.epochHistory();
      long end = log.nextOffset();
      if (h.find(epoch).map(e -> e.startOffset() < end).orElse(false)) {
        throw new ReplicationException("primary of " + service + " ships before its own force, so it must start at an"
            + " epoch newer than every record in its log (a crash may have lost records the backup holds, and their"
            + " offsets must not be reused at the same epoch); its log holds records of epoch " + h.latestEpoch()
            + ", asked to start at " + epoch);
      }
    }
    log.beginEpoch(epoch);
    this.next = log.nextOffset();
    lag.reset(log.nextOffset() - 1, log.nextOffset() - 1, epoch);
  }

  /**
   * @param service the protected service whose log this primary ships
   * @param log the primary's log
   * @param transport how batches reach the backup
   * @return a builder (asynchronous mode, epoch 1, the system clock by default)
   */
  public static Builder builder(String service, ReplicationLog log, ReplicationTransport transport) {
    return new Builder(service, log, transport);
  }

  /** Starts shipping on a daemon thread. */
  public synchronized void start() {
    if (shipper != null) {
      return;
    }
    Thread t = DrkitThreads.create(this::runShipper, "drkit-ship-" + service, true);
    shipper = t;
    t.start();
  }

  /**
   * Appends a host record and waits as the mode says.
   *
   * @param payload the record's bytes
   * @return its offset
   * @throws InterruptedException if interrupted while waiting for the backup (the record is
   *     committed locally and will still be shipped)
   * @throws StaleEpochException if this primary has been fenced
   * @throws dev.drkit.core.StorageException if the local write failed
   */
  public long append(byte[] payload) throws InterruptedException {
    checkNotStopped();
    long off = log.append(epoch, payload);
    lag.committed(off, Frames.frameSize(payload.length), clock.millis());
    switch (mode.kind()) {
      case ASYNCHRONOUS:
        break;
      case SYNCHRONOUS:
        awaitAck(off, Long.MAX_VALUE);
        break;
      case SEMI_SYNCHRONOUS:
        if (!degraded && !awaitAck(off, Objects.requireNonNull(mode.timeout()).toNanos())) {
          degrade(off);
        }
        break;
      default:
        throw new IllegalStateException("unknown mode " + mode.kind());
    }
    return off;
  }

  private boolean awaitAck(long off, long timeoutNanos) throws InterruptedException {
    long deadline = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
    synchronized (ackMonitor) {
      while (acked < off) {
        if (stopped) {
          RuntimeException c = stopCause;
          throw c != null ? c : new ReplicationException("replication of " + service + " is closed; offset " + off
              + " is committed locally but not acknowledged by the backup");
        }
        if (deadline == Long.MAX_VALUE) {
          ackMonitor.wait();
        } else {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(ackMonitor, left);
        }
      }
      return true;
    }
  }

  private void degrade(long off) {
    synchronized (ackMonitor) {
      if (degraded || acked >= off) {
        return;
      }
      degraded = true;
    }
    LOG.warn("replication of {}: backup did not acknowledge offset {} within {}; falling back to asynchronous",
        service, off, mode.timeout());
    events.publish(new DrEvent(clock.instant(), "replication.mode.degraded", DrEvent.Severity.WARN, service, epoch,
        "replication of " + service + " fell back to asynchronous: backup did not acknowledge offset " + off
            + " within " + mode.timeout(), Map.of()).with("offset", off));
  }

  /**
   * One shipping step: connect if needed, else send the next batch of durable records, else send a
   * heartbeat when due.
   *
   * @return whether anything was sent or a session opened
   * @throws InterruptedException if interrupted while blocked by backpressure
   */
  public boolean pump() throws InterruptedException {
    if (stopped) {
      return false;
    }
    ReplicationSession s = session;
    if (s == null || !s.isOpen()) {
      session = null;
      if (needsResync) {
        return false;
      }
      return connect();
    }
    FrameBatch b;
    try {
      b = shipBeforeDurable ? log.readWrittenFrames(next, maxBatchBytes) : log.readFrames(next, maxBatchBytes);
    } catch (OffsetUnavailableException e) {
      markNeedsResync(s, e);
      return false;
    }
    try {
      if (b == null) {
        if (System.nanoTime() - lastSendNanos >= heartbeatInterval.toNanos()) {
          s.heartbeat(log.nextOffset(), clock.millis());
          lastSendNanos = System.nanoTime();
          lag.check();
        }
        return false;
      }
      s.send(new ReplicationBatch(service, epoch, b.firstOffset(), b.count(), b.frames()));
    } catch (StaleEpochException e) {
      fenced(e);
      return false;
    } catch (RuntimeException e) {
      LOG.debug("replication of {}: send failed: {}", service, e.toString());
      s.close();
      session = null;
      return false;
    }
    next = b.lastOffset() + 1;
    lastSendNanos = System.nanoTime();
    return true;
  }

  private boolean connect() {
    ReplicationSession s;
    try {
      s = transport.connect(service, epoch, listener);
    } catch (StaleEpochException e) {
      fenced(e);
      return false;
    } catch (RuntimeException e) {
      if (!disconnectedReported) {
        disconnectedReported = true;
        LOG.warn("replication of {}: cannot reach backup: {}", service, e.toString());
        events.publish(new DrEvent(clock.instant(), "replication.disconnected", DrEvent.Severity.WARN, service, epoch,
            "replication of " + service + " cannot reach its backup: " + e.getMessage(), Map.of()));
      }
      return false;
    }
    ReplicationHandshake h = s.handshake();
    long agreedEnd = agreedEnd(h);
    if (h.nextOffset() > agreedEnd && rewindDivergedBackup) {
      try {
        h = s.rewind(primaryHistory());
        agreedEnd = agreedEnd(h);
        LOG.warn("replication of {}: the backup held records this primary does not; it rewound to offset {}", service,
            h.nextOffset());
      } catch (StaleEpochException e) {
        fenced(e);
        return false;
      } catch (RuntimeException e) {
        LOG.warn("replication of {}: the backup could not rewind over the wire: {}", service, e.toString());
        if (!s.isOpen()) {
          s = reopenedAfterRefusal();
          if (s == null) {
            return false;
          }
        }
      }
    }
    if (h.nextOffset() > agreedEnd) {
      s.close();
      RuntimeException e = new ReplicationException("backup of " + service + " holds offsets up to "
          + (h.nextOffset() - 1) + " (last written at epoch " + h.lastRecordEpoch() + ") but agrees with this primary"
          + " only below offset " + agreedEnd
          + "; it must be resynced (its divergent records quarantined) before it can follow this primary");
      needsResync = true;
      events.publish(new DrEvent(clock.instant(), "replication.replica.diverged", DrEvent.Severity.ERROR, service,
          epoch, String.valueOf(e.getMessage()), Map.of()));
      return false;
    }
    if (h.nextOffset() < log.startOffset()) {
      markNeedsResync(s, new OffsetUnavailableException(log.name(), h.nextOffset(), log.startOffset()));
      return false;
    }
    next = h.nextOffset();
    session = s;
    listener.onAck(new ReplicationAck(h.epoch(), h.nextOffset() - 1, h.nextOffset() - 1, -1));
    if (disconnectedReported) {
      disconnectedReported = false;
    }
    events.publish(DrEvent.info(clock.instant(), "replication.connected", service, epoch,
        "replication of " + service + " connected; resuming at offset " + h.nextOffset()));
    return true;
  }

  /** After a refused REWIND the session is closed: a new one reports the (unchanged) divergence. */
  private @Nullable ReplicationSession reopenedAfterRefusal() {
    try {
      return transport.connect(service, epoch, listener);
    } catch (StaleEpochException e) {
      fenced(e);
      return null;
    } catch (RuntimeException e) {
      LOG.debug("replication of {}: reconnect after a refused rewind failed: {}", service, e.toString());
      return null;
    }
  }

  private PrimaryHistory primaryHistory() {
    java.util.List<PrimaryHistory.EpochStart> es = new java.util.ArrayList<>();
    for (EpochHistory.Entry e : log.epochHistory().entries()) {
      es.add(new PrimaryHistory.EpochStart(e.epoch(), e.startOffset()));
    }
    return new PrimaryHistory(epoch, log.nextOffset(), es);
  }

  /** The end of the prefix the backup and this primary share, judged by the epoch history. */
  private long agreedEnd(ReplicationHandshake h) {
    long end = log.nextOffset();
    if (h.nextOffset() <= log.startOffset() || h.lastRecordEpoch() < 0) {
      return end;
    }
    EpochHistory mine = log.epochHistory();
    if (mine.find(h.lastRecordEpoch()).isEmpty()) {
      return mine.entries().isEmpty() ? end : Math.min(end, mine.entries().get(0).startOffset());
    }
    return mine.endOf(h.lastRecordEpoch(), end);
  }

  private void markNeedsResync(ReplicationSession s, OffsetUnavailableException e) {
    s.close();
    session = null;
    needsResync = true;
    LOG.warn("replication of {}: backup needs offset {} but the log starts at {}; a snapshot resync is needed",
        service, e.requestedOffset(), e.startOffset());
    events.publish(new DrEvent(clock.instant(), "replication.replica.needs-snapshot", DrEvent.Severity.ERROR, service,
        epoch, "backup of " + service + " is too far behind: " + e.getMessage(), Map.of())
        .with("requestedOffset", e.requestedOffset()).with("startOffset", e.startOffset()));
  }

  private void fenced(StaleEpochException e) {
    if (stopped) {
      return;
    }
    LOG.warn("replication of {}: fenced: {}", service, e.getMessage());
    events.publish(new DrEvent(clock.instant(), "replication.fenced", DrEvent.Severity.WARN, service, epoch,
        "primary of " + service + " at epoch " + epoch + " is fenced: " + e.getMessage(), Map.of()));
    stop(e);
  }

  private void stop(@Nullable RuntimeException cause) {
    synchronized (ackMonitor) {
      if (!stopped) {
        stopCause = cause;
      }
      stopped = true;
      ackMonitor.notifyAll();
    }
    ReplicationSession s = session;
    if (s != null) {
      s.close();
    }
    session = null;
  }

  private void runShipper() {
    while (!stopped) {
      try {
        if (!pump()) {
          if (session == null) {
            synchronized (ackMonitor) {
              if (!stopped) {
                TimeUnit.NANOSECONDS.timedWait(ackMonitor, reconnectDelay.toNanos());
              }
            }
          } else {
            if (shipBeforeDurable) {
              log.awaitWritten(next, Math.max(1, heartbeatInterval.toMillis()));
            } else {
              log.awaitDurable(next, Math.max(1, heartbeatInterval.toMillis()));
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.warn("replication of {}: shipping step failed; retrying", service, e);
        ReplicationSession s = session;
        if (s != null) {
          s.close();
        }
        session = null;
      }
    }
  }

  private final class Listener implements ReplicationSession.Listener {
    @Override
    public void onAck(ReplicationAck ack) {
      boolean restored = false;
      if (ack.durableOffset() >= 0) {
        lag.acknowledged(ack.durableOffset()); // before waiters wake, so they see the lag they caused end
      }
      synchronized (ackMonitor) {
        if (ack.durableOffset() > acked) {
          acked = ack.durableOffset();
          ackMonitor.notifyAll();
        }
        if (degraded && acked >= log.durableOffset()) {
          degraded = false;
          restored = true;
        }
      }
      if (ack.durableOffset() >= 0) {
        log.acknowledge(replicaName, ack.durableOffset());
      }
      if (restored) {
        events.publish(DrEvent.info(clock.instant(), "replication.mode.restored", service, epoch,
            "replication of " + service + " caught up; semi-synchronous again"));
      }
    }

    @Override
    public void onClosed(@Nullable Throwable cause) {
      if (cause instanceof StaleEpochException se) {
        fenced(se);
      } else if (cause != null) {
        LOG.debug("replication of {}: session closed: {}", service, cause.toString());
      }
    }
  }

  /**
   * Fences this primary: no more appends or shipping below {@code newEpoch}; appends waiting for
   * the backup fail with {@link StaleEpochException}.
   *
   * @param newEpoch the epoch of the new primary
   */
  public void fence(long newEpoch) {
    log.fence(newEpoch);
    stop(new StaleEpochException("primary of " + service, epoch, newEpoch));
    events.publish(new DrEvent(clock.instant(), "replication.fenced", DrEvent.Severity.INFO, service, newEpoch,
        "primary log of " + service + " closed at epoch " + newEpoch, Map.of()));
  }

  private void checkNotStopped() {
    if (stopped) {
      RuntimeException c = stopCause;
      throw c != null ? c : new ReplicationException("replication of " + service + " is closed");
    }
  }

  /** @return the last offset the backup acknowledged as durable, {@code -1} for none */
  public long ackedOffset() {
    return acked;
  }

  /** @return the next offset to ship */
  public long shippedUpTo() {
    return next;
  }

  /** @return the current lag */
  public Lag lag() {
    return lag.lag();
  }

  /** @return the lag tracker (the RPO gate's {@link dev.drkit.core.spi.DataLossEstimator}) */
  public LagTracker lagTracker() {
    return lag;
  }

  /** @return whether semi-synchronous mode has fallen back to asynchronous */
  public boolean degraded() {
    return degraded;
  }

  /** @return whether the backup needs a resync before it can follow (diverged or too far behind) */
  public boolean needsResync() {
    return needsResync;
  }

  /** Clears {@link #needsResync()} after the backup was resynced. */
  public void resynced() {
    needsResync = false;
  }

  /** @return the epoch this primary writes at */
  public long epoch() {
    return epoch;
  }

  /** @return the log */
  public ReplicationLog log() {
    return log;
  }

  /** @return whether the primary was fenced or closed */
  public boolean stopped() {
    return stopped;
  }

  /** Stops shipping and closes the session (not the log). Idempotent. */
  @Override
  public void close() {
    stop(null);
    Thread t;
    synchronized (this) {
      t = shipper;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Builds a {@link ReplicationPrimary}. */
  public static final class Builder {
    private final String service;
    private final ReplicationLog log;
    private final ReplicationTransport transport;
    private String replicaName = "backup";
    private Site replicaSite = Site.BACKUP;
    private ReplicationMode mode = ReplicationMode.async();
    private EventBus events = new EventBus();
    private Clock clock = Clock.systemUTC();
    private long epoch = 1;
    private LagBounds lagBounds = LagBounds.unbounded();
    private int maxBatchBytes = 256 << 10;
    private Duration heartbeatInterval = Duration.ofMillis(500);
    private Duration reconnectDelay = Duration.ofMillis(200);
    private boolean shipBeforeDurable;
    private boolean rewindDivergedBackup;

    private Builder(String service, ReplicationLog log, ReplicationTransport transport) {
      this.service = Objects.requireNonNull(service, "service");
      this.log = Objects.requireNonNull(log, "log");
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** @param v the mode @return this */
    public Builder mode(ReplicationMode v) {
      this.mode = Objects.requireNonNull(v, "mode");
      return this;
    }

    /** @param v the fencing epoch to write at (at least the log's) @return this */
    public Builder epoch(long v) {
      if (v < 0) {
        throw new IllegalArgumentException("primary.epoch must be >= 0, was " + v);
      }
      this.epoch = v;
      return this;
    }

    /**
     * @param v the shared bus that receives the primary's events (shipping, lag, fencing); pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus v) {
      this.events = Objects.requireNonNull(v, "events");
      return this;
    }

    /** @param v the clock @return this */
    public Builder clock(Clock v) {
      this.clock = Objects.requireNonNull(v, "clock");
      return this;
    }

    /** @param v lag bounds for events @return this */
    public Builder lagBounds(LagBounds v) {
      this.lagBounds = Objects.requireNonNull(v, "lagBounds");
      return this;
    }

    /** @param v the site the backup runs on (for the data-loss estimate) @return this */
    public Builder replicaSite(Site v) {
      this.replicaSite = Objects.requireNonNull(v, "replicaSite");
      return this;
    }

    /** @param v the replica's name in retention bookkeeping @return this */
    public Builder replicaName(String v) {
      this.replicaName = Objects.requireNonNull(v, "replicaName");
      return this;
    }

    /** @param v the soft size limit of a batch (at least 1024) @return this */
    public Builder maxBatchBytes(int v) {
      if (v < 1024) {
        throw new IllegalArgumentException("primary.maxBatchBytes must be >= 1024, was " + v);
      }
      this.maxBatchBytes = v;
      return this;
    }

    /** @param v how often an idle primary sends a heartbeat @return this */
    public Builder heartbeatInterval(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("primary.heartbeatInterval must be positive, was " + v);
      }
      this.heartbeatInterval = v;
      return this;
    }

    /** @param v how long to wait between connection attempts @return this */
    public Builder reconnectDelay(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("primary.reconnectDelay must be positive, was " + v);
      }
      this.reconnectDelay = v;
      return this;
    }

    /**
     * Whether records are shipped as soon as they are written to the log file, before the
     * primary's own force completes, so that the two sites' forces overlap (default {@code false}:
     * only durable records are shipped). A synchronous append still returns only once its record
     * is durable locally and acknowledged durable by the backup. The backup may then hold records
     * this primary loses in a crash; so every start of such a primary, after a restart too, must
     * use an epoch newer than every record in its log ({@link #build()} refuses otherwise), and a
     * backup holding a lost tail is reported diverged and resynced (its suffix quarantined). See
     * {@code docs/replication-protocol.md}.
     *
     * @param v whether to ship before the local force
     * @return this
     */
    public Builder shipBeforeDurable(boolean v) {
      this.shipBeforeDurable = v;
      return this;
    }

    /**
     * Whether a backup found holding records this primary does not (an old primary returning as a
     * replica, or a backup holding a tail this primary lost) is asked over the transport to set
     * them aside into its quarantine, rewind its host state and follow from the divergence point
     * (message REWIND, {@code docs/replication-protocol.md}). Default {@code false}: such a backup is
     * reported ({@code replication.replica.diverged}) and must be resynced by other means
     * ({@link Resync}). A backup that cannot rewind (its sink cannot go back) is reported the same way.
     *
     * @param v whether to rewind a diverged backup remotely
     * @return this
     */
    public Builder rewindDivergedBackup(boolean v) {
      this.rewindDivergedBackup = v;
      return this;
    }

    /**
     * @return the primary (not yet shipping: call {@link ReplicationPrimary#start()} or drive
     *     {@link ReplicationPrimary#pump()})
     * @throws StaleEpochException if the log has seen a newer epoch than the one configured
     * @throws ReplicationException if it ships before durability and its log already holds
     *     records of the configured epoch
     */
    public ReplicationPrimary build() {
      return new ReplicationPrimary(this);
    }
  }
}
