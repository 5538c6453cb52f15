package dev.drkit.replication.testing;

import dev.drkit.testkit.ForwardingFileChannel;
import dev.drkit.replication.LogChannelFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LogChannelFactory} that simulates power loss: it remembers how much of each file was
 * forced, and {@link #crash(Random)} closes every channel and cuts each file back to its forced
 * size plus a random part of the unforced bytes (a torn write). {@code force} itself does not
 * reach the disk, which keeps thousands of simulated schedules fast; durability is modelled by
 * the cut.
 */
public final class CrashableDisk implements LogChannelFactory {
  private final Map<Path, Long> forced = new ConcurrentHashMap<>();
  private final List<FileChannel> open = new ArrayList<>();
  private volatile @Nullable Runnable onForce;
  private volatile boolean frozen;

  /**
   * Runs {@code hook} once, at the start of the next {@code force} on any file of this disk (before
   * the force takes effect): a simulation ships from there what was written but not yet forced,
   * and may then {@link #freeze()} the disk and throw to model a power loss during the force.
   *
   * @param hook what to run, or {@code null} to disarm
   */
  public void beforeNextForce(@Nullable Runnable hook) {
    this.onForce = hook;
  }

  /** Power is lost: from now until {@link #crash} no force takes effect (closing the log forces nothing). */
  public void freeze() {
    frozen = true;
  }

  @Override
  public synchronized FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
    FileChannel d = FileChannel.open(path, options);
    forced.putIfAbsent(path, 0L);
    Channel c = new Channel(path, d);
    open.add(c);
    return c;
  }

  /**
   * Simulates a power loss.
   *
   * @param random decides how much unforced data survives
   */
  public synchronized void crash(Random random) {
    for (FileChannel c : open) {
      try {
        c.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    open.clear();
    frozen = false;
    onForce = null;
    for (Map.Entry<Path, Long> e : forced.entrySet()) {
      Path p = e.getKey();
      try {
        if (!Files.exists(p)) {
          continue;
        }
        long size = Files.size(p);
        long keep = e.getValue();
        if (size > keep) {
          keep += random.nextInt(4) == 0 ? random.nextLong(size - keep + 1) : 0;
          try (FileChannel ch = FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(keep);
          }
        }
        e.setValue(Math.min(size, keep));
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
  }

  /** Records what was forced; {@code force} itself does not reach the disk. */
  private final class Channel extends ForwardingFileChannel {
    private final Path path;

    Channel(Path path, FileChannel d) {
      super(d);
      this.path = path;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      delegate.truncate(size);
      forced.computeIfPresent(path, (k, v) -> Math.min(v, size));
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      Runnable hook = onForce;
      if (hook != null) {
        onForce = null;
        hook.run();
      }
      if (!frozen) {
        forced.put(path, delegate.size());
      }
    }
  }
}
