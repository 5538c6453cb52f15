package dev.drkit.core.coord;

import dev.drkit.core.StorageException;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.Lease;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Coordinator} for several processes on one machine: leadership is an exclusive OS lock
 * on a file, which the operating system releases when the holder dies (even by {@code kill -9}),
 * so at most one process leads at a time. The file also stores the last token granted; each new
 * term reads it, adds one and forces it to disk before the lease is handed out, so tokens strictly
 * increase across processes and restarts. Thread-safe.
 *
 * <p>Waiting for leadership polls the lock every {@code pollInterval} until the timeout (a real
 * wait on another process, bounded by the caller's timeout).
 */
public final class FileLockCoordinator implements Coordinator {
  private static final Logger LOG = LoggerFactory.getLogger(FileLockCoordinator.class);
  private final Path file;
  private final Duration pollInterval;
  private final Object monitor = new Object();
  private @Nullable FileChannel channel;
  private @Nullable FileLock lock;
  private @Nullable RevocableLease current;
  private boolean closed;

  /**
   * @param file the lock file (created if absent); every process that must not lead concurrently
   *     uses the same path
   * @param pollInterval how often {@link #awaitLeadership(Duration)} retries the lock
   * @throws IllegalArgumentException when {@code pollInterval} is not positive
   */
  public FileLockCoordinator(Path file, Duration pollInterval) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.isZero() || pollInterval.isNegative()) {
      throw new IllegalArgumentException("pollInterval must be positive but was " + pollInterval);
    }
  }

  /**
   * @param timeout how long to wait for the lock
   * @return the lease, or empty when another process held the lock for the whole timeout or this
   *     coordinator is closed
   * @throws InterruptedException when interrupted while waiting
   * @throws StorageException when the lock file cannot be used
   */
  @Override
  public Optional<Lease> awaitLeadership(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      synchronized (monitor) {
        if (closed) {
          return Optional.empty();
        }
        if (current != null && current.isValid()) {
          return Optional.of(current);
        }
        if (tryAcquire()) {
          return Optional.ofNullable(current); // set by tryAcquire()
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      Thread.sleep(Math.max(1, Math.min(pollInterval.toMillis(), left / 1_000_000)));
    }
  }

  private boolean tryAcquire() {
    try {
      FileChannel channel = this.channel;
      if (channel == null) {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.channel = channel;
      }
      FileLock l;
      try {
        l = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        return false; // another coordinator in this JVM holds it
      }
      if (l == null) {
        return false;
      }
      long token = readToken(channel) + 1;
      ByteBuffer buf = ByteBuffer.allocate(Long.BYTES).putLong(0, token);
      channel.write(buf, 0);
      channel.force(true);
      lock = l;
      current = new RevocableLease(token);
      LOG.info("acquired leadership through {} with token {}", file, token);
      return true;
    } catch (IOException e) {
      throw new StorageException("cannot use leadership lock file " + file + ": " + e.getMessage(), e);
    }
  }

  private static long readToken(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Long.BYTES);
    int read = 0;
    while (buf.hasRemaining()) {
      int n = channel.read(buf, read);
      if (n < 0) {
        break;
      }
      read += n;
    }
    return read == Long.BYTES ? buf.getLong(0) : 0;
  }

  @Override
  public Optional<Lease> currentLease() {
    synchronized (monitor) {
      return current != null && current.isValid() ? Optional.of(current) : Optional.empty();
    }
  }

  /** Ends the current term and releases the lock so that another process may lead. */
  public void relinquish() {
    synchronized (monitor) {
      if (current != null) {
        current.revoke();
        current = null;
      }
      if (lock != null) {
        try {
          lock.release();
        } catch (IOException e) {
          LOG.warn("cannot release leadership lock {}", file, e);
        }
        lock = null;
      }
    }
  }

  @Override
  public void close() {
    synchronized (monitor) {
      relinquish();
      closed = true;
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          LOG.debug("ignored failure closing {}", file, e);
        }
        channel = null;
      }
    }
  }

  @Override
  public String toString() {
    return "FileLockCoordinator{" + file + "}";
  }
}
