package dev.drkit.backup.internal;

import java.util.ArrayDeque;

/**
 * The reused arrays a {@link PackWriter} seals blobs into: at most {@code count} arrays of
 * {@code capacity} bytes, created when first needed, handed out by {@link #take} (which waits while
 * all of them are out) and given back by {@link #give} once the pack one holds is uploaded or
 * dropped. Bounding their number bounds the writer's memory and throttles the encoders to the
 * store's pace. Thread-safe.
 */
final class PackBuffers {
  private final int capacity;
  private final int count;
  private final ArrayDeque<byte[]> free = new ArrayDeque<>();
  private int created;
  private int out;

  /**
   * @param capacity bytes per buffer
   * @param count the most buffers that exist at once
   */
  PackBuffers(int capacity, int count) {
    if (capacity <= 0 || count <= 0) {
      throw new IllegalArgumentException("pack buffers need a capacity and a count > 0, not " + capacity + " and " + count);
    }
    this.capacity = capacity;
    this.count = count;
  }

  /** @return bytes per buffer */
  int capacity() {
    return capacity;
  }

  /**
   * @return a free buffer (its content is whatever the last pack left), waiting while all are out
   * @throws InterruptedException when interrupted while waiting
   */
  synchronized byte[] take() throws InterruptedException {
    while (free.isEmpty() && created >= count) {
      wait();
    }
    out++;
    byte[] b = free.poll();
    if (b != null) {
      return b;
    }
    created++;
    return new byte[capacity];
  }

  /** @param buffer a buffer {@link #take} returned, free again */
  synchronized void give(byte[] buffer) {
    if (buffer.length != capacity || out == 0) {
      throw new IllegalArgumentException("not a buffer of this pool (" + buffer.length + " bytes, " + out + " out)");
    }
    out--;
    free.push(buffer);
    notifyAll();
  }

  /** @return buffers taken and not given back */
  synchronized int inUse() {
    return out;
  }

  /** @return buffers created so far (at most the count) */
  synchronized int created() {
    return created;
  }
}
