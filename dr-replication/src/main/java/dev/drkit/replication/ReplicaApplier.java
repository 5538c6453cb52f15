package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.replication.spi.PrimaryHistory;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationEndpoint;
import dev.drkit.replication.spi.ReplicationHandshake;
import dev.drkit.replication.spi.ReplicationSink;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup side of replication for one service: stores received frames in the backup's own
 * {@link ReplicationLog} (keeping the primary's offsets and epochs), forces them before
 * acknowledging, and applies durable records to the host's {@link ReplicationSink} in order,
 * exactly once per offset.
 *
 * <p>Fencing: a session or batch from an epoch older than the newest seen is refused with
 * {@link StaleEpochException}; a handshake raises the backup's epoch to the primary's, so an older
 * primary can never write here again. After {@link #promote(long)} nothing is accepted from any
 * older epoch and nothing more is applied from the old primary.
 *
 * <p>Thread-safe; calls are serialised.
 */
public final class ReplicaApplier implements ReplicationEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaApplier.class);
  private final String service;
  private final ReplicationLog log;
  private final ReplicationSink sink;
  private final EventBus events;
  private final Clock clock;
  private long applied;
  private boolean applyFailing;
  private boolean promoted;
  private volatile long primaryNextOffset = -1;
  private volatile long primaryTimeMillis;

  /**
   * Opens the applier and brings the sink up to the log (replaying durable records the sink has
   * not applied, for instance after a crash).
   *
   * @param service the protected service this replica belongs to
   * @param log the backup's log
   * @param sink the host's sink
   * @param events where events go
   * @param clock where apply times are read from (a fake clock in tests)
   */
  public ReplicaApplier(String service, ReplicationLog log, ReplicationSink sink, EventBus events, Clock clock) {
    this.service = Objects.requireNonNull(service, "service");
    this.log = Objects.requireNonNull(log, "log");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.applied = sink.appliedOffset();
    applyDurable();
  }

  @Override
  public synchronized ReplicationHandshake handshake(String service, long epoch) {
    checkService(service);
    long current = log.currentEpoch();
    if (epoch < current) {
      throw new StaleEpochException("replica of " + this.service, epoch, current);
    }
    checkNotPromoted();
    log.fence(epoch);
    log.sync();
    long nextOffset = log.nextOffset();
    long lastEpoch = nextOffset > log.startOffset() ? log.epochHistory().epochAt(nextOffset - 1) : -1;
    LOG.debug("replica {}: session from epoch {}, resuming at {}", service, epoch, nextOffset);
    return new ReplicationHandshake(epoch, nextOffset, lastEpoch);
  }

  @Override
  public synchronized void receive(ReplicationBatch batch) {
    checkService(batch.service());
    long current = log.currentEpoch();
    if (batch.epoch() < current) {
      throw new StaleEpochException("replica of " + service, batch.epoch(), current);
    }
    checkNotPromoted();
    ByteBuffer f = batch.frames();
    int start = f.position();
    int end = f.limit();
    long next = log.nextOffset();
    int skipTo = -1;
    int p = start;
    int n = 0;
    while (p < end) {
      int len = Frames.check(f, p, end);
      if (len < 0) {
        throw new IntegrityException("replica of " + service + ": frame " + n + " of batch at offset "
            + batch.firstOffset() + " fails its check (code " + len + "); batch refused");
      }
      long off = Frames.offset(f, p);
      long ep = Frames.epoch(f, p);
      if (off != batch.firstOffset() + n) {
        throw new IntegrityException("replica of " + service + ": frame " + n + " of batch at offset "
            + batch.firstOffset() + " carries offset " + off);
      }
      if (ep > batch.epoch()) {
        throw new IntegrityException("replica of " + service + ": frame at offset " + off + " carries epoch " + ep
            + " newer than its batch's " + batch.epoch());
      }
      if (off >= next && skipTo < 0) {
        skipTo = p;
      }
      p += len;
      n++;
    }
    if (n != batch.count()) {
      throw new IntegrityException("replica of " + service + ": batch at offset " + batch.firstOffset() + " announces "
          + batch.count() + " frames but holds " + n);
    }
    if (skipTo < 0) {
      return; // all duplicates
    }
    if (Frames.offset(f, skipTo) != next) {
      throw new ReplicationException("replica of " + service + ": batch starts at offset "
          + Frames.offset(f, skipTo) + " but the replica expects " + next + " (gap)");
    }
    ByteBuffer rest = f.duplicate();
    rest.limit(end).position(skipTo);
    log.fence(batch.epoch());
    log.appendFrames(rest);
  }

  @Override
  public synchronized ReplicationAck acknowledge() {
    if (log.config().durability().kind() == Durability.Kind.INTERVAL) {
      log.writeAppended(); // durability follows the interval; acks report what is durable so far
    } else {
      log.sync();
    }
    applyDurable();
    return ack();
  }

  /**
   * Cuts this replica back to where its history and the primary's diverge (a returning old
   * primary, or a backup holding a tail its primary lost): the records from there go to the log's
   * quarantine (listed, never dropped), the sink is rewound there, and the primary ships from there.
   *
   * @throws StaleEpochException if the replica has seen a newer epoch
   * @throws ReplicationException if the replica was promoted, or its sink cannot rewind (nothing is
   *     changed; it needs a snapshot resync, {@link Resync})
   */
  @Override
  public synchronized ReplicationHandshake rewind(String service, PrimaryHistory primary) {
    checkService(service);
    long current = log.currentEpoch();
    if (primary.epoch() < current) {
      throw new StaleEpochException("replica of " + this.service, primary.epoch(), current);
    }
    checkNotPromoted();
    log.fence(primary.epoch());
    java.util.List<EpochHistory.Entry> entries = new java.util.ArrayList<>();
    for (PrimaryHistory.EpochStart e : primary.epochs()) {
      entries.add(new EpochHistory.Entry(e.epoch(), e.startOffset()));
    }
    long div = EpochHistory.divergenceOffset(log.epochHistory(), log.nextOffset(), new EpochHistory(entries),
        primary.nextOffset());
    // the host state first: if it cannot go back, nothing changes and the replica needs a snapshot resync
    boolean rewound;
    try {
      rewound = sink.appliedOffset() < div || sink.rewindTo(div);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new ReplicationException("replica of " + this.service + ": sink could not rewind to offset " + div, e);
    }
    if (!rewound) {
      throw new ReplicationException("replica of " + this.service + " diverged from the primary at offset " + div
          + " but its sink cannot rewind there; resync it from a snapshot");
    }
    applied = sink.appliedOffset();
    QuarantineFile q = log.quarantineFrom(div);
    log.sync();
    long nextOffset = log.nextOffset();
    long lastEpoch = nextOffset > log.startOffset() ? log.epochHistory().epochAt(nextOffset - 1) : -1;
    LOG.warn("replica {}: rewound to offset {} for the primary at epoch {}{}", this.service, div, primary.epoch(),
        q == null ? "" : "; " + q.count() + " divergent records set aside in " + q.path());
    events.publish(new DrEvent(clock.instant(), "replication.replica.rewound", DrEvent.Severity.WARN, this.service,
        primary.epoch(), "replica of " + this.service + " rewound to offset " + div + " to follow the primary at epoch "
            + primary.epoch() + (q == null ? "" : "; " + q.count() + " divergent records set aside in " + q.path()),
        Map.of()).with("divergenceOffset", div).with("quarantined", q == null ? 0 : q.count()));
    return new ReplicationHandshake(primary.epoch(), nextOffset, lastEpoch);
  }

  private ReplicationAck ack() {
    return new ReplicationAck(log.currentEpoch(), log.nextOffset() - 1, log.durableOffset(), applied);
  }

  @Override
  public void heartbeat(long epoch, long primaryNextOffset, long primaryTimeMillis) {
    long current = log.currentEpoch();
    if (epoch < current) {
      // a primary that was paused (or cut off) while a newer one took over: tell it, and keep its
      // log end and clock out of this replica's view of its lag
      throw new StaleEpochException("replica of " + service, epoch, current);
    }
    this.primaryNextOffset = primaryNextOffset;
    this.primaryTimeMillis = primaryTimeMillis;
  }

  /** Applies every durable record the sink has not applied; stops at the first the sink refuses. */
  private void applyDurable() {
    long durable = log.durableOffset();
    while (applied < durable) {
      FrameBatch b;
      try {
        b = log.readFrames(applied + 1, 1 << 20);
      } catch (OffsetUnavailableException e) {
        LOG.error("replica {}: sink is at {} but the log starts at {}; a snapshot is needed", service, applied,
            e.startOffset());
        return;
      }
      if (b == null) {
        return;
      }
      ByteBuffer f = b.frames();
      int p = 0;
      while (p < f.limit()) {
        int len = Frames.frameSize(Frames.payloadLength(f, p));
        long off = Frames.offset(f, p);
        ByteBuffer payload = f.duplicate();
        payload.limit(p + len).position(p + Frames.HEADER);
        try {
          sink.apply(Frames.epoch(f, p), off, payload.slice().asReadOnlyBuffer());
        } catch (Exception e) {
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
          if (!applyFailing) {
            applyFailing = true;
            if (e instanceof StaleEpochException stale) {
              // The host's site was fenced at a newer epoch: an expected refusal, not a fault to trace.
              String why = "the site refused offset " + off + " from epoch " + Frames.epoch(f, p) + ": it is fenced at"
                  + " epoch " + stale.currentEpoch() + "; the records stay in this replica's log until it follows a"
                  + " newer primary or is promoted";
              LOG.warn("replica {}: {}", service, why);
              events.publish(new DrEvent(clock.instant(), "replication.apply.failed", DrEvent.Severity.WARN, service,
                  log.currentEpoch(), "sink of " + service + ": " + why, Map.of("offset", String.valueOf(off),
                      "fencedAt", String.valueOf(stale.currentEpoch()))));
            } else {
              LOG.warn("replica {}: sink failed at offset {}; will retry", service, off, e);
              events.publish(new DrEvent(clock.instant(), "replication.apply.failed", DrEvent.Severity.WARN, service,
                  log.currentEpoch(), "sink of " + service + " failed at offset " + off + ": " + e, Map.of("offset",
                      String.valueOf(off))));
            }
          }
          return;
        }
        if (applyFailing) {
          applyFailing = false;
          events.publish(DrEvent.info(clock.instant(), "replication.apply.resumed", service, log.currentEpoch(),
              "sink of " + service + " applied offset " + off + " after failures"));
        }
        applied = off;
        p += len;
      }
    }
  }

  /**
   * Stops accepting from the old primary, applies everything durable and starts {@code epoch} at
   * the end of the log, so that this site can write as primary.
   *
   * @param epoch the new epoch
   * @return the offset the new primary's first record takes
   * @throws StaleEpochException if the backup has seen a newer epoch
   * @throws ReplicationException if the sink could not apply every durable record (promotion must
   *     be retried: the host state would otherwise miss records the new primary builds on)
   */
  public synchronized long promote(long epoch) {
    if (epoch < log.currentEpoch()) {
      throw new StaleEpochException("replica of " + service, epoch, log.currentEpoch());
    }
    log.fence(epoch);
    log.sync();
    applyDurable();
    if (applied < log.durableOffset()) {
      throw new ReplicationException("replica of " + service + " cannot be promoted yet: its sink applied up to "
          + applied + " of " + log.durableOffset());
    }
    log.beginEpoch(epoch);
    promoted = true;
    events.publish(DrEvent.info(clock.instant(), "replication.replica.promoted", service, epoch,
        "replica of " + service + " promoted at offset " + log.nextOffset()).with("appliedOffset", applied));
    return log.nextOffset();
  }

  /** Makes this applier accept a primary again (after a site was demoted to replica). */
  public synchronized void demote() {
    promoted = false;
  }

  /** Retries applying records the sink refused before. */
  public synchronized void retryApply() {
    applyDurable();
  }

  /** @return the last offset applied to the sink */
  public synchronized long appliedOffset() {
    return applied;
  }

  /** @return whether the sink refused the last record offered */
  public synchronized boolean applyFailing() {
    return applyFailing;
  }

  /** @return the log this applier writes */
  public ReplicationLog log() {
    return log;
  }

  /**
   * @return the replica's own view of its lag: how long ago the primary last said it was ahead,
   *     {@link Duration#ZERO} when caught up or no heartbeat was seen
   */
  public Duration observedLag() {
    long pn = primaryNextOffset;
    if (pn < 0 || log.durableOffset() >= pn - 1) {
      return Duration.ZERO;
    }
    return Duration.ofMillis(Math.max(0, clock.millis() - primaryTimeMillis));
  }

  private void checkNotPromoted() {
    if (promoted) {
      throw new ReplicationException("replica of " + service + " was promoted (primary at epoch " + log.currentEpoch()
          + "); demote it before replicating into it");
    }
  }

  private void checkService(String s) {
    if (!service.equals(s)) {
      throw new IllegalArgumentException("replica of " + service + " got a session for service " + s);
    }
  }
}
