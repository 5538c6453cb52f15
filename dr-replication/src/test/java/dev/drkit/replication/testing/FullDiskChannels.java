package dev.drkit.replication.testing;

import dev.drkit.testkit.FullDiskChannel;
import dev.drkit.replication.LogChannelFactory;
import java.io.IOException;
import java.nio.channels.FileChannel;
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
    return new FullDiskChannel(FileChannel.open(path, options), free);
  }
}
