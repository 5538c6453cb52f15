package dev.drkit.replication.testing;

import dev.drkit.testkit.ForwardingFileChannel;
import dev.drkit.replication.LogChannelFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link LogChannelFactory} whose channels share a byte budget, like a disk with that much free
 * space: a write beyond it writes what fits and then fails with "No space left on device".
 */
public final class FullDiskChannels implements LogChannelFactory {
  private final AtomicLong free;

  /** @param freeBytes the space available */
  public FullDiskChannels(long freeBytes) {
    this.free = new AtomicLong(freeBytes);
  }

  /** @param bytes the new free space */
  public void setFree(long bytes) {
    free.set(bytes);
  }

  @Override
  public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
    return new Channel(FileChannel.open(path, options));
  }

  /** Admits writes while the shared budget lasts, then fails like a full disk. */
  private final class Channel extends ForwardingFileChannel {
    Channel(FileChannel d) {
      super(d);
    }

    private int admit(ByteBuffer src) throws IOException {
      long want = src.remaining();
      long avail = free.get();
      if (want <= avail) {
        free.addAndGet(-want);
        return -1;
      }
      return (int) Math.max(0, avail);
    }

    private IOException full(ByteBuffer src, int allowed, long position) throws IOException {
      if (allowed > 0) {
        ByteBuffer part = src.duplicate();
        part.limit(part.position() + allowed);
        if (position < 0) {
          delegate.write(part);
        } else {
          delegate.write(part, position);
        }
        free.set(0);
      }
      return new IOException("No space left on device");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      int allowed = admit(src);
      if (allowed >= 0) {
        throw full(src, allowed, -1);
      }
      return delegate.write(src);
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
      throw new IOException("transferFrom not supported by the test channel");
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      int allowed = admit(src);
      if (allowed >= 0) {
        throw full(src, allowed, position);
      }
      return delegate.write(src, position);
    }
  }
}
