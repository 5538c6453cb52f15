package dev.drkit.examples.drill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded machine on demand, so that anyone can reproduce how a drill behaves beside other work:
 * {@code n} busy threads spinning on arithmetic, plus one writer that writes a chunk to a temporary
 * file and forces it to disk ({@link FileChannel#force(boolean)}), again and again. The file lives in
 * a directory the caller names (the drill's report directory) and is deleted on {@link #close()}.
 * With {@code n = 0} nothing runs.
 */
public final class CpuStress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CpuStress.class);
  /** The default size of one forced chunk: 64 MiB. */
  public static final int DEFAULT_CHUNK_BYTES = 64 << 20;

  private final int busyThreads;
  private final int chunkBytes;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong chunksForced = new AtomicLong();
  private final AtomicLong spins = new AtomicLong();
  private volatile boolean stopping;
  private @Nullable Path file;
  private volatile @Nullable IOException writerFailure;

  private CpuStress(int busyThreads, int chunkBytes) {
    this.busyThreads = busyThreads;
    this.chunkBytes = chunkBytes;
  }

  /**
   * Starts the load.
   *
   * @param busyThreads how many busy threads, {@code >= 0}; 0 starts nothing (no writer either)
   * @param dir the directory of the writer's temporary file (created if absent)
   * @param chunkBytes how much the writer writes between two forces, {@code >= 4096}
   * @return the running load; close it to stop it and delete the file
   * @throws IllegalArgumentException for a negative thread count or a chunk under 4 KiB
   * @throws UncheckedIOException when the temporary file cannot be created
   */
  public static CpuStress start(int busyThreads, Path dir, int chunkBytes) {
    if (busyThreads < 0) {
      throw new IllegalArgumentException("cpu-stress: the number of busy threads must be >= 0 but was " + busyThreads);
    }
    if (chunkBytes < 4096) {
      throw new IllegalArgumentException("cpu-stress: the writer's chunk must be >= 4096 bytes but was " + chunkBytes);
    }
    Objects.requireNonNull(dir, "dir");
    CpuStress s = new CpuStress(busyThreads, chunkBytes);
    if (busyThreads == 0) {
      return s;
    }
    try {
      Files.createDirectories(dir);
      s.file = Files.createTempFile(dir, "cpu-stress-", ".fsync");
    } catch (IOException e) {
      throw new UncheckedIOException("cpu-stress: cannot create the fsync writer's file in " + dir, e);
    }
    for (int i = 0; i < busyThreads; i++) {
      Thread t = new Thread(s::spin, "cpu-stress-busy-" + i);
      t.setDaemon(true);
      s.threads.add(t);
    }
    Path f = s.file;
    Thread w = new Thread(() -> s.write(f), "cpu-stress-fsync");
    w.setDaemon(true);
    s.threads.add(w);
    s.threads.forEach(Thread::start);
    LOG.info("cpu-stress: {} busy threads and an fsync writer ({} byte chunks) into {}", busyThreads, chunkBytes, f);
    return s;
  }

  /**
   * Starts busy threads only (no writer): CPU starvation without disk load.
   *
   * @param busyThreads how many, {@code >= 0}
   * @return the running load; close it to stop it
   * @throws IllegalArgumentException for a negative count
   */
  public static CpuStress spinOnly(int busyThreads) {
    if (busyThreads < 0) {
      throw new IllegalArgumentException("cpu-stress: the number of busy threads must be >= 0 but was " + busyThreads);
    }
    CpuStress s = new CpuStress(busyThreads, DEFAULT_CHUNK_BYTES);
    for (int i = 0; i < busyThreads; i++) {
      Thread t = new Thread(s::spin, "cpu-stress-busy-" + i);
      t.setDaemon(true);
      s.threads.add(t);
    }
    s.threads.forEach(Thread::start);
    return s;
  }

  private void spin() {
    long x = 0x9E3779B97F4A7C15L;
    long n = 0;
    while (!stopping) {
      for (int i = 0; i < 100_000; i++) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
      }
      n++;
    }
    spins.addAndGet(n + (x & 1));
  }

  private void write(Path f) {
    ByteBuffer chunk = ByteBuffer.allocateDirect(Math.min(chunkBytes, 8 << 20));
    for (int i = 0; i < chunk.capacity(); i++) {
      chunk.put(i, (byte) (i * 31 + 7));
    }
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      while (!stopping) {
        ch.position(0);
        long written = 0;
        while (written < chunkBytes && !stopping) {
          chunk.clear();
          chunk.limit((int) Math.min(chunk.capacity(), chunkBytes - written));
          while (chunk.hasRemaining()) {
            written += ch.write(chunk);
          }
        }
        ch.force(true);
        chunksForced.incrementAndGet();
      }
    } catch (IOException e) {
      writerFailure = e;
      LOG.warn("cpu-stress: the fsync writer stopped: {}", e.toString());
    }
  }

  /** @return how many busy threads run */
  public int busyThreads() {
    return busyThreads;
  }

  /** @return the writer's chunk size in bytes */
  public int chunkBytes() {
    return chunkBytes;
  }

  /** @return how many chunks the writer has written and forced so far */
  public long chunksForced() {
    return chunksForced.get();
  }

  /** @return the writer's temporary file while the load runs (none when no load was asked for) */
  public @Nullable Path file() {
    return file;
  }

  /** @return one line saying what ran, for a report's settings */
  public String describe() {
    if (busyThreads == 0) {
      return "off";
    }
    IOException e = writerFailure;
    String chunk = chunkBytes >= 1 << 20 ? (chunkBytes >> 20) + " MiB" : (chunkBytes >> 10) + " KiB";
    return busyThreads + " busy threads + 1 fsync writer (" + chunk + " chunks, " + chunksForced()
        + " forced" + (e == null ? "" : ", writer stopped: " + e.getMessage()) + ")";
  }

  /** Stops the threads, waits for them and deletes the writer's file. */
  @Override
  public void close() {
    stopping = true;
    for (Thread t : threads) {
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    Path f = file;
    if (f != null) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException e) {
        LOG.warn("cpu-stress: could not delete {}: {}", f, e.toString());
      }
    }
  }
}
