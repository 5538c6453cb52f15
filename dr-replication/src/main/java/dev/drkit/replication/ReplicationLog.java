package dev.drkit.replication;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.StorageException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.spi.DrEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  public static final int SEGMENT_HEADER = 16;
  private static final int MAGIC = 0x44524B4C; // "DRKL"
  private static final int VERSION = 1;
  private static final int MAX_PENDING_BYTES = 4 << 20;
  private static final int INDEX_INTERVAL = 64 << 10;
  private static final String HISTORY_FILE = "epochs.history";
  private static final String FENCE_FILE = "fence.epoch";
  private static final String QUARANTINE_DIR = "quarantine";
  private static final int ZERO_CHUNK = 1 << 20;
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
  private final Map<String, Long> replicaAcks = new ConcurrentHashMap<>();
  private final RecoveryResult recovery;
  private final @Nullable ScheduledExecutorService ownScheduler;
  private final @Nullable ScheduledFuture<?> intervalTask;
  /** Zero-fills ahead of the writer, trims closed segments and applies retention; null without preallocation. */
  private final @Nullable ExecutorService maintenance;
  private final AtomicBoolean extendQueued = new AtomicBoolean();

  // guarded by appendLock
  private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
  private long pendingBytes;
  private long nextOffset;
  private long maxEpoch;
  private long persistedFence;
  private EpochHistory history;
  private long activeLogicalBytes;
  private int generation;
  private final List<Failure> failures = new ArrayList<>();
  private long appendedBytes;

  // guarded by flushLock (written), readable without
  private volatile Segment active;
  private volatile long writtenOffset;
  private volatile long durableOffset;
  private boolean leading; // guarded by durableMonitor: a group-commit leader is forcing
  private volatile long forces;
  private volatile long forcedRecords;
  private volatile long longestForce;
  /** Force latencies: bucket {@code i} counts forces that took [2^i, 2^(i+1)) microseconds. */
  private final AtomicLongArray forceHistogram = new AtomicLongArray(FORCE_BUCKETS);
  private volatile boolean closed;
  private volatile boolean stopping;
  private volatile int failureCount;

  private ReplicationLog(Path dir, LogConfig config) throws IOException {
    this.dir = dir;
    this.config = config;
    this.name = config.name();
    Files.createDirectories(dir);
    this.history = readHistory();
    this.persistedFence = readFence();
    this.recovery = recover();
    this.active = segments.lastEntry().getValue();
    this.nextOffset = active.lastOffset + 1;
    this.writtenOffset = nextOffset - 1;
    this.durableOffset = nextOffset - 1;
    this.activeLogicalBytes = active.size;
    long lastEpoch = active.lastEpoch;
    EpochHistory trimmed = history.truncatedTo(nextOffset);
    if (!trimmed.equals(history)) {
      history = trimmed;
      writeHistoryUnchecked(history);
    }
    this.maxEpoch = Math.max(Math.max(history.latestEpoch(), persistedFence), lastEpoch);
    if (config.durability().kind() == Durability.Kind.INTERVAL) {
      ScheduledExecutorService s = config.scheduler();
      if (s == null) {
        s = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = DrkitThreads.create(r, "drkit-log-flush-" + name, true);
          return t;
        });
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
    if (config.preallocateBytes() > 0) {
      maintenance = Executors.newSingleThreadExecutor(r -> {
        Thread t = DrkitThreads.create(r, "drkit-log-prealloc-" + name, true);
        return t;
      });
      maybeExtend();
    } else {
      maintenance = null;
    }
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
      Chunk c = chunkFor(offset, frameLen);
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
  public void appendFrames(ByteBuffer frames) {
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
        Chunk c = chunkFor(offset, len);
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
      writeHistoryUnchecked(h);
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
      writeHistoryUnchecked(h);
      history = h;
    }
    maxEpoch = Math.max(maxEpoch, epoch);
  }

  private Chunk chunkFor(long offset, int frameLen) {
    Chunk last = pending.peekLast();
    boolean roll = activeLogicalBytes > SEGMENT_HEADER && activeLogicalBytes + frameLen > config.segmentBytes();
    if (roll) {
      last = new Chunk(offset);
      pending.addLast(last);
      activeLogicalBytes = SEGMENT_HEADER;
    } else if (last == null) {
      last = new Chunk(-1);
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
        writeFence(epoch);
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
  public void beginEpoch(long epoch) {
    appendLock.lock();
    try {
      checkOpen();
      fence(epoch);
      if (epoch > history.latestEpoch()) {
        EpochHistory h = history.with(epoch, nextOffset);
        writeHistoryUnchecked(h);
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
    List<Chunk> chunks;
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
      for (Chunk c : chunks) {
        if (c.newSegmentBase >= 0) {
          roll(c.newSegmentBase);
          rolled = true;
          rollback = active;
          rollbackSize = active.size;
        }
        ByteBuffer b = c.buf.duplicate();
        b.flip();
        long pos = active.size;
        if (pos - active.lastIndexedPosition >= INDEX_INTERVAL || active.index.isEmpty()) {
          active.index.put(c.firstOffset, pos);
          active.lastIndexedPosition = pos;
        }
        pos = writeAt(active, b, pos);
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
        recordForce(System.nanoTime() - t0);
        long w = writtenOffset;
        forces++;
        forcedRecords += w - durableOffset;
        synchronized (durableMonitor) {
          durableOffset = w;
          durableMonitor.notifyAll();
        }
      }
    } catch (IOException | UncheckedIOException e) {
      IOException io = e instanceof UncheckedIOException u ? Objects.requireNonNull(u.getCause()) : (IOException) e;
      failWrite(rollback, rollbackSize, io);
    }
    if (rolled && !inBackground(this::backgroundRetention)) {
      applyRetention();
    }
    maybeExtend();
  }

  /** @return whether {@code task} was queued on the maintenance thread (false without one, or once closing) */
  private boolean inBackground(Runnable task) {
    ExecutorService m = maintenance;
    if (m == null || stopping) {
      return false;
    }
    try {
      m.execute(task);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return false;
    }
  }

  /**
   * Writes {@code b} at {@code pos}. Below the zero-filled end of the segment no coordination is
   * needed (the filler only writes beyond it); a write that grows the file holds the segment's
   * extend lock so that the filler never writes zeros over it.
   */
  private static long writeAt(Segment seg, ByteBuffer b, long pos) throws IOException {
    long end = pos + b.remaining();
    if (end <= seg.allocated) {
      while (b.hasRemaining()) {
        pos += seg.channel().write(b, pos);
      }
      return pos;
    }
    seg.extendLock.lock();
    try {
      while (b.hasRemaining()) {
        pos += seg.channel().write(b, pos);
      }
      seg.allocated = Math.max(seg.allocated, pos);
      return pos;
    } finally {
      seg.extendLock.unlock();
    }
  }

  /** Queues a zero-fill of the active segment when the writer came within half the preallocation of its end. */
  private void maybeExtend() {
    ExecutorService m = maintenance;
    if (m == null || stopping) {
      return;
    }
    Segment s = active;
    long want = Math.min(config.segmentBytes(), s.size + config.preallocateBytes());
    if (s.allocated - s.size >= config.preallocateBytes() / 2 || s.allocated >= want) {
      return;
    }
    if (extendQueued.compareAndSet(false, true) && !inBackground(this::extendActive)) {
      extendQueued.set(false); // closing
    }
  }

  /**
   * Zero-fills the active segment up to {@link LogConfig#preallocateBytes()} beyond its logical
   * end (at most to {@link LogConfig#segmentBytes()}) and forces the new size, so that the
   * writer's later forces overwrite allocated blocks and flush data only (no file-size change,
   * no journal commit). Runs on the maintenance thread; a failure (such as a full disk) only
   * means the writer grows the file itself.
   */
  private void extendActive() {
    Segment s = active;
    try {
      long target = Math.min(config.segmentBytes(), s.size + config.preallocateBytes());
      boolean grew = false;
      ByteBuffer zeros = ByteBuffer.allocate(ZERO_CHUNK);
      while (!stopping && s == active) {
        s.extendLock.lock();
        try {
          FileChannel ch = s.channel();
          long from = Math.max(ch.size(), s.allocated);
          if (from >= target || s != active || stopping) {
            break;
          }
          zeros.clear().limit((int) Math.min(ZERO_CHUNK, target - from));
          long p = from;
          while (zeros.hasRemaining()) {
            p += ch.write(zeros, p);
          }
          s.allocated = p;
          grew = true;
        } finally {
          s.extendLock.unlock();
        }
      }
      if (grew && !stopping) {
        s.channel().force(true);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("log {}: zero-filling {} ahead of the writer failed: {}", name, s.path, e.toString());
    } finally {
      extendQueued.set(false);
    }
  }

  /**
   * Waits until the background work queued so far (zero-filling, trimming, retention) is done.
   * For tests; returns at once without preallocation.
   *
   * @throws InterruptedException if interrupted
   */
  void awaitMaintenance() throws InterruptedException {
    ExecutorService m = maintenance;
    if (m == null) {
      return;
    }
    try {
      m.submit(() -> { }).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Cuts a closed segment's zero-filled tail (it would only waste space). */
  private void trimClosed(Segment s) {
    s.extendLock.lock();
    try {
      if (s.ch != null && s.allocated > s.size) {
        s.channel().truncate(s.size);
        s.allocated = s.size;
      }
    } catch (IOException e) {
      LOG.debug("log {}: trimming {} failed: {}", name, s.path, e.toString());
    } finally {
      s.extendLock.unlock();
    }
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
        truncateSegment(seg, goodSize);
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
      failures.add(new Failure(generation, lostFrom, String.valueOf(cause.getMessage())));
      failureCount = failures.size();
      generation++;
      pending.clear();
      pendingBytes = 0;
      nextOffset = lostFrom;
      activeLogicalBytes = active.size;
      EpochHistory h = history.truncatedTo(nextOffset);
      if (!h.equals(history)) {
        history = h;
        writeHistoryUnchecked(h);
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

  /** Cuts a segment's file (its zero-filled tail too) under its extend lock. */
  private static void truncateSegment(Segment seg, long size) throws IOException {
    seg.extendLock.lock();
    try {
      seg.channel().truncate(size);
      seg.allocated = size;
    } finally {
      seg.extendLock.unlock();
    }
  }

  private @Nullable String lostCause(long offset, int gen) {
    if (failureCount == 0) {
      return null;
    }
    appendLock.lock();
    try {
      for (Failure f : failures) {
        if (f.generation() >= gen && offset >= f.lostFrom()) {
          return f.cause();
        }
      }
      return null;
    } finally {
      appendLock.unlock();
    }
  }

  private void throwIfLost(long offset, int gen) {
    String cause = lostCause(offset, gen);
    if (cause != null) {
      throw new StorageException("log " + name + ": record at offset " + offset + " was lost by a failed write ("
          + cause + ")");
    }
  }

  private record Failure(int generation, long lostFrom, String cause) {}

  private void roll(long base) throws IOException {
    Segment old = active;
    old.channel().force(false);
    Segment s = createSegment(base);
    segments.put(base, s);
    active = s;
    if (old.allocated > old.size && !inBackground(() -> trimClosed(old))) {
      trimClosed(old);
    }
    LOG.debug("log {}: rolled to segment {}", name, s.path);
  }

  private Segment createSegment(long base) throws IOException {
    Path p = dir.resolve(segmentName(base));
    FileChannel ch = config.channelFactory().open(p,
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE));
    Segment s = new Segment(base, p);
    s.ch = ch;
    try {
      ByteBuffer h = ByteBuffer.allocate(SEGMENT_HEADER);
      h.putInt(MAGIC).putInt(VERSION).putLong(base).flip();
      long pos = 0;
      while (h.hasRemaining()) {
        pos += ch.write(h, pos);
      }
      ch.force(true);
      forceDir();
    } catch (IOException e) {
      try {
        ch.close();
        Files.deleteIfExists(p);
      } catch (IOException e2) {
        e.addSuppressed(e2);
      }
      throw e;
    }
    s.size = SEGMENT_HEADER;
    s.allocated = SEGMENT_HEADER;
    return s;
  }

  private void forceDir() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      LOG.debug("log {}: directory fsync not supported: {}", name, e.toString());
    }
  }

  private static String segmentName(long base) {
    return String.format("%020d.log", base);
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
  public @Nullable FrameBatch readWrittenFrames(long fromOffset, int maxBytes) {
    return readFrames(fromOffset, maxBytes, true);
  }

  private @Nullable FrameBatch readFrames(long fromOffset, int maxBytes, boolean unforced) {
    long durable = unforced ? writtenOffset : durableOffset;
    if (fromOffset > durable) {
      return null;
    }
    Map.Entry<Long, Segment> e = segments.floorEntry(fromOffset);
    if (e == null || fromOffset < startOffset()) {
      throw new OffsetUnavailableException(name, fromOffset, startOffset());
    }
    Segment s = e.getValue();
    int cuts = s.cuts;
    try {
      long pos = locate(s, fromOffset);
      long end = s.size;
      int want = (int) Math.min(Math.max(maxBytes, Frames.HEADER), end - pos);
      ByteBuffer buf = readAt(s, pos, want);
      int p = 0;
      int count = 0;
      long ts = 0;
      boolean reread = false;
      long segmentLast = s.lastOffset;
      while (true) {
        if (count > 0 && fromOffset + count > segmentLast) {
          break; // a closed segment may end in zero-filled space
        }
        int len = Frames.check(buf, p, buf.limit());
        if (len == -1 && count == 0 && !reread && buf.limit() >= Frames.HEADER) {
          int need = Frames.frameSize(Frames.payloadLength(buf, p));
          buf = readAt(s, pos, need);
          reread = true;
          continue;
        }
        if (len == -1 && count > 0) {
          break;
        }
        if (len < 0) {
          throw new IntegrityException("log " + name + ": segment " + s.path + " is damaged at byte " + (pos + p));
        }
        long off = Frames.offset(buf, p);
        if (off != fromOffset + count) {
          throw new IntegrityException("log " + name + ": segment " + s.path + " holds offset " + off + " at byte "
              + (pos + p) + " where " + (fromOffset + count) + " was expected");
        }
        if (off > durable) {
          break;
        }
        ts = Frames.timestamp(buf, p);
        p += len;
        count++;
        if (p >= buf.limit()) {
          break;
        }
      }
      if (count == 0) {
        return null;
      }
      buf.limit(p).position(0);
      s.readHint = new ReadHint(fromOffset + count, pos + p, cuts);
      return new FrameBatch(fromOffset, count, ts, buf.slice());
    } catch (ClosedChannelException ex) {
      throw new OffsetUnavailableException(name, fromOffset, startOffset());
    } catch (IOException ex) {
      throw new StorageException("log " + name + ": cannot read " + s.path + ": " + ex.getMessage(), ex);
    }
  }

  /**
   * @param fromOffset the first offset wanted
   * @param maxRecords the most records to return
   * @return the durable records from {@code fromOffset} (empty if none yet)
   * @throws OffsetUnavailableException if the log no longer holds {@code fromOffset}
   */
  public List<LogRecord> read(long fromOffset, int maxRecords) {
    List<LogRecord> out = new ArrayList<>();
    long next = fromOffset;
    while (out.size() < maxRecords) {
      FrameBatch b = readFrames(next, 1 << 20);
      if (b == null) {
        break;
      }
      ByteBuffer f = b.frames();
      int p = 0;
      while (p < f.limit() && out.size() < maxRecords) {
        out.add(decode(f, p));
        p += Frames.frameSize(Frames.payloadLength(f, p));
      }
      next = fromOffset + out.size();
    }
    return out;
  }

  private static LogRecord decode(ByteBuffer f, int p) {
    return new LogRecord(Frames.epoch(f, p), Frames.offset(f, p), Frames.timestamp(f, p), Frames.payload(f, p));
  }

  private ByteBuffer readAt(Segment s, long pos, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(len);
    FileChannel ch = s.channel();
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) {
        break;
      }
    }
    buf.flip();
    return buf;
  }

  private long locate(Segment s, long offset) throws IOException {
    Map.Entry<Long, Long> hint = s.index.floorEntry(offset);
    long pos = hint == null ? SEGMENT_HEADER : hint.getValue();
    long off = hint == null ? s.base : hint.getKey();
    ReadHint rh = s.readHint;
    if (rh != null && rh.cuts() == s.cuts && rh.offset() <= offset && rh.offset() > off) {
      pos = rh.position(); // a sequential reader continues where it stopped: no scan from the index entry
      off = rh.offset();
    }
    ByteBuffer buf = null;
    long bufStart = 0;
    while (off < offset) {
      if (buf == null || pos + Frames.HEADER > bufStart + buf.limit()) {
        int want = (int) Math.min(256 << 10, s.size - pos);
        if (want < Frames.HEADER) {
          throw new IntegrityException("log " + name + ": offset " + offset + " not found in " + s.path);
        }
        buf = readAt(s, pos, want);
        bufStart = pos;
      }
      int len = Frames.payloadLength(buf, (int) (pos - bufStart));
      if (len < 0 || len > Frames.MAX_PAYLOAD) {
        throw new IntegrityException("log " + name + ": segment " + s.path + " is damaged at byte " + pos);
      }
      pos += Frames.frameSize(len);
      off++;
      if (off % 1024 == 0) {
        s.index.put(off, pos);
      }
    }
    return pos;
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
  public boolean awaitWritten(long offset, long timeoutMillis) throws InterruptedException {
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
    return forces;
  }

  /** @return the longest of those forces, in nanoseconds (a stall of the disk shows here) */
  public long longestForceNanos() {
    return longestForce;
  }

  /**
   * @return a copy of the force-latency histogram: element {@code i} counts the forces that made
   *     records durable and took from {@code 2^i} to under {@code 2^(i+1)} microseconds (element 0
   *     also counts faster ones); {@link #FORCE_BUCKETS} elements
   */
  public long[] forceLatencyHistogram() {
    long[] out = new long[FORCE_BUCKETS];
    for (int i = 0; i < out.length; i++) {
      out[i] = forceHistogram.get(i);
    }
    return out;
  }

  private void recordForce(long nanos) {
    if (nanos > longestForce) {
      longestForce = nanos;
    }
    long micros = Math.max(1, nanos / 1000);
    forceHistogram.incrementAndGet(Math.min(FORCE_BUCKETS - 1, 63 - Long.numberOfLeadingZeros(micros)));
  }

  /** @return how many records those forces made durable */
  public long forcedRecords() {
    return forcedRecords;
  }

  /** @return the oldest offset still held */
  public long startOffset() {
    Map.Entry<Long, Segment> e = segments.firstEntry();
    return e == null ? 0 : e.getKey();
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
  public long appendedBytes() {
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
  public void writeAppended() {
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
    Objects.requireNonNull(replica, "replica");
    Long before = replicaAcks.get(replica);
    replicaAcks.merge(replica, offset, Math::max);
    if (config.deleteAcknowledged() && (before == null || before < offset)) {
      Map.Entry<Long, Segment> first = segments.firstEntry();
      if (first != null && first.getValue() != active && first.getValue().lastOffset <= offset) {
        applyRetention();
      }
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
      int deleted = 0;
      long total = segments.values().stream().mapToLong(s -> s.size).sum();
      long minAck = replicaAcks.isEmpty() ? -1 : replicaAcks.values().stream().mapToLong(Long::longValue).min().orElse(-1);
      long now = config.clock().millis();
      while (segments.size() > 1) {
        Segment s = segments.firstEntry().getValue();
        if (s == active) {
          break;
        }
        String why = null;
        if (total > config.retentionBytes()) {
          why = "size";
        } else if (config.retentionAge() != null && s.lastTimestamp() > 0
            && now - s.lastTimestamp() > Objects.requireNonNull(config.retentionAge()).toMillis()) {
          why = "age";
        } else if (config.deleteAcknowledged() && !replicaAcks.isEmpty() && s.lastOffset <= minAck) {
          why = "acknowledged";
        }
        if (why == null) {
          break;
        }
        segments.remove(s.base);
        s.closeQuietly();
        try {
          Files.deleteIfExists(s.path);
        } catch (IOException e) {
          LOG.warn("log {}: could not delete segment {}", name, s.path, e);
        }
        total -= s.size;
        deleted++;
        publish(DrEvent.Severity.INFO, "replication.log.segment-deleted",
            "log " + name + " deleted segment " + s.path.getFileName() + " by " + why + " retention",
            Map.of("segment", s.path.toString(), "reason", why, "lastOffset", String.valueOf(s.lastOffset)));
      }
      return deleted;
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
      Path qdir = dir.resolve(QUARANTINE_DIR);
      Path q = qdir.resolve(String.format("%d-from-%020d.log", config.clock().millis(), offset));
      long count = 0;
      try {
        Files.createDirectories(qdir);
        try (FileChannel out = FileChannel.open(q, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ByteBuffer h = ByteBuffer.allocate(SEGMENT_HEADER);
          h.putInt(MAGIC).putInt(VERSION).putLong(offset).flip();
          writeFully(out, h);
          long next = offset;
          while (next < end) {
            FrameBatch b = readFrames(next, 1 << 20);
            if (b == null) {
              break;
            }
            writeFully(out, b.frames());
            next = b.lastOffset() + 1;
            count += b.count();
          }
          out.force(true);
        }
      } catch (IOException e) {
        throw new StorageException("log " + name + ": cannot write quarantine file " + q + ": " + e.getMessage(), e);
      }
      truncateTo(offset);
      QuarantineFile qf = new QuarantineFile(q, offset, count, false);
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
        writeHistoryUnchecked(h);
      }
    } finally {
      appendLock.unlock();
    }
  }

  private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
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
        long pos = locate(s, offset);
        truncateSegment(s, pos);
        s.channel().force(true);
        s.size = pos;
        s.lastOffset = offset - 1;
        s.index.tailMap(offset, true).clear();
        s.cuts++;
      }
      forceDir();
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
        writeHistoryUnchecked(h);
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
  public void resetTo(long startOffset, EpochHistory newHistory) {
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
        writeHistoryUnchecked(history);
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
    Path qdir = dir.resolve(QUARANTINE_DIR);
    if (!Files.isDirectory(qdir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(qdir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new StorageException("log " + name + ": cannot list " + qdir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads the records of a quarantine file written by {@link #quarantineFrom(long)}.
   *
   * @param file the file
   * @return its records
   * @throws IntegrityException if the file is damaged
   * @throws StorageException if it cannot be read
   */
  public static List<LogRecord> readQuarantine(Path file) {
    try {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
      if (b.limit() < SEGMENT_HEADER || b.getInt(0) != MAGIC) {
        throw new IntegrityException("quarantine file " + file + " has no segment header");
      }
      List<LogRecord> out = new ArrayList<>();
      int p = SEGMENT_HEADER;
      while (p < b.limit()) {
        int len = Frames.check(b, p, b.limit());
        if (len < 0) {
          throw new IntegrityException("quarantine file " + file + " is damaged at byte " + p);
        }
        out.add(decode(b, p));
        p += len;
      }
      return out;
    } catch (IOException e) {
      throw new StorageException("cannot read quarantine file " + file + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- recovery

  private RecoveryResult recover() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().matches("\\d{20}\\.log"))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }
    List<Path> removed = new ArrayList<>();
    List<Path> kept = new ArrayList<>(files);
    // a segment whose header was torn while being created holds nothing: remove it
    while (!kept.isEmpty()) {
      Path last = kept.get(kept.size() - 1);
      long size = Files.size(last);
      if (size >= SEGMENT_HEADER) {
        break;
      }
      Files.delete(last);
      removed.add(last);
      kept.remove(kept.size() - 1);
    }
    if (kept.isEmpty()) {
      Segment s = createSegment(0);
      segments.put(0L, s);
      s.lastOffset = -1;
      return new RecoveryResult(null, -1, 0, removed, 0);
    }
    for (int i = 0; i < kept.size(); i++) {
      Path p = kept.get(i);
      long base = Long.parseLong(p.getFileName().toString().substring(0, 20));
      Segment s = new Segment(base, p);
      s.size = Files.size(p);
      s.allocated = s.size;
      checkHeader(s);
      if (i + 1 < kept.size()) {
        s.lastOffset = Long.parseLong(kept.get(i + 1).getFileName().toString().substring(0, 20)) - 1;
        s.lastTimestampFromFile = Files.getLastModifiedTime(p).toMillis();
      }
      segments.put(base, s);
    }
    Segment last = segments.lastEntry().getValue();
    return scanLast(last, removed);
  }

  private void checkHeader(Segment s) throws IOException {
    if (s.size < SEGMENT_HEADER) {
      throw new IntegrityException("log " + name + ": segment " + s.path + " is shorter than its header");
    }
    ByteBuffer h = readAt(s, 0, SEGMENT_HEADER);
    if (h.getInt(0) != MAGIC || h.getInt(4) != VERSION || h.getLong(8) != s.base) {
      throw new IntegrityException("log " + name + ": segment " + s.path + " has a bad header (magic "
          + Integer.toHexString(h.getInt(0)) + ", version " + h.getInt(4) + ", base " + h.getLong(8) + ")");
    }
  }

  private RecoveryResult scanLast(Segment s, List<Path> removed) throws IOException {
    long fileSize = s.size;
    long pos = SEGMENT_HEADER;
    long expected = s.base;
    long lastEpoch = 0;
    long lastTs = 0;
    while (pos < fileSize) {
      int want = (int) Math.min(fileSize - pos, 4 << 20);
      ByteBuffer buf = readAt(s, pos, want);
      int p = 0;
      int len = 0;
      while (p < buf.limit()) {
        len = Frames.check(buf, p, buf.limit());
        if (len == -1 && pos + buf.limit() < fileSize && p > 0) {
          break; // frame continues beyond this read: read again from p
        }
        if (len == -1 && pos + buf.limit() < fileSize) {
          int need = Frames.frameSize(Frames.payloadLength(buf, p));
          buf = readAt(s, pos, (int) Math.min(need, fileSize - pos));
          continue;
        }
        if (len < 0 || Frames.offset(buf, p) != expected || Frames.epoch(buf, p) < lastEpoch) {
          if (zeroFrom(s, pos + p)) {
            fileSize = pos + p; // the rest is zero-filled space preallocated for later records: not damage
            pos = fileSize;
            p = 0;
            break;
          }
          return tornOrCorrupt(s, pos + p, expected, lastEpoch, removed);
        }
        if ((pos + p) - s.lastIndexedPosition >= INDEX_INTERVAL || s.index.isEmpty()) {
          s.index.put(expected, pos + p);
          s.lastIndexedPosition = pos + p;
        }
        lastEpoch = Frames.epoch(buf, p);
        lastTs = Frames.timestamp(buf, p);
        expected++;
        p += len;
      }
      pos += p;
    }
    s.size = fileSize;
    s.lastOffset = expected - 1;
    s.lastEpoch = lastEpoch;
    s.lastTimestamp = lastTs;
    return new RecoveryResult(null, -1, 0, removed, expected);
  }

  private static boolean allZero(ByteBuffer b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b.get(i) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * @return whether the segment file holds only zeros from {@code from} on, at least a frame header's
   *     worth: space preallocated for later records (a written frame header is never all zero,
   *     while a shorter zero tail may be the start of a torn length field)
   */
  private boolean zeroFrom(Segment s, long from) throws IOException {
    long end = s.channel().size();
    if (end - from < Frames.HEADER) {
      return false;
    }
    long pos = from;
    while (pos < end) {
      ByteBuffer b = readAt(s, pos, (int) Math.min(ZERO_CHUNK, end - pos));
      if (b.limit() == 0) {
        break;
      }
      if (!allZero(b, 0, b.limit())) {
        return false;
      }
      pos += b.limit();
    }
    return true;
  }

  private RecoveryResult tornOrCorrupt(Segment s, long badPos, long expected, long lastEpoch, List<Path> removed)
      throws IOException {
    long fileSize = s.size;
    ByteBuffer rest = readAt(s, badPos, (int) (fileSize - badPos));
    // In a zero-filled (preallocated) segment a zero header means "never written": whatever follows
    // was written after the last force and reached the disk out of order, so it was never durable.
    // It is cut like a torn tail, but kept in quarantine (a zeroed sector could also look like this).
    boolean neverWritten = allZero(rest, 0, Math.min(rest.limit(), Frames.HEADER));
    int restEnd = rest.limit();
    while (restEnd > 0 && rest.get(restEnd - 1) == 0) {
      restEnd--;
    }
    rest.limit(restEnd);
    long validAt = -1;
    for (int q = 1; q + Frames.HEADER <= rest.limit(); q++) {
      long off = Frames.offset(rest, q);
      if (off < expected || off > expected + (rest.limit() / Frames.HEADER) || Frames.epoch(rest, q) < lastEpoch) {
        continue;
      }
      if (Frames.check(rest, q, rest.limit()) > 0) {
        validAt = badPos + q;
        break;
      }
    }
    if (validAt >= 0 && !config.truncateOnCorruption() && !neverWritten) {
      throw new IntegrityException("log " + name + ": segment " + s.path + " is damaged at byte " + badPos
          + " (offset " + expected + ") but valid records follow at byte " + validAt
          + "; refusing to cut them off (nothing was changed; see LogConfig.truncateOnCorruption)");
    }
    if (validAt >= 0 || (neverWritten && restEnd > 0)) {
      Path qdir = dir.resolve(QUARANTINE_DIR);
      Files.createDirectories(qdir);
      Path q = qdir.resolve(String.format("%d-damaged-%s-at-%d.bin", config.clock().millis(),
          s.path.getFileName(), badPos));
      Files.write(q, toArray(rest));
      LOG.warn("log {}: damaged tail of {} from byte {} moved to {}", name, s.path, badPos, q);
    }
    FileChannel ch = s.channel();
    truncateSegment(s, badPos);
    ch.force(true);
    s.size = badPos;
    s.lastOffset = expected - 1;
    s.lastEpoch = lastEpoch;
    s.index.tailMap(expected, true).clear();
    s.cuts++;
    if (s.lastOffset >= s.base) {
      ByteBuffer tail = readLastTimestamp(s);
      s.lastTimestamp = tail == null ? 0 : tail.getLong(0);
    }
    long zeroFilled = fileSize - badPos - restEnd;
    long torn = zeroFilled >= 4096 ? restEnd : fileSize - badPos; // preallocated zeros are not a torn record
    return new RecoveryResult(s.path, badPos, torn, removed, expected);
  }

  private @Nullable ByteBuffer readLastTimestamp(Segment s) throws IOException {
    long pos = locate(s, s.lastOffset);
    ByteBuffer h = readAt(s, pos + 24, 8);
    return h.limit() == 8 ? h : null;
  }

  private static byte[] toArray(ByteBuffer b) {
    byte[] a = new byte[b.limit()];
    b.get(0, a);
    return a;
  }

  // ---------------------------------------------------------------- metadata files

  private EpochHistory readHistory() throws IOException {
    Path p = dir.resolve(HISTORY_FILE);
    if (!Files.exists(p)) {
      return EpochHistory.empty();
    }
    List<EpochHistory.Entry> entries = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.trim().split("\\s+");
      try {
        entries.add(new EpochHistory.Entry(Long.parseLong(parts[0]), Long.parseLong(parts[1])));
      } catch (RuntimeException e) {
        throw new IntegrityException("log " + name + ": " + p + " line " + lineNo + " is malformed: '" + line + "'", e);
      }
    }
    return new EpochHistory(entries);
  }

  private void writeHistoryUnchecked(EpochHistory h) {
    StringBuilder sb = new StringBuilder();
    for (EpochHistory.Entry e : h.entries()) {
      sb.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
    }
    writeAtomically(dir.resolve(HISTORY_FILE), sb.toString());
  }

  private long readFence() throws IOException {
    Path p = dir.resolve(FENCE_FILE);
    if (!Files.exists(p)) {
      return 0;
    }
    String s = Files.readString(p, StandardCharsets.UTF_8).trim();
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IntegrityException("log " + name + ": " + p + " is malformed: '" + s + "'", e);
    }
  }

  private void writeFence(long epoch) {
    writeAtomically(dir.resolve(FENCE_FILE), epoch + "\n");
  }

  private void writeAtomically(Path target, String content) {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        writeFully(ch, ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      forceDir();
    } catch (IOException e) {
      throw new StorageException("log " + name + ": cannot write " + target + ": " + e.getMessage(), e);
    }
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
    if (maintenance != null) {
      stopping = true; // the filler stops at its next chunk
      maintenance.shutdown();
      try {
        if (!maintenance.awaitTermination(10, TimeUnit.SECONDS)) {
          LOG.warn("log {}: background zero-filling did not stop within 10 s", name);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
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

  // ---------------------------------------------------------------- internals

  private final class Segment {
    final long base;
    final Path path;
    volatile long size;
    /** The file's bytes known to be written (records or zero fill): writes below need no extend lock. */
    volatile long allocated;
    final ReentrantLock extendLock = new ReentrantLock();
    volatile long lastOffset;
    volatile long lastEpoch;
    volatile long lastTimestamp;
    long lastTimestampFromFile;
    long lastIndexedPosition;
    final ConcurrentSkipListMap<Long, Long> index = new ConcurrentSkipListMap<>();
    /** Bumped (under the flush lock) whenever the segment is cut: read hints from before are void. */
    volatile int cuts;
    /** Where the last read ended, so that the next sequential read needs no scan. */
    volatile @Nullable ReadHint readHint;
    volatile @Nullable FileChannel ch;

    Segment(long base, Path path) {
      this.base = base;
      this.path = path;
      this.lastOffset = base - 1;
    }

    FileChannel channel() throws IOException {
      FileChannel c = ch;
      if (c == null) {
        synchronized (this) {
          c = ch;
          if (c == null) {
            try {
              c = config.channelFactory().open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
            } catch (NoSuchFileException e) {
              throw new ClosedChannelException();
            }
            ch = c;
          }
        }
      }
      return c;
    }

    long lastTimestamp() {
      return lastTimestamp > 0 ? lastTimestamp : lastTimestampFromFile;
    }

    void closeQuietly() {
      FileChannel c = ch;
      if (c != null) {
        try {
          c.close();
        } catch (IOException e) {
          LOG.debug("closing {} failed", path, e);
        }
      }
    }
  }

  /** The position of {@code offset} in a segment as of its {@code cuts}-th cut. */
  private record ReadHint(long offset, long position, int cuts) {}

  private static final class Chunk {
    final long newSegmentBase;
    ByteBuffer buf = ByteBuffer.allocate(4096);
    long firstOffset = -1;
    long lastOffset = -1;
    long lastEpoch;
    long lastTimestamp;

    Chunk(long newSegmentBase) {
      this.newSegmentBase = newSegmentBase;
    }

    ByteBuffer reserve(int len) {
      if (buf.remaining() < len) {
        int cap = Math.max(buf.capacity() * 2, buf.position() + len);
        ByteBuffer nb = ByteBuffer.allocate(cap);
        buf.flip();
        nb.put(buf);
        buf = nb;
      }
      return buf;
    }

    void added(long offset, int len) {
      if (firstOffset < 0) {
        firstOffset = offset;
      }
      lastOffset = offset;
      int start = buf.position() - len;
      lastEpoch = Frames.epoch(buf, start);
      lastTimestamp = Frames.timestamp(buf, start);
    }
  }
}
