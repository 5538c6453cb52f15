package dev.drkit.core.failover;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayLog;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replay step of a rebuild: reads the log from the snapshot's position, checks that offsets are
 * dense, applies records in batches up to the target, and counts what lies past the target (what the
 * rebuild deliberately undid). Reading, checking and cutting the batches (and, for a
 * {@link dev.drkit.core.spi.PreparingRebuildTarget}, preparing them) run one batch ahead on a
 * {@link ReadAhead} thread; applying runs on the calling thread, which also keeps every count, so
 * the result is the same as reading and applying in turn. Its result is the step's persisted attributes (see
 * {@link RebuildReport}). A gap or a damaged record stops it with an {@link IntegrityException}
 * naming the offset and saying what was recovered.
 */
final class Replayer {
  private static final Logger LOG = LoggerFactory.getLogger(Replayer.class);
  /** Every rebuild attribute starts with this; a new operation clears them. */
  static final String ATTR_PREFIX = "rebuild";
  /** The most records applied per batch (one call of the target's apply). */
  static final int BATCH = 8192;
  /**
   * The most payload bytes per batch: a batch ends at whichever limit it reaches first, so the
   * batches in flight (one applied, one handed over, one being read) stay small in memory whatever
   * the records' size.
   */
  static final long BATCH_BYTES = 8L << 20;
  static final String ATTR_SNAPSHOT_SPEC = "rebuildSnapshot";
  static final String ATTR_TARGET_SPEC = "rebuildTo";
  static final String ATTR_SNAPSHOT_ID = "rebuildSnapshotId";
  static final String ATTR_SNAPSHOT_TIME = "rebuildSnapshotTime";
  static final String ATTR_SNAPSHOT_SIZE = "rebuildSnapshotBytes";
  static final String ATTR_FROM_OFFSET = "rebuildFromOffset";
  static final String ATTR_FROM_EPOCH = "rebuildFromEpoch";
  static final String ATTR_FROM_SITE = "rebuildFrom";
  static final String ATTR_LOAD_MILLIS = "rebuildLoadMillis";
  static final String ATTR_REPLAY_MILLIS = "rebuildReplayMillis";
  static final String ATTR_APPLIED = "rebuildApplied";
  static final String ATTR_LAST_APPLIED = "rebuildLastApplied";
  static final String ATTR_LAST_APPLIED_TIME = "rebuildLastAppliedTime";
  static final String ATTR_STOP = "rebuildStop";
  static final String ATTR_SKIPPED = "rebuildSkipped";
  static final String ATTR_SKIPPED_FIRST = "rebuildSkippedFirst";
  static final String ATTR_SKIPPED_LAST = "rebuildSkippedLast";
  static final String ATTR_RPO_MILLIS = "rebuildRpoMillis";
  static final String ATTR_SKIPPED_NOTE = "rebuildSkippedNote";
  /** Of the records not replayed, those committed at or before a target time (after one past it in the log). */
  static final String ATTR_SKIPPED_AT_OR_BEFORE = "rebuildSkippedAtOrBefore";

  /** Why the replay stopped. */
  static final String STOP_END = "end";
  static final String STOP_TARGET = "target";
  static final String STOP_LOG_GONE = "log-gone";
  static final String STOP_NO_POSITION = "no-position";
  /** The log ends before the snapshot's position: nothing written after the snapshot survives in it. */
  static final String STOP_LOG_BEHIND = "log-behind";

  private final String service;
  private final Site site;
  private final SnapshotRef snapshot;
  private final RebuildRequest request;
  private final long epoch;
  private final ReplayLog log;
  private final RebuildTarget target;
  private final Clock clock;
  private final int batchRecords;
  private final long batchBytes;

  Replayer(String service, Site site, SnapshotRef snapshot, RebuildRequest request, long epoch, ReplayLog log,
      RebuildTarget target, Clock clock, int batchRecords, long batchBytes) {
    this.service = service;
    this.site = site;
    this.snapshot = snapshot;
    this.request = request;
    this.epoch = epoch;
    this.log = log;
    this.target = target;
    this.clock = clock;
    this.batchRecords = batchRecords;
    this.batchBytes = batchBytes;
  }

  /** @return the attributes to persist with the replay step */
  Map<String, String> run() throws Exception {
    Instant started = clock.instant();
    Map<String, String> out = new LinkedHashMap<>();
    if (snapshot.logPosition() == null) {
      return stoppedAtSnapshot(out, STOP_NO_POSITION, started);
    }
    if (!log.available(service)) {
      return stoppedAtSnapshot(out, STOP_LOG_GONE, started);
    }
    long from = snapshot.logPosition().offset();
    long first = log.firstOffset(service);
    if (first > from) {
      throw new IntegrityException("rebuild of '" + service + "': the log starts at offset " + first
          + " but snapshot " + snapshot.id() + " needs it from offset " + from + ": offsets " + from + ".."
          + (first - 1) + " are gone; recovered: the snapshot only (replay with a target before offset " + from
          + " is impossible, choose an older snapshot or accept the snapshot alone)");
    }
    long end = log.endOffset(service);
    if (end < from) {
      LOG.warn("rebuild of '{}': the log ends at offset {}, before snapshot {}'s log position {}: nothing written"
          + " after the snapshot survives in it; the rebuild stops at the snapshot", service, end, snapshot.id(), from);
      return stoppedAtSnapshot(out, STOP_LOG_BEHIND, started);
    }
    checkLine(from, first, end);
    long next = from;
    long applied = 0;
    long lastApplied = -1;
    Instant lastAppliedTime = null;
    boolean reachedTarget = false;
    long skipped = 0;
    Instant skippedFirst = null;
    Instant skippedLast = null;
    long skippedAtOrBefore = 0;
    if (next < end) {
      try (ReadAhead reader = new ReadAhead(service, site, epoch, log, target, this::pastTarget, request.toOffset(),
          from, snapshot.logPosition().epoch(), end, batchRecords, batchBytes)) {
        while (true) {
          if (Thread.currentThread().isInterrupted()) {
            throw interrupted(next);
          }
          ReadAhead.Item item;
          try {
            item = reader.next();
          } catch (InterruptedException e) {
            throw interrupted(next);
          }
          if (item instanceof ReadAhead.End) {
            break;
          }
          if (item instanceof ReadAhead.Failure f) {
            if (f.integrity() == null) {
              throw rethrow(Objects.requireNonNull(f.error())); // one of the two is set
            }
            IntegrityException e = f.integrity().apply(recovered(applied, lastApplied));
            if (!reachedTarget) {
              throw e;
            }
            // Past the target nothing is applied any more: damage there only cuts the count short.
            out.put(ATTR_SKIPPED_NOTE, "counted up to offset " + (next - 1) + ": " + e.getMessage());
            break;
          }
          ReadAhead.Batch batch = (ReadAhead.Batch) item;
          List<ReplayRecord> records = batch.records();
          int cut = batch.cut();
          if (cut > 0) {
            Objects.requireNonNull(batch.applier()).apply(); // set whenever records are to be applied
            applied += cut;
            ReplayRecord last = records.get(cut - 1);
            lastApplied = last.offset();
            lastAppliedTime = last.commitTime();
            if (request.toOffset() != null && lastApplied >= request.toOffset()) {
              reachedTarget = true; // exactly at the target: what follows is only counted
            }
          }
          if (cut < records.size()) {
            reachedTarget = true;
          }
          for (int i = cut; i < records.size(); i++) {
            Instant t = records.get(i).commitTime();
            skipped++;
            if (request.toTime() != null && !t.isAfter(request.toTime())) {
              skippedAtOrBefore++; // behind a record past the target in the log: clock skew
            }
            skippedFirst = skippedFirst == null ? t : skippedFirst;
            skippedLast = t;
          }
          next = records.get(records.size() - 1).offset() + 1;
        }
      }
    }
    out.put(ATTR_STOP, reachedTarget ? STOP_TARGET : STOP_END);
    out.put(ATTR_APPLIED, Long.toString(applied));
    if (lastApplied >= 0) {
      out.put(ATTR_LAST_APPLIED, Long.toString(lastApplied));
      out.put(ATTR_LAST_APPLIED_TIME, Objects.requireNonNull(lastAppliedTime).toString()); // set with lastApplied
    }
    out.put(ATTR_SKIPPED, Long.toString(skipped));
    if (skippedFirst != null) {
      out.put(ATTR_SKIPPED_FIRST, skippedFirst.toString());
      out.put(ATTR_SKIPPED_LAST, Objects.requireNonNull(skippedLast).toString()); // set with skippedFirst
    }
    if (skippedAtOrBefore > 0) {
      out.put(ATTR_SKIPPED_AT_OR_BEFORE, Long.toString(skippedAtOrBefore));
    }
    if (!reachedTarget) {
      Instant upTo = lastAppliedTime != null ? lastAppliedTime : snapshot.time();
      target.lastAcknowledgedWrite(service).ifPresent(t -> out.put(ATTR_RPO_MILLIS,
          Long.toString(Math.max(0, Duration.between(upTo, t).toMillis()))));
    }
    out.put(ATTR_REPLAY_MILLIS, Long.toString(Duration.between(started, clock.instant()).toMillis()));
    return out;
  }

  /**
   * The record just before the snapshot's position, when the log still holds it, was written before
   * the snapshot was taken, so at the snapshot's epoch or an older one: a newer epoch there means the
   * log is another line (the log of a later epoch, or another service's) whose offsets only happen to
   * overlap. A position without its epoch (0, as a state persisted without it reads) is not checked.
   */
  private void checkLine(long from, long first, long end) throws Exception {
    long posEpoch = Objects.requireNonNull(snapshot.logPosition()).epoch();
    if (posEpoch == 0 || from <= first || from > end) {
      return;
    }
    List<ReplayRecord> before = log.read(service, from - 1, 1);
    if (!before.isEmpty() && before.get(0).offset() == from - 1 && before.get(0).epoch() > posEpoch) {
      throw new IntegrityException("rebuild of '" + service + "': the record at offset " + (from - 1) + ", before"
          + " snapshot " + snapshot.id() + "'s log position " + from + ", was written at epoch " + before.get(0).epoch()
          + ", after the snapshot's epoch " + posEpoch + ": the log is not the line the snapshot was taken on"
          + " (another epoch's or another service's log?); " + recovered(0, -1));
    }
  }

  private boolean pastTarget(ReplayRecord r) {
    if (request.toOffset() != null) {
      return r.offset() > request.toOffset();
    }
    // The log's order is authoritative: the first record committed after the target ends the replay,
    // even if a later one (written under a skewed clock) carries an earlier time.
    return request.toTime() != null && r.commitTime().isAfter(request.toTime());
  }

  private InterruptedException interrupted(long next) {
    return new InterruptedException("rebuild of '" + service + "' interrupted at offset " + next);
  }

  /** Surfaces what the reader thread threw, as it was thrown. */
  private static Exception rethrow(Throwable t) {
    if (t instanceof Error e) {
      throw e;
    }
    return t instanceof Exception e ? e : new IllegalStateException(t);
  }

  private String recovered(long applied, long lastApplied) {
    long from = snapshot.logPosition() == null ? 0 : snapshot.logPosition().offset();
    return "recovered: snapshot " + snapshot.id() + (applied == 0 ? " and no log record"
        : " and log records " + from + ".." + lastApplied + " (" + applied + " records)")
        + "; rebuild again with a target offset before the damage to serve what was recovered";
  }

  private Map<String, String> stoppedAtSnapshot(Map<String, String> out, String why, Instant started) {
    out.put(ATTR_STOP, why);
    out.put(ATTR_APPLIED, "0");
    out.put(ATTR_SKIPPED, "0");
    Optional<Instant> lastAck = target.lastAcknowledgedWrite(service);
    lastAck.ifPresent(t -> out.put(ATTR_RPO_MILLIS,
        Long.toString(Math.max(0, Duration.between(snapshot.time(), t).toMillis()))));
    out.put(ATTR_REPLAY_MILLIS, Long.toString(Duration.between(started, clock.instant()).toMillis()));
    return out;
  }
}
