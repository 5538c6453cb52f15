package dev.drkit.backup.internal;

import java.util.ArrayDeque;

/**
 * The reused arrays a {@link PackWriter} seals blobs into: at most {@code count} arrays of at most
 * {@code capacity} bytes, created when first needed, handed out by {@link #take} (which waits while
 * all of them are out) and given back by {@link #give} once the pack one holds is uploaded or
 * dropped. Bounding their number and size bounds the writer's memory and throttles the encoders to
 * the store's pace. An array is only as large as the writer asks for (a small backup's pack does
 * not need the full pack size); {@link #grow} replaces one that turned out too small by a larger
 * one, and {@link #take} replaces a free one that is too small the same way, so arrays only grow.
 * Together they never hold more than {@code count * capacity} bytes, not even while one grows: a
 * growth that would go beyond drops free arrays first and otherwise waits until an upload returns
 * one. Thread-safe.
 */
final class PackBuffers {
  private final int capacity;
  private final int count;
  private final ArrayDeque<byte[]> free = new ArrayDeque<>();
  private int created;
  private int out;
  private long allocated;
  /** Bytes of the arrays that exist (free or taken). */
  private long live;

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
   * @return a free buffer of the full capacity (its content is whatever the last pack left),
   *     waiting while all are out
   * @throws InterruptedException when interrupted while waiting
   */
  byte[] take() throws InterruptedException {
    return take(capacity);
  }

  /**
   * @param want the bytes the buffer needs at least, at most the capacity
   * @return a free buffer of at least {@code want} bytes (its content is whatever the last pack
   *     left): the largest free one, replaced by a new one of {@code want} bytes when it is smaller;
   *     waiting while all are out
   * @throws InterruptedException when interrupted while waiting
   */
  synchronized byte[] take(int want) throws InterruptedException {
    if (want <= 0 || want > capacity) {
      throw new IllegalArgumentException("a pack buffer of " + want + " bytes, not 1 to " + capacity);
    }
    while (free.isEmpty() && created >= count) {
      wait();
    }
    out++;
    byte[] largest = null;
    for (byte[] b : free) {
      if (largest == null || b.length > largest.length) {
        largest = b;
      }
    }
    if (largest != null) {
      free.remove(largest);
      if (largest.length >= want) {
        return largest;
      }
      live -= largest.length; // replaced: left to the collector
    } else {
      created++;
    }
    allocated += want;
    live += want;
    return new byte[want];
  }

  /**
   * Replaces a taken buffer by a larger one holding its first {@code keep} bytes; the old one is left
   * to the collector.
   *
   * @param buffer a buffer {@link #take} returned and not given back
   * @param size the new size, above the old one and at most the capacity
   * @param keep the bytes to copy
   * @return the new buffer, taken in place of the old one
   * @throws InterruptedException when interrupted while waiting for room
   */
  synchronized byte[] grow(byte[] buffer, int size, int keep) throws InterruptedException {
    if (out == 0 || size <= buffer.length || size > capacity || keep > buffer.length) {
      throw new IllegalArgumentException("cannot grow a pack buffer of " + buffer.length + " bytes to " + size);
    }
    // the old and the new array exist together for the copy: stay within count * capacity
    while (live + size > (long) count * capacity) {
      byte[] f = free.poll();
      if (f != null) {
        live -= f.length;
        created--;
      } else {
        wait(); // the other arrays are uploading: each returns when its upload ends
      }
    }
    allocated += size;
    live += size;
    byte[] b = new byte[size];
    System.arraycopy(buffer, 0, b, 0, keep);
    live -= buffer.length;
    return b;
  }

  /** @param buffer a buffer {@link #take} returned, free again */
  synchronized void give(byte[] buffer) {
    if (buffer.length > capacity || out == 0) {
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

  /** @return bytes of the buffers that exist now, free or taken (at most count * capacity) */
  synchronized long live() {
    return live;
  }

  /** @return bytes of all buffers made so far, the replaced ones included */
  synchronized long allocated() {
    return allocated;
  }

  /** @return buffers created so far (at most the count) */
  synchronized int created() {
    return created;
  }
}
