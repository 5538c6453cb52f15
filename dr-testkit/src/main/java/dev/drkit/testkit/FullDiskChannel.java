package dev.drkit.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.FileSystemException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link FileChannel} on a disk with little free space: its writes draw on a byte budget shared
 * by every channel given the same counter, and a write beyond it writes what fits and then fails
 * as the kernel does, with "No space left on device" (the JDK's {@link FileSystemException} text
 * for ENOSPC). Setting the counter again "frees space". Mapping and {@code transferFrom} are
 * refused, as they would bypass the budget.
 */
public final class FullDiskChannel extends ForwardingFileChannel {
  private final AtomicLong free;

  /**
   * @param delegate the channel written to while the budget lasts
   * @param free the bytes still free on the disk, shared with the disk's other channels
   */
  public FullDiskChannel(FileChannel delegate, AtomicLong free) {
    super(delegate);
    this.free = Objects.requireNonNull(free, "free");
  }

  /**
   * Takes up to {@code want} bytes from a disk's free space, atomically (several writers may share
   * one budget): all of them, or what is left.
   *
   * @param free the bytes still free
   * @param want the bytes a write needs
   * @return the bytes granted, taken from {@code free}
   */
  public static int take(AtomicLong free, int want) {
    while (true) {
      long avail = free.get();
      int granted = (int) Math.max(0, Math.min(want, avail));
      if (free.compareAndSet(avail, avail - granted)) {
        return granted;
      }
    }
  }

  private int write(ByteBuffer src, long position, boolean positional) throws IOException {
    int want = src.remaining();
    int granted = take(free, want);
    ByteBuffer part = src.duplicate();
    part.limit(part.position() + granted);
    int n = positional ? delegate.write(part, position) : delegate.write(part);
    src.position(src.position() + n);
    if (granted < want) {
      throw new FileSystemException(null, null, "No space left on device");
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return write(src, -1, false);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return write(src, position, true);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long n = 0;
    for (int i = offset; i < offset + length; i++) {
      n += write(srcs[i]);
    }
    return n;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    throw new IOException("transferFrom is not supported by the full-disk test channel");
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    throw new IOException("map is not supported by the full-disk test channel");
  }
}
