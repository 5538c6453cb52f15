package dev.drkit.replication;

import dev.drkit.core.internal.DrkitThreads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background ("maintenance") thread of a {@link ReplicationLog} with
 * {@link LogConfig#preallocateBytes()}: zero-fills the active segment ahead of the writer, so that
 * the writer's forces overwrite allocated blocks and flush data only (no file-size change, no
 * journal commit), and runs other work the writer hands off (trimming closed segments, retention).
 * Without preallocation there is no thread and {@link #inBackground} runs nothing.
 */
final class SegmentPreallocator {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentPreallocator.class);
  static final int ZERO_CHUNK = 1 << 20;

  private final String name;
  private final long segmentBytes;
  private final long preallocateBytes;
  private final Supplier<Segment> active;
  private final @Nullable ExecutorService maintenance;
  private final AtomicBoolean extendQueued = new AtomicBoolean();
  private volatile boolean stopping;

  /**
   * @param active the log's active segment at the time of asking (it changes when the log rolls)
   */
  SegmentPreallocator(LogConfig config, Supplier<Segment> active) {
    this.name = config.name();
    this.segmentBytes = config.segmentBytes();
    this.preallocateBytes = config.preallocateBytes();
    this.active = active;
    this.maintenance = preallocateBytes <= 0 ? null
        : Executors.newSingleThreadExecutor(r -> DrkitThreads.create(r, "drkit-log-prealloc-" + name, true));
  }

  /** @return whether the log is closing (background work stops at its next chunk) */
  boolean stopping() {
    return stopping;
  }

  /** @return whether {@code task} was queued on the maintenance thread (false without one, or once closing) */
  boolean inBackground(Runnable task) {
    ExecutorService m = maintenance;
    if (m == null || stopping) {
      return false;
    }
    try {
      m.execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Queues a zero-fill of the active segment when the writer came within half the preallocation of its end. */
  void maybeExtend() {
    if (maintenance == null || stopping) {
      return;
    }
    Segment s = active.get();
    long want = Math.min(segmentBytes, s.size + preallocateBytes);
    if (s.allocated - s.size >= preallocateBytes / 2 || s.allocated >= want) {
      return;
    }
    if (extendQueued.compareAndSet(false, true) && !inBackground(this::extendActive)) {
      extendQueued.set(false); // closing
    }
  }

  /**
   * Zero-fills the active segment up to the preallocation beyond its logical end (at most to the
   * segment size) and forces the new size. A failure (such as a full disk) only means the writer
   * grows the file itself.
   */
  private void extendActive() {
    Segment s = active.get();
    try {
      long target = Math.min(segmentBytes, s.size + preallocateBytes);
      boolean grew = false;
      ByteBuffer zeros = ByteBuffer.allocate(ZERO_CHUNK);
      while (!stopping && s == active.get()) {
        s.extendLock.lock();
        try {
          FileChannel ch = s.channel();
          long from = Math.max(ch.size(), s.allocated);
          if (from >= target || s != active.get() || stopping) {
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
   * Waits until the background work queued so far is done; returns at once without preallocation.
   *
   * @throws InterruptedException if interrupted
   */
  void awaitIdle() throws InterruptedException {
    ExecutorService m = maintenance;
    if (m == null) {
      return;
    }
    try {
      m.submit(() -> { }).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Stops the thread: the filler stops at its next chunk, queued work is dropped after 10 s. */
  void stop() {
    ExecutorService m = maintenance;
    if (m == null) {
      return;
    }
    stopping = true;
    m.shutdown();
    try {
      if (!m.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("log {}: background zero-filling did not stop within 10 s", name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
