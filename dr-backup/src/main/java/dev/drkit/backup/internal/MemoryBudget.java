package dev.drkit.backup.internal;

import dev.drkit.backup.InsufficientHeapException;

/**
 * The heap a backup and a restore need at most, as a function of the repository's maximum chunk
 * size {@code M}, the pack size {@code P}, the parallelism {@code W} and the store's write
 * concurrency {@code U} (1-16), as {@code docs/backup.md} states it:
 * <ul>
 *   <li>backup: {@code 2M} (read buffer) {@code + F} (reused chunk buffers, {@link #chunkData}:
 *       {@code F = M max(floor((32 MiB + M) / M), W + 1)}) {@code + W M + min(W M, F)} (each worker's
 *       compression buffer, and the sealed bytes of the chunks being encoded) {@code + (2U + 2) P} (the pack being filled,
 *       one queued, {@code U} uploading, each also assembled into one array) {@code +}
 *       {@value #BASE_MIB}{@code  MiB} (index, snapshot listing, the JVM's own classes);</li>
 *   <li>restore: {@code (W + 1) S} (the reused read buffers, each holding a run of blobs of one pack
 *       at most as long as the largest sealed blob {@code S = M + 1 + 28 ceil((M + 1) / 64 KiB)})
 *       {@code + W (2M + 1)} (per worker: the opened payload and the decompressed plaintext)
 *       {@code +} {@value #BASE_MIB}{@code  MiB}.</li>
 * </ul>
 * The index of a large repository adds to both (it is held in memory).
 */
public final class MemoryBudget {
  /** Chunk bytes a backup hands to its workers before the reader waits (without the last chunk). */
  public static final int INFLIGHT_MIB = 32;
  /** Heap for everything else: the index of a small repository, listings, classes. */
  public static final int BASE_MIB = 16;

  private MemoryBudget() {}

  /**
   * @param maxChunk the repository's maximum chunk size
   * @param packSize the target pack size
   * @param parallelism worker threads
   * @param writeConcurrency the store's write concurrency (clamped to 1-16 as the pack writer does)
   * @return bytes of heap a backup needs at most
   */
  public static long backup(int maxChunk, int packSize, int parallelism, int writeConcurrency) {
    long m = maxChunk;
    long inflight = chunkData(maxChunk, parallelism);
    long encoders = (long) parallelism * m + Math.min((long) parallelism * m, inflight);
    long u = Math.max(1, Math.min(16, writeConcurrency));
    long packs = (2 * u + 2) * packSize;
    return 2 * m + inflight + encoders + packs + ((long) BASE_MIB << 20);
  }

  /**
   * @param maxChunk the repository's maximum chunk size {@code M}
   * @param parallelism worker threads {@code W}
   * @return {@code F}, the bytes of the chunk buffers a backup reuses: {@code M} times
   *     {@code max(floor((32 MiB + M) / M), W + 1)} (every worker busy and the reader filling one)
   */
  public static long chunkData(int maxChunk, int parallelism) {
    long m = maxChunk;
    return m * Math.max((((long) INFLIGHT_MIB << 20) + m) / m, parallelism + 1L);
  }

  /**
   * @param maxChunk the repository's maximum chunk size
   * @param parallelism worker threads
   * @return bytes of heap a restore needs at most
   */
  public static long restore(int maxChunk, int parallelism) {
    long m = maxChunk;
    long w = parallelism;
    return (w + 1) * sealedBlob(maxChunk) + w * (2 * m + 1) + ((long) BASE_MIB << 20);
  }

  /**
   * @param maxChunk the repository's maximum chunk size {@code M}
   * @return {@code S}, the longest a sealed blob can be: its payload (a codec byte and at most
   *     {@code M} bytes) sealed in segments of 64 KiB, each with a 12-byte nonce and a 16-byte tag
   */
  public static long sealedBlob(int maxChunk) {
    long payload = maxChunk + 1L;
    return payload + Crypto.OVERHEAD * ((payload + Crypto.SEGMENT - 1) / Crypto.SEGMENT);
  }

  /**
   * @param what the operation, for the message
   * @param required bytes it needs
   * @param available the heap limit
   * @throws InsufficientHeapException when {@code available < required}
   */
  public static void require(String what, long required, long available) {
    if (available < required) {
      throw new InsufficientHeapException(what + " needs " + mib(required) + " MiB of heap but the JVM's limit is "
          + mib(available) + " MiB (-Xmx); raise -Xmx, or lower the parallelism or the pack size"
          + " (docs/backup.md, \"Memory\"); nothing was written", required, available);
    }
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }
}
