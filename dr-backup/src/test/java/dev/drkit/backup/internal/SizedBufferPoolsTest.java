package dev.drkit.backup.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The backup's buffer pools size their arrays by demand and stay within the bounds the memory budget
 * counts: chunk buffers by size class up to the maximum chunk, never more than their count; pack
 * buffers as large as asked and grown in place, never more bytes together than count times capacity,
 * also while one grows.
 */
class SizedBufferPoolsTest {
  private static final int MIB = 1 << 20;
  private final ExecutorService other = Executors.newSingleThreadExecutor(r -> new Thread(r, "other-taker"));
  private final AtomicReference<Thread> otherThread = new AtomicReference<>();

  @AfterEach
  void stop() {
    other.shutdownNow();
  }

  private <T> CompletableFuture<T> onOtherThread(java.util.function.Supplier<T> s) {
    return CompletableFuture.supplyAsync(() -> {
      otherThread.set(Thread.currentThread());
      return s.get();
    }, other);
  }

  private void awaitOtherWaiting() {
    await("the other thread waits").atMost(Duration.ofSeconds(30))
        .until(() -> otherThread.get() != null && otherThread.get().getState() == Thread.State.WAITING);
  }

  @Test
  void chunkBuffersArePowersOfTwoFromTheFloorUpToTheMaximum() {
    assertThat(ChunkBuffers.sizeFor(1, 8 * MIB)).isEqualTo(ChunkBuffers.SMALLEST);
    assertThat(ChunkBuffers.sizeFor(1_500_000, 8 * MIB)).isEqualTo(2 * MIB);
    assertThat(ChunkBuffers.sizeFor(2 * MIB, 8 * MIB)).isEqualTo(2 * MIB);
    assertThat(ChunkBuffers.sizeFor(2 * MIB + 1, 8 * MIB)).isEqualTo(4 * MIB);
    // a maximum that is not a power of two caps the class
    assertThat(ChunkBuffers.sizeFor(5_000_000, 6_000_000)).isEqualTo(6_000_000);
    assertThat(ChunkBuffers.sizeFor(6_000_000, 6_000_000)).isEqualTo(6_000_000);

    ChunkBuffers pool = new ChunkBuffers(3, 6_000_000, 2 * MIB);
    assertThat(pool.take(10)).hasSize(2 * MIB); // the floor
    assertThat(pool.take(6_000_000)).hasSize(6_000_000); // a chunk at the maximum still gets its room
    assertThatThrownBy(() -> pool.take(6_000_001)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("6000001");
    assertThatThrownBy(() -> pool.take(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(pool.inUse()).isEqualTo(2);
  }

  @Test
  void aRareLargerChunkWaitsForTheLargerArrayInsteadOfMakingAnother() throws Exception {
    ChunkBuffers pool = new ChunkBuffers(2, 8 * MIB, 1);
    byte[] small = pool.take(100_000);
    byte[] large = pool.take(3 * MIB);
    assertThat(small).hasSize(128 << 10);
    assertThat(large).hasSize(4 * MIB);
    pool.give(small);
    // the free array is too small, but the 4 MiB one exists: wait for it, do not replace
    CompletableFuture<byte[]> next = onOtherThread(() -> pool.take(3 * MIB));
    awaitOtherWaiting();
    assertThat(next).isNotDone();
    pool.give(large);
    assertThat(next.get(30, TimeUnit.SECONDS)).isSameAs(large);
    assertThat(pool.allocated()).isEqualTo((128 << 10) + 4L * MIB);
    assertThat(pool.created()).isEqualTo(2);
  }

  @Test
  void whenNoArrayFitsTheSmallestFreeOneIsReplacedAndTheCountStays() {
    ChunkBuffers pool = new ChunkBuffers(2, 8 * MIB, 1);
    byte[] a = pool.take(100_000);
    byte[] b = pool.take(200_000);
    pool.give(a);
    pool.give(b);
    byte[] c = pool.take(1_000_000);
    assertThat(c).hasSize(MIB).isNotSameAs(a).isNotSameAs(b);
    assertThat(pool.created()).isEqualTo(2);
    // b (256 KiB) is still free and fits a 200 KB chunk; the replaced 128 KiB one is gone
    assertThat(pool.take(200_000)).isSameAs(b);
    assertThat(pool.allocated()).isEqualTo((128 << 10) + (256 << 10) + MIB);
  }

  @Test
  void aTakeWaitsWhileAllArraysAreOutAndKeepsAnInterrupt() throws Exception {
    ChunkBuffers pool = new ChunkBuffers(1, MIB, 1);
    byte[] only = pool.take(MIB);
    CompletableFuture<Boolean> next = onOtherThread(() -> {
      Thread.currentThread().interrupt();
      byte[] b = pool.take(10);
      return b == only && Thread.interrupted();
    });
    // the interrupt does not end the wait: the reader keeps the chunk it cut
    awaitOtherWaiting();
    assertThat(next).isNotDone();
    pool.give(only);
    assertThat(next.get(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void packBuffersAreAsLargeAsAskedAndAFreeOneTooSmallIsReplaced() throws Exception {
    PackBuffers pool = new PackBuffers(4 * MIB, 3);
    byte[] small = pool.take(100_000);
    assertThat(small).hasSize(100_000);
    pool.give(small);
    assertThat(pool.take(50_000)).isSameAs(small); // fits: reused
    pool.give(small);
    byte[] full = pool.take();
    assertThat(full).hasSize(4 * MIB);
    assertThat(pool.created()).isEqualTo(1);
    assertThat(pool.live()).isEqualTo(4L * MIB);
    assertThatThrownBy(() -> pool.take(4 * MIB + 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aGrowingPackBufferKeepsItsContentAndStaysWithinCountTimesCapacity() throws Exception {
    PackBuffers pool = new PackBuffers(MIB, 2);
    byte[] uploading = pool.take(MIB);
    byte[] open = pool.take(64 << 10);
    Arrays.fill(open, 0, 1000, (byte) 7);
    // the old and the new array together would exceed 2 MiB while the other one uploads: wait
    CompletableFuture<byte[]> grown = onOtherThread(() -> {
      try {
        return pool.grow(open, MIB, 1000);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    awaitOtherWaiting();
    assertThat(grown).isNotDone();
    assertThat(pool.live()).isEqualTo(MIB + (64L << 10));
    pool.give(uploading); // the upload ended: its free array is dropped to make room
    byte[] b = grown.get(30, TimeUnit.SECONDS);
    assertThat(b).hasSize(MIB);
    assertThat(Arrays.copyOf(b, 1000)).containsOnly((byte) 7);
    assertThat(pool.live()).isEqualTo(MIB);
    assertThat(pool.inUse()).isEqualTo(1);
    pool.give(b);
    assertThat(pool.inUse()).isZero();
    assertThat(pool.take(MIB)).isSameAs(b);
  }
}
