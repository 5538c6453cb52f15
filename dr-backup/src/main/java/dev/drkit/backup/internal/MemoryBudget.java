package dev.drkit.backup.internal;

import dev.drkit.backup.InsufficientHeapException;

/**
 * The heap a backup and a restore need at most, as a function of the repository's maximum chunk
 * size {@code M}, the pack size {@code P}, the parallelism {@code W} and the store's write
 * concurrency {@code U} (1-16), as {@code docs/backup.md} states it:
 * <ul>
 *   <li>backup: {@code 2M} (the read buffer: at most {@code M + 1 MiB}, {@link #readBuffer}, and
 *       while a smaller one grows to {@code M} for a file that grew after the scan, both for a
 *       moment) {@code + F} (reused chunk buffers, {@link #chunkData}:
 *       {@code F = M max(floor((32 MiB + M) / M), W + 1)}) {@code + W M} (each worker's compression
 *       buffer) {@code + (U + 1) C} (the reused pack buffers blobs are sealed into, {@link #packBuffers}
 *       of {@link #packBuffer} bytes: {@code C = max(P, S + 128)}: the pack being filled and
 *       {@code U} uploading or waiting for an uploader) {@code +} {@value #BASE_MIB}{@code  MiB} (index,
 *       snapshot listing, the JVM's own classes);</li>
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
    long encoders = (long) parallelism * m;
    long packs = (long) packBuffers(writeConcurrency) * packBuffer(maxChunk, packSize);
    return 2 * m + inflight + encoders + packs + ((long) BASE_MIB << 20);
  }

  /**
   * @param maxChunk the repository's maximum chunk size {@code M}
   * @return the largest read buffer of a backup, {@code M + 1 MiB}: a chunk is cut as soon as its end
   *     is in the buffer, so the buffer needs room for one chunk of the maximum size and one read
   *     (a backup of smaller files makes it only as large as its largest file)
   */
  public static int readBuffer(int maxChunk) {
    return Math.addExact(maxChunk, 1 << 20);
  }

  /** Room a pack buffer keeps after the largest sealed blob for the header of a pack of one blob. */
  public static final int PACK_TRAILER_ROOM = 128;

  /**
   * @param writeConcurrency the store's {@link dev.drkit.core.spi.BlobStore#writeConcurrency()}
   * @return {@code U}, the pack uploads a backup runs at once: the store's write concurrency
   *     clamped to 1-16
   */
  public static int uploaders(int writeConcurrency) {
    return Math.max(1, Math.min(16, writeConcurrency));
  }

  /**
   * @param writeConcurrency the store's write concurrency
   * @return how many pack buffers a backup uses at most: {@code U + 1} (one per upload and the pack
   *     being filled)
   */
  public static int packBuffers(int writeConcurrency) {
    return uploaders(writeConcurrency) + 1;
  }

  /**
   * @param maxChunk the repository's maximum chunk size {@code M}
   * @param packSize the target pack size {@code P}
   * @return {@code C}, the bytes of one pack buffer: {@code max(P, S + 128)}, the target or, when
   *     a sealed blob can be larger, room for one such blob and its pack's header
   */
  public static int packBuffer(int maxChunk, int packSize) {
    return Math.toIntExact(Math.max(packSize, sealedBlob(maxChunk) + PACK_TRAILER_ROOM));
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
