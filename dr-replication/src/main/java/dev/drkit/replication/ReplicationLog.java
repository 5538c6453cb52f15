package dev.drkit.replication;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.StorageException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

// Why this file is over 600 lines: it is the log's write-side state machine and its public API.
// Appending (enqueue, group commit), flushing (write, force, roll, failed-write rollback) and cutting
// (quarantine, truncate, reset) all change the same fields (pending chunks, next/written/durable
// offsets, the active segment, the epoch history) under one protocol of two locks (the flushLock
// holder may take appendLock, never the reverse; see the field comments); split across files that
// protocol could no longer be checked in one reading. Everything with its own job lives beside it: Segment (one
// segment file), PendingChunk (appended, not yet written), LogReader (the read path), LogRecovery
// (crash recovery on open), LogMetaFiles (epochs.history, fence.epoch), SegmentPreallocator (the
// zero-filling background thread), LogRetention, LogQuarantine, WriteFailures and ForceStats.

/**
 * An append-only, segmented, checksummed log of records, each tagged with the fencing epoch of its
 * writer. The primary appends host records to it and ships them; a replica appends what it
 * receives, keeping the primary's offsets and epochs.
 *
 * <p>Files in the log directory: {@code <20-digit base offset>.log} segments (a 16-byte header
 * {@code "DRKL", u32 version=1, u64 baseOffset} then record frames, see
 * {@code docs/replication-protocol.md}), {@code epochs.history} (which epoch started at which
 * offset), {@code fence.epoch} (the newest epoch seen) and {@code quarantine/} (records set aside).
 *
 * <p>Fencing: the log refuses appends from an epoch older than the newest it has seen, with a
 * {@link StaleEpochException}, and remembers that epoch across restarts.
 *
 * <p>Crash safety: opening the log scans the newest segment; a torn tail (an incomplete or
 * damaged last record with nothing valid after it) is cut off, reported by {@link #recovery()} and
 * by a {@code replication.log.recovered} event. Damage followed by valid records is refused with an
 * {@link IntegrityException} (or quarantined and cut with {@link LogConfig#truncateOnCorruption()}).
 * A failed write (such as a full disk) throws {@link StorageException}, cuts the file back to its
 * last complete record and fails only the appends that were not yet written; the log stays usable.
 *
 * <p>Thread-safe. Readers see records once they are durable ({@link #durableOffset()}).
 */
// NonAtomicVolatileUpdate: the volatile counters have one writer at a time (the thread holding
// flushLock, or the constructor during recovery); the volatile is for the lock-free readers
@SuppressWarnings("NonAtomicVolatileUpdate")
public final class ReplicationLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationLog.class);
  /** Size of a segment file's header. */
  public static final int SEGMENT_HEADER = Segment.HEADER;
  private static final int MAX_PENDING_BYTES = 4 << 20;
  /** Buckets of {@link #forceLatencyHistogram()}: powers of two from 1 us to about 17 minutes. */
  public static final int FORCE_BUCKETS = 30;

  private final Path dir;
  private final LogConfig config;
  private final String name;
  private final ReentrantLock appendLock = new ReentrantLock();
  private final ReentrantLock flushLock = new ReentrantLock();
  private final Object durableMonitor = new Object();
  /** Readers of written but not yet forced records wait here ({@link #awaitWritten}). */
  private final Object writtenMonitor = new Object();
  private volatile boolean writtenWaiters;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final LogMetaFiles meta;
  private final LogReader reader;
  private final ForceStats forceStats = new ForceStats();
  private final WriteFailures failures = new WriteFailures();
  private final LogRetention retention;
  private final RecoveryResult recovery;
  private final @Nullable ScheduledExecutorService ownScheduler;
  private final @Nullable ScheduledFuture<?> intervalTask;
  /** Zero-fills ahead of the writer, trims closed segments and applies retention. */
  private final SegmentPreallocator maintenance;

  // guarded by appendLock
  private final ArrayDeque<PendingChunk> pending = new ArrayDeque<>();
  private long pendingBytes;
  private long nextOffset;
  private long maxEpoch;
  private long persistedFence;
  private EpochHistory history;
  private long activeLogicalBytes;
  private int generation;
  private long appendedBytes;

  // guarded by flushLock (written), readable without
  private volatile Segment active;
  private volatile long writtenOffset;
  private volatile long durableOffset;
  private boolean leading; // guarded by durableMonitor: a group-commit leader is forcing
  private volatile boolean closed;

  private ReplicationLog(Path dir, LogConfig config) throws IOException {
    this.dir = dir;
    this.config = config;
    this.name = config.name();
    Files.createDirectories(dir);
    this.meta = new LogMetaFiles(dir, name);
    this.reader = new LogReader(name, segments);
    this.retention = new LogRetention(config, segments, this::publish);
    this.history = meta.readHistory();
    this.persistedFence = meta.readFence();
    this.recovery = new LogRecovery(dir, config, meta).recover(segments);
    this.active = segments.lastEntry().getValue();
    this.nextOffset = active.lastOffset + 1;
    this.writtenOffset = nextOffset - 1;
    this.durableOffset = nextOffset - 1;
    this.activeLogicalBytes = active.size;
    long lastEpoch = active.lastEpoch;
    EpochHistory trimmed = history.truncatedTo(nextOffset);
    if (!trimmed.equals(history)) {
      history = trimmed;
      meta.writeHistory(history);
    }
    this.maxEpoch = Math.max(Math.max(history.latestEpoch(), persistedFence), lastEpoch);
    if (config.durability().kind() == Durability.Kind.INTERVAL) {
      ScheduledExecutorService s = config.scheduler();
      if (s == null) {
        s = Executors.newSingleThreadScheduledExecutor(r -> DrkitThreads.create(r, "drkit-log-flush-" + name, true));
        ownScheduler = s;
      } else {
        ownScheduler = null;
      }
      long ms = Math.max(1, Objects.requireNonNull(config.durability().interval()).toMillis());
      intervalTask = s.scheduleAtFixedRate(this::intervalFlush, ms, ms, TimeUnit.MILLISECONDS);
    } else {
      ownScheduler = null;
      intervalTask = null;
    }
    maintenance = new SegmentPreallocator(config, () -> active);
    maintenance.maybeExtend();
    if (recovery.repaired()) {
      LOG.warn("log {}: recovered after crash: {}", name, recovery);
      publish(DrEvent.Severity.WARN, "replication.log.recovered",
          "log " + name + " cut a torn tail of " + recovery.truncatedBytes() + " bytes at offset " + nextOffset,
          Map.of("segment", String.valueOf(recovery.segment()), "truncatedBytes",
              String.valueOf(recovery.truncatedBytes()), "removedFiles", String.valueOf(recovery.removedFiles().size()),
              "nextOffset", String.valueOf(nextOffset)));
    }
  }

  /**
   * Opens (creating if needed) the log in {@code dir}, recovering from a crash.
   *
   * @param dir the log directory
   * @param config the settings
   * @return the open log
   * @throws StorageException if the directory cannot be read or written
   * @throws IntegrityException if a segment is damaged in a way recovery must not repair silently
   */
  public static ReplicationLog open(Path dir, LogConfig config) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(config, "config");
    try {
      return new ReplicationLog(dir, config);
    } catch (IOException e) {
      throw new StorageException("cannot open replication log " + config.name() + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- appending

  /**
   * Appends one record at {@code epoch} and waits as the durability policy says.
   *
   * @param epoch the writer's fencing epoch
   * @param payload the record's bytes (copied)
   * @return the record's offset
   * @throws StaleEpochException if the log has seen a newer epoch
   * @throws StorageException if the write failed (the record is not in the log)
   * @throws IllegalArgumentException if the payload exceeds 16 MiB
   */
  public long append(long epoch, byte[] payload) {
    Objects.requireNonNull(payload, "payload");
    if (payload.length > Frames.MAX_PAYLOAD) {
      throw new IllegalArgumentException("record payload of " + payload.length + " bytes exceeds " + Frames.MAX_PAYLOAD);
    }
    Durability.Kind kind = config.durability().kind();
    if (kind == Durability.Kind.EVERY_RECORD) {
      flushLock.lock();
      try {
        long[] r = enqueue(epoch, payload);
        flush(true);
        throwIfLost(r[0], (int) r[1]);
        return r[0];
      } finally {
        flushLock.unlock();
      }
    }
    long[] r = enqueue(epoch, payload);
    if (kind == Durability.Kind.GROUP_COMMIT) {
      syncTo(r[0], (int) r[1]);
    } else if (pendingBytes() > MAX_PENDING_BYTES) {
      writeOut();
    }
    return r[0];
  }

  private long pendingBytes() {
    appendLock.lock();
    try {
      return pendingBytes;
    } finally {
      appendLock.unlock();
    }
  }

  private long[] enqueue(long epoch, byte[] payload) {
    appendLock.lock();
    try {
      checkOpen();
      admitEpoch(epoch);
      long offset = nextOffset;
      int frameLen = Frames.frameSize(payload.length);
      PendingChunk c = chunkFor(offset, frameLen);
      ByteBuffer b = c.reserve(frameLen);
      Frames.encode(b, epoch, offset, config.clock().millis(), payload, 0, payload.length);
      c.added(offset, frameLen);
      nextOffset = offset + 1;
      return new long[] {offset, generation};
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Appends frames received from the primary (replica side), keeping their offsets and epochs.
   * Does not force; call {@link #sync()} before acknowledging durability.
   *
   * @param frames complete frames whose checksums the caller verified, the first at
   *     {@link #nextOffset()}
   * @throws StaleEpochException if a frame's epoch is older than the last record's (the sender's
   *     epoch is checked by the caller: frames may carry older epochs of the sender's history)
   * @throws IllegalArgumentException if the frames do not continue the log
   * @throws IntegrityException if a frame fails its check
   */
  void appendFrames(ByteBuffer frames) {
    appendLock.lock();
    try {
      checkOpen();
      int pos = frames.position();
      int end = frames.limit();
      while (pos < end) {
        int len = Frames.check(frames, pos, end);
        if (len < 0) {
          throw new IntegrityException("log " + name + ": received frame at byte " + pos + " is damaged (code " + len + ")");
        }
        long offset = Frames.offset(frames, pos);
        if (offset != nextOffset) {
          throw new IllegalArgumentException("log " + name + ": received offset " + offset + " but expected " + nextOffset);
        }
        admitReplicatedEpoch(Frames.epoch(frames, pos));
        PendingChunk c = chunkFor(offset, len);
        ByteBuffer dst = c.reserve(len);
        ByteBuffer src = frames.duplicate();
        src.limit(pos + len).position(pos);
        dst.put(src);
        c.added(offset, len);
        nextOffset = offset + 1;
        pos += len;
      }
    } finally {
      appendLock.unlock();
    }
    if (pendingBytes() > MAX_PENDING_BYTES) {
      writeOut();
    }
  }

  private void admitEpoch(long epoch) {
    if (epoch < maxEpoch) {
      throw new StaleEpochException("replication log " + name, epoch, maxEpoch);
    }
    if (epoch > history.latestEpoch() || history.entries().isEmpty()) {
      EpochHistory h = history.with(epoch, nextOffset);
      meta.writeHistory(h);
      history = h;
    }
    maxEpoch = epoch;
  }

  private void admitReplicatedEpoch(long epoch) {
    if (epoch < history.latestEpoch()) {
      throw new StaleEpochException("replication log " + name + " (history)", epoch, history.latestEpoch());
    }
    if (epoch > history.latestEpoch() || history.entries().isEmpty()) {
      EpochHistory h = history.with(epoch, nextOffset);
      meta.writeHistory(h);
      history = h;
    }
    maxEpoch = Math.max(maxEpoch, epoch);
  }

  private PendingChunk chunkFor(long offset, int frameLen) {
    PendingChunk last = pending.peekLast();
    boolean roll = activeLogicalBytes > SEGMENT_HEADER && activeLogicalBytes + frameLen > config.segmentBytes();
    if (roll) {
      last = new PendingChunk(offset);
      pending.addLast(last);
      activeLogicalBytes = SEGMENT_HEADER;
    } else if (last == null) {
      last = new PendingChunk(-1);
      pending.addLast(last);
    }
    activeLogicalBytes += frameLen;
    pendingBytes += frameLen;
    appendedBytes += frameLen;
    return last;
  }

  /**
   * Raises the newest epoch this log accepts appends from, without a record (the old primary's
   * log is closed to its own epoch when it is fenced). Persisted before returning.
   *
   * @param epoch the new minimum epoch
   * @throws StaleEpochException if the log has already seen a newer epoch
   */
  public void fence(long epoch) {
    appendLock.lock();
    try {
      checkOpen();
      if (epoch < maxEpoch) {
        throw new StaleEpochException("replication log " + name, epoch, maxEpoch);
      }
      if (epoch > persistedFence) {
        meta.writeFence(epoch);
        persistedFence = epoch;
      }
      maxEpoch = epoch;
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Starts {@code epoch} at the current end of the log so that the epoch history records where the
   * promoted site's own writes begin, even before its first append.
   *
   * @param epoch the new epoch
   * @throws StaleEpochException if the log has already seen a newer epoch
   */
  void beginEpoch(long epoch) {
    appendLock.lock();
    try {
      checkOpen();
      fence(epoch);
      if (epoch > history.latestEpoch()) {
        EpochHistory h = history.with(epoch, nextOffset);
        meta.writeHistory(h);
        history = h;
      }
    } finally {
      appendLock.unlock();
    }
  }

  // ---------------------------------------------------------------- flushing

  /**
   * Writes and forces everything appended so far.
   *
   * @throws StorageException if the write failed
   */
  public void sync() {
    long target;
    int gen;
    appendLock.lock();
    try {
      target = nextOffset - 1;
      gen = generation;
    } finally {
      appendLock.unlock();
    }
    syncTo(target, gen);
  }

  /**
   * Group commit, leader and followers: one appender (the leader) forces everything pending while
   * the others wait on the durable monitor; when the leader is done it wakes them all, those it
   * covered return and one of the rest leads the next force, which covers everything appended
   * meanwhile. Followers are woken exactly when a force ends (no polling), so the next force
   * starts as soon as the previous one ends.
   */
  private void syncTo(long offset, int gen) {
    while (true) {
      throwIfLost(offset, gen);
      if (durableOffset >= offset) {
        return;
      }
      synchronized (durableMonitor) {
        while (leading && durableOffset < offset) {
          checkOpen();
          try {
            durableMonitor.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("log " + name + ": interrupted while waiting for offset " + offset
                + " to become durable (it may still become durable)");
          }
        }
        if (durableOffset >= offset) {
          continue;
        }
        leading = true;
      }
      try {
        flushLock.lock();
        try {
          throwIfLost(offset, gen);
          if (durableOffset < offset) {
            checkOpen();
            flush(true);
          }
        } finally {
          flushLock.unlock();
        }
      } finally {
        synchronized (durableMonitor) {
          leading = false;
          durableMonitor.notifyAll();
        }
      }
    }
  }

  private void writeOut() {
    flushLock.lock();
    try {
      flush(false);
    } finally {
      flushLock.unlock();
    }
  }

  private void intervalFlush() {
    if (closed) {
      return;
    }
    try {
      flushLock.lock();
      try {
        if (!closed) {
          flush(true);
        }
      } finally {
        flushLock.unlock();
      }
    } catch (RuntimeException e) {
      LOG.warn("log {}: interval flush failed", name, e);
    }
  }

  private void lockedCheckFlush() {
    if (!flushLock.isHeldByCurrentThread()) {
      throw new IllegalStateException("flush lock not held");
    }
  }

  /** Writes pending chunks and optionally forces. Caller holds flushLock. */
  private void flush(boolean force) {
    lockedCheckFlush();
    List<PendingChunk> chunks;
    appendLock.lock();
    try {
      chunks = new ArrayList<>(pending);
      pending.clear();
      pendingBytes = 0;
    } finally {
      appendLock.unlock();
    }
    Segment rollback = active;
    long rollbackSize = active.size;
    boolean rolled = false;
    try {
      for (PendingChunk c : chunks) {
        if (c.newSegmentBase >= 0) {
          roll(c.newSegmentBase);
          rolled = true;
          rollback = active;
          rollbackSize = active.size;
        }
        ByteBuffer b = c.buf.duplicate();
        b.flip();
        long pos = active.size;
        if (pos - active.lastIndexedPosition >= Segment.INDEX_INTERVAL || active.index.isEmpty()) {
          active.index.put(c.firstOffset, pos);
          active.lastIndexedPosition = pos;
        }
        pos = active.writeAt(b, pos);
        active.size = pos;
        active.lastOffset = c.lastOffset;
        active.lastEpoch = Math.max(active.lastEpoch, c.lastEpoch);
        active.lastTimestamp = c.lastTimestamp;
        writtenOffset = c.lastOffset;
        rollbackSize = active.size;
      }
      if (!chunks.isEmpty() && writtenWaiters) {
        synchronized (writtenMonitor) {
          writtenMonitor.notifyAll(); // early shippers send while this thread forces
        }
      }
      if (force && durableOffset < writtenOffset) {
        long t0 = System.nanoTime();
        active.channel().force(false);
        long w = writtenOffset;
        forceStats.record(System.nanoTime() - t0, w - durableOffset);
        synchronized (durableMonitor) {
          durableOffset = w;
          durableMonitor.notifyAll();
        }
      }
    } catch (IOException | UncheckedIOException e) {
      IOException io = e instanceof UncheckedIOException u ? Objects.requireNonNull(u.getCause()) : (IOException) e;
      failWrite(rollback, rollbackSize, io);
    }
    if (rolled && !maintenance.inBackground(this::backgroundRetention)) {
      applyRetention();
    }
    maintenance.maybeExtend();
  }

  /**
   * Waits until the background work queued so far (zero-filling, trimming, retention) is done.
   * For tests; returns at once without preallocation.
   *
   * @throws InterruptedException if interrupted
   */
  void awaitMaintenance() throws InterruptedException {
    maintenance.awaitIdle();
  }

  private void backgroundRetention() {
    try {
      if (!closed) {
        applyRetention();
      }
    } catch (RuntimeException e) {
      LOG.warn("log {}: retention failed", name, e);
    }
  }

  private void failWrite(Segment seg, long goodSize, IOException cause) {
    try {
      if (seg.size <= SEGMENT_HEADER && seg.lastOffset < seg.base && segments.size() > 1 && seg == active
          && goodSize <= SEGMENT_HEADER) {
        // a segment created by this flush that holds nothing: remove it, the previous one is active again
        segments.remove(seg.base);
        seg.closeQuietly();
        Files.deleteIfExists(seg.path);
        active = segments.lastEntry().getValue();
      } else {
        seg.truncate(goodSize);
        seg.size = goodSize;
      }
    } catch (IOException | RuntimeException e2) {
      LOG.error("log {}: could not cut {} back to {} bytes after a failed write; reopening will", name, seg.path,
          goodSize, e2);
    }
    long lostFrom;
    appendLock.lock();
    try {
      lostFrom = writtenOffset + 1;
      failures.add(generation, lostFrom, String.valueOf(cause.getMessage()));
      generation++;
      pending.clear();
      pendingBytes = 0;
      nextOffset = lostFrom;
      activeLogicalBytes = active.size;
      EpochHistory h = history.truncatedTo(nextOffset);
      if (!h.equals(history)) {
        history = h;
        meta.writeHistory(h);
      }
    } finally {
      appendLock.unlock();
    }
    LOG.error("log {}: write failed, records from offset {} were not written: {}", name, lostFrom, cause.toString());
    publish(DrEvent.Severity.ERROR, "replication.log.write-failed",
        "log " + name + " could not write records from offset " + lostFrom + ": " + cause.getMessage(),
        Map.of("lostFromOffset", String.valueOf(lostFrom), "segment", seg.path.toString()));
    throw new StorageException("log " + name + ": write to " + seg.path + " failed (" + cause.getMessage()
        + "); records from offset " + lostFrom + " were not written, earlier records are intact", cause);
  }

  private void throwIfLost(long offset, int gen) {
    String cause = failures.lostCause(offset, gen);
    if (cause != null) {
      throw new StorageException("log " + name + ": record at offset " + offset + " was lost by a failed write ("
          + cause + ")");
    }
  }

  private void roll(long base) throws IOException {
    Segment old = active;
    old.channel().force(false);
    Segment s = createSegment(base);
    segments.put(base, s);
    active = s;
    if (old.allocated > old.size && !maintenance.inBackground(old::trimZeroFill)) {
      old.trimZeroFill();
    }
    LOG.debug("log {}: rolled to segment {}", name, s.path);
  }

  private Segment createSegment(long base) throws IOException {
    Segment s = Segment.create(dir, base, config.channelFactory());
    meta.forceDir();
    return s;
  }

  // ---------------------------------------------------------------- reading

  /**
   * @param fromOffset the first offset wanted
   * @param maxBytes a soft limit on the batch size (at least one record is returned)
   * @return durable frames from {@code fromOffset}, or {@code null} if none is durable yet
   * @throws OffsetUnavailableException if the log no longer holds {@code fromOffset}
   * @throws IntegrityException if a stored frame fails its check
   */
  public @Nullable FrameBatch readFrames(long fromOffset, int maxBytes) {
    return readFrames(fromOffset, maxBytes, false);
  }

  /**
   * Like {@link #readFrames(long, int)}, but also returns records written to the segment file and
   * not yet forced: a primary that ships before its own force completes reads these (see
   * {@code docs/replication-protocol.md}, "shipping before the primary's force"). Such records
   * survive a process crash but may be lost, with the rest of the unforced tail, by a power loss
   * or kernel crash.
   *
   * @param fromOffset the first offset wanted
   * @param maxBytes a soft limit on the batch size (at least one record is returned)
   * @return written frames from {@code fromOffset}, or {@code null} if none is written yet
   * @throws OffsetUnavailableException if the log no longer holds {@code fromOffset}
   * @throws IntegrityException if a stored frame fails its check
   */
  @Nullable FrameBatch readWrittenFrames(long fromOffset, int maxBytes) {
    return readFrames(fromOffset, maxBytes, true);
  }

  private @Nullable FrameBatch readFrames(long fromOffset, int maxBytes, boolean unforced) {
    return reader.readFrames(fromOffset, maxBytes, unforced ? writtenOffset : durableOffset);
  }

  /**
   * @param fromOffset the first offset wanted
   * @param maxRecords the most records to return
   * @return the durable records from {@code fromOffset} (empty if none yet)
   * @throws OffsetUnavailableException if the log no longer holds {@code fromOffset}
   */
  public List<LogRecord> read(long fromOffset, int maxRecords) {
    return reader.read(fromOffset, maxRecords, () -> durableOffset);
  }

  /**
   * Blocks until {@code offset} is written to its segment file (durable or not), the timeout
   * passes or the thread is interrupted.
   *
   * @param offset the offset to wait for
   * @param timeoutMillis the most to wait
   * @return whether it is written
   * @throws InterruptedException if interrupted
   */
  boolean awaitWritten(long offset, long timeoutMillis) throws InterruptedException {
    writtenWaiters = true;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (writtenMonitor) {
      while (writtenOffset < offset && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(writtenMonitor, left);
      }
      return writtenOffset >= offset;
    }
  }

  /**
   * Blocks until {@code offset} is durable, the timeout passes or the thread is interrupted.
   *
   * @param offset the offset to wait for
   * @param timeoutMillis the most to wait
   * @return whether it is durable
   * @throws InterruptedException if interrupted
   */
  public boolean awaitDurable(long offset, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (durableMonitor) {
      while (durableOffset < offset && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(durableMonitor, left);
      }
      return durableOffset >= offset;
    }
  }

  // ---------------------------------------------------------------- positions

  /** @return the offset the next append takes */
  public long nextOffset() {
    appendLock.lock();
    try {
      return nextOffset;
    } finally {
      appendLock.unlock();
    }
  }

  /** @return the last offset written to its segment file (durable or not) */
  public long writtenOffset() {
    return writtenOffset;
  }

  /** @return the last offset forced to stable storage, {@code startOffset()-1} if none */
  public long durableOffset() {
    return durableOffset;
  }

  /**
   * @return how many forces made records durable since the log was opened (with
   *     {@link #forcedRecords()}: how many records each force covered, the group-commit batching)
   */
  public long forceCount() {
    return forceStats.forces();
  }

  /** @return the longest of those forces, in nanoseconds (a stall of the disk shows here) */
  public long longestForceNanos() {
    return forceStats.longestNanos();
  }

  /**
   * @return a copy of the force-latency histogram: element {@code i} counts the forces that made
   *     records durable and took from {@code 2^i} to under {@code 2^(i+1)} microseconds (element 0
   *     also counts faster ones); {@link #FORCE_BUCKETS} elements
   */
  public long[] forceLatencyHistogram() {
    return forceStats.histogram();
  }

  /** @return how many records those forces made durable */
  public long forcedRecords() {
    return forceStats.forcedRecords();
  }

  /** @return the oldest offset still held */
  public long startOffset() {
    return reader.startOffset();
  }

  /** @return the newest epoch seen; appends from older epochs are refused */
  public long currentEpoch() {
    appendLock.lock();
    try {
      return maxEpoch;
    } finally {
      appendLock.unlock();
    }
  }

  /** @return the epoch history */
  public EpochHistory epochHistory() {
    appendLock.lock();
    try {
      return history;
    } finally {
      appendLock.unlock();
    }
  }

  /** @return total frame bytes appended since the log was opened (for byte lag) */
  long appendedBytes() {
    appendLock.lock();
    try {
      return appendedBytes;
    } finally {
      appendLock.unlock();
    }
  }

  /** @return what recovery found when the log was opened */
  public RecoveryResult recovery() {
    return recovery;
  }

  /** @return the segment files, oldest first */
  public List<Path> segmentFiles() {
    return segments.values().stream().map(s -> s.path).toList();
  }

  /** @return the settings */
  public LogConfig config() {
    return config;
  }

  /**
   * Writes what was appended to the files without forcing (it survives a process crash but not
   * a power loss).
   *
   * @throws StorageException if the write failed
   */
  void writeAppended() {
    writeOut();
  }

  /** @return the directory */
  public Path directory() {
    return dir;
  }

  /** @return the log's name */
  public String name() {
    return name;
  }

  // ---------------------------------------------------------------- retention

  /**
   * Records that {@code replica} holds every record up to {@code offset}; with
   * {@link LogConfig#deleteAcknowledged()} segments every replica acknowledged are deleted.
   *
   * @param replica the replica's name
   * @param offset the last offset it acknowledged
   */
  public void acknowledge(String replica, long offset) {
    if (retention.acknowledge(replica, offset, active)) {
      applyRetention();
    }
  }

  /**
   * Deletes closed segments that retention allows to go: while the log exceeds
   * {@link LogConfig#retentionBytes()}, whose newest record is older than
   * {@link LogConfig#retentionAge()}, or, with {@link LogConfig#deleteAcknowledged()}, that every
   * replica acknowledged. The active segment always stays.
   *
   * @return how many segments were deleted
   */
  public int applyRetention() {
    flushLock.lock();
    try {
      return retention.apply(active);
    } finally {
      flushLock.unlock();
    }
  }

  // ---------------------------------------------------------------- divergence

  /**
   * Sets aside every record from {@code offset} on into a quarantine file (forced), then cuts the
   * log there. Used when an old primary returns: its divergent suffix is listed, never dropped.
   * Epochs the log began at or after {@code offset} without writing a record are forgotten too.
   *
   * @param offset the divergence point
   * @return the quarantine file, or {@code null} when the log holds nothing from {@code offset}
   * @throws StorageException if the quarantine file cannot be written (the log is then unchanged)
   */
  public @Nullable QuarantineFile quarantineFrom(long offset) {
    flushLock.lock();
    try {
      flush(true);
      long end = nextOffset();
      if (offset >= end) {
        dropEpochsBegunAt(end);
        return null;
      }
      if (offset < startOffset()) {
        offset = startOffset();
      }
      QuarantineFile qf = LogQuarantine.write(dir, name, config.clock().millis(), offset, end,
          next -> readFrames(next, 1 << 20));
      truncateTo(offset);
      Path q = qf.path();
      long count = qf.count();
      LOG.warn("log {}: set aside {} divergent records from offset {} into {}", name, count, offset, q);
      publish(DrEvent.Severity.WARN, "replication.divergence.quarantined",
          "log " + name + " set aside " + count + " divergent records from offset " + offset + " into " + q,
          Map.of("file", q.toString(), "fromOffset", String.valueOf(offset), "count", String.valueOf(count)));
      return qf;
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * Forgets epochs begun at the end of the log without a record (a primary restarted at a new
   * epoch and wrote nothing): the records copied in next by a resync carry the source's older
   * epoch and continue its history.
   */
  private void dropEpochsBegunAt(long end) {
    appendLock.lock();
    try {
      EpochHistory h = history.truncatedTo(end - 1);
      if (!h.equals(history)) {
        history = h;
        meta.writeHistory(h);
      }
    } finally {
      appendLock.unlock();
    }
  }

  /** Cuts the log so that {@code offset} is the next offset. Caller holds flushLock, pending is empty. */
  private void truncateTo(long offset) {
    appendLock.lock();
    try {
      while (segments.size() > 1 && segments.lastKey() >= offset) {
        Segment s = segments.pollLastEntry().getValue();
        s.closeQuietly();
        Files.deleteIfExists(s.path);
      }
      Segment s = segments.lastEntry().getValue();
      if (offset <= s.base) {
        segments.remove(s.base);
        s.closeQuietly();
        Files.deleteIfExists(s.path);
        s = createSegment(offset);
        segments.put(offset, s);
      } else {
        long pos = s.locate(offset, name);
        s.truncate(pos);
        s.channel().force(true);
        s.size = pos;
        s.lastOffset = offset - 1;
        s.index.tailMap(offset, true).clear();
        s.cuts++;
      }
      meta.forceDir();
      active = s;
      nextOffset = offset;
      activeLogicalBytes = s.size;
      synchronized (durableMonitor) {
        writtenOffset = offset - 1;
        durableOffset = offset - 1;
      }
      EpochHistory h = history.truncatedTo(offset - 1);
      if (!h.equals(history)) {
        history = h;
        meta.writeHistory(h);
      }
    } catch (IOException e) {
      throw new StorageException("log " + name + ": cannot truncate to offset " + offset + ": " + e.getMessage(), e);
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Discards the whole log and restarts it empty at {@code startOffset} with {@code history} (after
   * a replica installed a snapshot taken at that offset). Divergent records must have been
   * quarantined first.
   *
   * @param startOffset the offset the next record takes
   * @param newHistory the authoritative epoch history up to {@code startOffset}
   * @throws StorageException if the files cannot be replaced
   */
  void resetTo(long startOffset, EpochHistory newHistory) {
    Objects.requireNonNull(newHistory, "newHistory");
    flushLock.lock();
    try {
      flush(true);
      appendLock.lock();
      try {
        for (Segment s : new ArrayList<>(segments.values())) {
          segments.remove(s.base);
          s.closeQuietly();
          Files.deleteIfExists(s.path);
        }
        Segment s = createSegment(startOffset);
        segments.put(startOffset, s);
        active = s;
        nextOffset = startOffset;
        activeLogicalBytes = s.size;
        synchronized (durableMonitor) {
          writtenOffset = startOffset - 1;
          durableOffset = startOffset - 1;
        }
        history = newHistory.truncatedTo(startOffset);
        meta.writeHistory(history);
        maxEpoch = Math.max(maxEpoch, history.latestEpoch());
      } finally {
        appendLock.unlock();
      }
    } catch (IOException e) {
      throw new StorageException("log " + name + ": cannot reset to offset " + startOffset + ": " + e.getMessage(), e);
    } finally {
      flushLock.unlock();
    }
  }

  /** @return the quarantine files of this log, oldest first */
  public List<Path> quarantineFiles() {
    return LogQuarantine.list(dir, name);
  }

  /**
   * Reads the records of a quarantine file written by {@link #quarantineFrom(long)}.
   *
   * @param file a file of the log's quarantine directory
   * @return its records
   * @throws IntegrityException if the file is damaged
   * @throws StorageException if it cannot be read
   */
  public static List<LogRecord> readQuarantine(Path file) {
    return LogQuarantine.read(file);
  }

  // ---------------------------------------------------------------- misc

  private void checkOpen() {
    if (closed) {
      throw new StorageException("replication log " + name + " is closed");
    }
  }

  private void publish(DrEvent.Severity severity, String type, String message, Map<String, String> attrs) {
    config.events().publish(new DrEvent(config.clock().instant(), type, severity, name, maxEpochQuiet(), message, attrs));
  }

  private long maxEpochQuiet() {
    return maxEpoch;
  }

  /** Forces what was appended and closes the files. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (intervalTask != null) {
      intervalTask.cancel(false);
    }
    if (ownScheduler != null) {
      ownScheduler.shutdownNow();
    }
    maintenance.stop();
    flushLock.lock();
    try {
      try {
        flush(true);
      } catch (StorageException e) {
        LOG.warn("log {}: final flush failed", name, e);
      }
      closed = true;
      for (Segment s : segments.values()) {
        s.closeQuietly();
      }
    } finally {
      flushLock.unlock();
    }
    synchronized (durableMonitor) {
      durableMonitor.notifyAll();
    }
    synchronized (writtenMonitor) {
      writtenMonitor.notifyAll();
    }
  }

  @Override
  public String toString() {
    return "ReplicationLog[" + name + " at " + dir + ", next=" + nextOffset() + ", durable=" + durableOffset + "]";
  }
}
