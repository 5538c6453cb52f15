package dev.drkit.backup.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The reused arrays a backup's reader copies chunks into, sized by demand: at most {@code count}
 * arrays exist, each at most {@code max} bytes, so they never hold more than {@code count * max}
 * bytes (the budget's {@code F}, {@link MemoryBudget#chunkData}). An array is as large as the
 * power of two at or above the chunk it was made for, and at least the pool's floor, so a backup of
 * typical 1-2 MiB chunks holds a few 2 MiB arrays instead of 8 MiB ones and a backup of small files
 * a few small ones. {@link #take} hands out the smallest free array that fits; when none fits and
 * all exist, it waits for one that fits to come back, and only when none of them fits, replaces the
 * smallest free one with one for the chunk (the old one is left to the collector). So a rare larger
 * chunk makes one larger array, not one per such chunk, and a replacement is always larger than the
 * array it replaces. Thread-safe.
 */
final class ChunkBuffers {
  /** The smallest array made (a chunk of a small file gets one of this size). */
  static final int SMALLEST = 64 << 10;
  private final int count;
  private final int max;
  /** The smallest size of a new array. */
  private final int floor;
  private final List<byte[]> free = new ArrayList<>();
  private int created;
  private int out;
  /** The largest array that exists (free or taken). */
  private int largest;
  private long allocated;

  /**
   * @param count the most arrays that exist at once
   * @param max the largest chunk, the most bytes an array has
   * @param floor the smallest array to make (e.g. the size class of twice the average chunk when
   *     large files are to be read); {@link #sizeFor} rounds it and caps it at {@code max}
   */
  ChunkBuffers(int count, int max, int floor) {
    if (count <= 0 || max <= 0) {
      throw new IllegalArgumentException("chunk buffers need a count and a maximum > 0, not " + count + " and " + max);
    }
    this.count = count;
    this.max = max;
    this.floor = sizeFor(Math.max(1, Math.min(floor, max)), max);
  }

  /**
   * @param length a chunk's length, 1 to {@code max}
   * @return the size of the array made for it: the power of two at or above it, at least
   *     {@link #SMALLEST}, at most {@code max}
   */
  static int sizeFor(int length, int max) {
    int pow = length <= 1 ? 1 : Integer.highestOneBit(length - 1) << 1;
    if (pow <= 0) {
      pow = Integer.MAX_VALUE; // above 2^30: only max caps it
    }
    return Math.min(max, Math.max(Math.min(SMALLEST, max), pow));
  }

  /**
   * @param length the chunk's length, 1 to {@code max}
   * @return an array of at least {@code length} bytes, waiting while all arrays are out; the
   *     waiting is not interruptible (an interrupt is kept for the caller)
   * @throws IllegalArgumentException when {@code length} is not 1 to {@code max}
   */
  synchronized byte[] take(int length) {
    if (length <= 0 || length > max) {
      throw new IllegalArgumentException("a chunk of " + length + " bytes, not 1 to " + max);
    }
    boolean interrupted = false;
    try {
      while (true) {
        int best = -1;
        int smallest = -1;
        for (int i = 0; i < free.size(); i++) {
          int size = free.get(i).length;
          if (size >= length && (best < 0 || size < free.get(best).length)) {
            best = i;
          }
          if (smallest < 0 || size < free.get(smallest).length) {
            smallest = i;
          }
        }
        if (best >= 0) {
          out++;
          return free.remove(best);
        }
        if (created < count || (smallest >= 0 && largest < length)) {
          if (created < count) {
            created++;
          } else {
            free.remove(smallest); // replaced by a larger one: the count stays
          }
          int size = Math.max(floor, sizeFor(length, max));
          largest = Math.max(largest, size);
          allocated += size;
          out++;
          return new byte[size];
        }
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** @param buffer an array {@link #take} returned, free again */
  synchronized void give(byte[] buffer) {
    if (out == 0 || buffer.length > max) {
      throw new IllegalArgumentException("not an array of this pool (" + buffer.length + " bytes, " + out + " out)");
    }
    out--;
    free.add(buffer);
    notifyAll();
  }

  /** @return arrays taken and not given back */
  synchronized int inUse() {
    return out;
  }

  /** @return bytes of all arrays made so far, the replaced ones included */
  synchronized long allocated() {
    return allocated;
  }

  /** @return the most arrays that exist at once */
  int count() {
    return count;
  }

  /** @return arrays that exist now (at most the count) */
  synchronized int created() {
    return created;
  }
}
