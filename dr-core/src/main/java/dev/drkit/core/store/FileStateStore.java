package dev.drkit.core.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.core.config.Names;
import dev.drkit.core.StorageException;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.internal.DurableFiles;
import dev.drkit.core.internal.ServiceStateCodec;
import dev.drkit.core.internal.ServiceStateCodec.MalformedStateException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link StateStore} on the local filesystem: one file per service,
 * {@code <dir>/<service>.state}, replaced atomically on every compare-and-set.
 *
 * <p>A write goes to a fresh temporary file in the same directory, is forced to disk
 * ({@code fsync}), renamed over the service's file with an atomic move, and then the directory
 * itself is forced so that the rename survives a power loss (drkit's one fsync policy, including
 * what happens where a directory cannot be opened: see {@code dev.drkit.core.internal.DurableFiles}). A crash at any point (including
 * {@code kill -9}) therefore leaves either the previous or the new state, never a torn one;
 * leftover temporary files are deleted when the store is opened. Each file carries a CRC-32C of
 * its content, so a file damaged on the medium is reported as a {@link StorageException} naming it
 * rather than read as a wrong state; other services stay usable.
 *
 * <p>One process owns a directory at a time: {@link #open(Path)} takes an exclusive OS file lock
 * on {@code <dir>/.lock} (released by the OS when the process dies), so the in-memory cache of
 * versions is authoritative and compare-and-set is linearizable per service. Thread-safe.
 *
 * <p>File format (UTF-8, two lines): a JSON object with {@code format} (1), {@code version},
 * {@code service}, {@code state}, {@code epoch}, {@code activeSite}, {@code since} (ISO-8601),
 * {@code reason} and {@code attributes} (drkit's one state codec,
 * {@code dev.drkit.core.internal.ServiceStateCodec}, which the ZooKeeper store shares; a field
 * missing, of the wrong type or duplicated makes the file unreadable, never a default such as
 * epoch 0); then the CRC-32C of the first line's bytes in lower-case hex.
 */
public final class FileStateStore implements StateStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileStateStore.class);
  static final String SUFFIX = ".state";
  static final String TEMP_MARKER = DurableFiles.TEMP_MARKER;

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final WriteHook hook;
  private final ConcurrentMap<String, Versioned<ServiceState>> cache = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, String> corrupt = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Object> locks = new ConcurrentHashMap<>();
  /** Writers hold the read side; {@link #close()} takes the write side, so no write outlives close. */
  private final java.util.concurrent.locks.ReadWriteLock openLock = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile boolean closed;

  /** Points inside a write where tests inject faults (a simulated crash or I/O error). */
  interface WriteHook {
    /** No faults. */
    WriteHook NONE = (stage, service) -> {};

    /**
     * @param stage {@code "temp-written"} (temp file forced, not renamed) or {@code "renamed"}
     *     (renamed, directory not yet forced)
     * @param service the service being written
     * @throws IOException to simulate an I/O failure at that point
     */
    void at(String stage, String service) throws IOException;
  }

  private FileStateStore(Path dir, FileChannel lockChannel, FileLock lock, WriteHook hook) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.hook = hook;
  }

  /**
   * Opens (creating if needed) the store in {@code dir}.
   *
   * @param dir the directory holding the state files
   * @return the store, owning the directory until {@link #close()}
   * @throws StorageException when the directory cannot be created or read, or another process (or
   *     another open store in this process) owns it
   */
  public static FileStateStore open(Path dir) {
    return open(dir, WriteHook.NONE);
  }

  static FileStateStore open(Path dir, WriteHook hook) {
    Objects.requireNonNull(dir, "dir");
    Path abs = dir.toAbsolutePath().normalize();
    FileChannel ch = null;
    try {
      Files.createDirectories(abs);
      ch = FileChannel.open(abs.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        throw new StorageException("state directory " + abs + " is in use by another FileStateStore"
            + " (lock file " + abs.resolve(".lock") + " is held)");
      }
      FileStateStore store = new FileStateStore(abs, ch, l, hook);
      store.scan();
      return store;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new StorageException("cannot open state directory " + abs + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /** @return the directory this store writes to */
  public Path directory() {
    return dir;
  }

  private void scan() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.contains(TEMP_MARKER)) {
          LOG.info("deleting leftover temporary state file {} (an interrupted write)", f);
          Files.deleteIfExists(f);
        } else if (name.endsWith(SUFFIX)) {
          String service = name.substring(0, name.length() - SUFFIX.length());
          try {
            cache.put(service, read(f, service));
          } catch (StorageException e) {
            LOG.error("state file {} is unreadable; service '{}' is unavailable until repaired", f, service, e);
            corrupt.put(service, e.getMessage());
          }
        }
      }
    }
  }

  private static Versioned<ServiceState> read(Path f, String service) {
    String text;
    try {
      text = Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StorageException("cannot read state file " + f + ": " + e.getMessage(), e);
    }
    int nl = text.indexOf('\n');
    if (nl < 0 || !text.endsWith("\n")) {
      throw new StorageException("state file " + f + " is truncated (expected a JSON line and a checksum line)");
    }
    String body = text.substring(0, nl);
    String sum = text.substring(nl + 1, text.length() - 1);
    if (!sum.equals(crc(body))) {
      throw new StorageException("state file " + f + " is damaged: checksum " + sum + " does not match its content ("
          + crc(body) + ")");
    }
    try {
      JsonNode n = ServiceStateCodec.parse(body.getBytes(StandardCharsets.UTF_8));
      String svc = ServiceStateCodec.text(n, "service");
      if (!svc.equals(service)) {
        throw new StorageException("state file " + f + " holds service '" + svc + "', not '" + service + "'");
      }
      long version = ServiceStateCodec.integer(n, "version");
      if (version < 1) {
        throw new StorageException("state file " + f + " has version " + version + "; versions start at 1");
      }
      return new Versioned<>(ServiceStateCodec.decode(n), version);
    } catch (MalformedStateException e) {
      throw new StorageException("state file " + f + " is not a valid state record: " + e.getMessage(), e);
    }
  }

  static String encode(Versioned<ServiceState> v) {
    String body = ServiceStateCodec.encode(v.value(), Map.of("version", v.version()));
    return body + "\n" + crc(body) + "\n";
  }

  private static String crc(String body) {
    CRC32C c = new CRC32C();
    c.update(body.getBytes(StandardCharsets.UTF_8));
    return Long.toHexString(c.getValue());
  }

  private void ensureOpen() {
    if (closed) {
      throw new StorageException("state store " + dir + " is closed");
    }
  }

  private void checkUsable(String service) {
    String damage = corrupt.get(service);
    if (damage != null) {
      throw new StorageException("state of service '" + service + "' is unavailable: " + damage);
    }
  }

  @Override
  public Optional<Versioned<ServiceState>> load(String service) {
    Objects.requireNonNull(service, "service");
    ensureOpen();
    checkUsable(service);
    return Optional.ofNullable(cache.get(service));
  }

  @Override
  public long compareAndSet(String service, long expectedVersion, ServiceState state) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(state, "state");
    if (!service.equals(state.service())) {
      throw new IllegalArgumentException("state of service '" + state.service()
          + "' cannot be stored under service '" + service + "'");
    }
    if (!Names.isValid(service)) {
      throw new IllegalArgumentException("'" + service + "' is not a valid service name for a state file");
    }
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expectedVersion must be >= 0 but was " + expectedVersion);
    }
    ensureOpen();
    openLock.readLock().lock();
    try {
      synchronized (locks.computeIfAbsent(service, k -> new Object())) {
        ensureOpen();
        checkUsable(service);
        Versioned<ServiceState> current = cache.get(service);
        long actual = current == null ? 0 : current.version();
        if (actual != expectedVersion) {
          throw new VersionConflictException(service, expectedVersion, actual);
        }
        Versioned<ServiceState> next = new Versioned<>(state, expectedVersion + 1);
        write(service, next);
        cache.put(service, next);
        return next.version();
      }
    } finally {
      openLock.readLock().unlock();
    }
  }

  private void write(String service, Versioned<ServiceState> next) {
    Path target = dir.resolve(service + SUFFIX);
    Path temp = DurableFiles.tempFor(target);
    byte[] bytes = encode(next).getBytes(StandardCharsets.UTF_8);
    boolean renamed = false;
    try {
      DurableFiles.writeNew(temp, bytes);
      hook.at("temp-written", service);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      renamed = true;
      hook.at("renamed", service);
      DurableFiles.forceDirectory(dir);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (renamed) {
        // The new state is in place but may not survive a power loss; keep the cache equal to the
        // file so that this process's view matches what a reader sees now.
        cache.put(service, next);
        throw new StorageException("state of service '" + service + "' was written to " + target
            + " at version " + next.version() + " but the directory could not be forced to disk: " + e.getMessage(), e);
      }
      throw new StorageException("cannot write state of service '" + service + "' to " + target
          + "; previous state kept: " + e.getMessage(), e);
    }
  }

  @Override
  public Set<String> services() {
    ensureOpen();
    Set<String> all = new java.util.HashSet<>(cache.keySet());
    all.addAll(corrupt.keySet());
    return Set.copyOf(all);
  }

  /** Releases the directory's lock; later calls throw {@link StorageException}. Idempotent. */
  @Override
  public void close() {
    openLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try {
        lock.release();
      } catch (IOException e) {
        LOG.warn("cannot release lock of state directory {}", dir, e);
      }
      closeQuietly(lockChannel);
    } finally {
      openLock.writeLock().unlock();
    }
  }

  private static void closeQuietly(@Nullable FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.debug("ignored failure closing {}", ch, e);
      }
    }
  }

  @Override
  public String toString() {
    return "FileStateStore{" + dir + "}";
  }
}
