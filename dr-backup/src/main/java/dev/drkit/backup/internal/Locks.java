package dev.drkit.backup.internal;

import dev.drkit.backup.RepositoryLockedException;
import dev.drkit.core.DrException;
import dev.drkit.spi.BlobInfo;
import dev.drkit.spi.BlobStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repository locks as leases stored in the blob store under {@code locks/<random id>}: plaintext
 * JSON with owner, host, pid, whether exclusive, creation and expiry. A holder refreshes its lease;
 * an expired lease is ignored (and removed) by everyone, so a crashed process never blocks the
 * repository for longer than one lease. Shared locks coexist; an exclusive lock excludes all others.
 * Acquisition writes the lock first, then lists: two racing exclusive acquirers may both back off,
 * but never both proceed.
 */
public final class Locks {
  private static final Logger LOG = LoggerFactory.getLogger(Locks.class);

  private Locks() {}

  /**
   * The JSON form of a lock.
   *
   * @param owner the holder's description
   * @param host its host
   * @param pid its process id
   * @param exclusive whether exclusive
   * @param created when first taken (ISO-8601)
   * @param expires when it lapses unless refreshed (ISO-8601)
   */
  public record LockFile(String owner, String host, long pid, boolean exclusive, String created, String expires) {}

  /** A held lock. */
  public static final class Held implements AutoCloseable {
    private final BlobStore store;
    private final String key;
    private final LockFile file;
    private final Clock clock;
    private final Duration lease;
    private volatile boolean released;

    private Held(BlobStore store, String key, LockFile file, Clock clock, Duration lease) {
      this.store = store;
      this.key = key;
      this.file = file;
      this.clock = clock;
      this.lease = lease;
    }

    /** @return the lock's blob key */
    public String key() {
      return key;
    }

    /** Extends the lease from now. */
    public void refresh() {
      if (!released) {
        store.put(key, Json.write(new LockFile(file.owner(), file.host(), file.pid(), file.exclusive(), file.created(),
            clock.instant().plus(lease).toString())));
      }
    }

    /** Removes the lock. */
    @Override
    public void close() {
      if (!released) {
        released = true;
        try {
          store.delete(key);
        } catch (DrException e) {
          LOG.warn("could not remove lock {}; it expires by itself", key, e);
        }
      }
    }
  }

  /**
   * @param store the store
   * @param owner what takes it (for messages)
   * @param host the host
   * @param exclusive whether exclusive
   * @param clock the clock
   * @param lease the lease duration
   * @return the held lock
   * @throws RepositoryLockedException naming the conflicting holder
   */
  public static Held acquire(BlobStore store, String owner, String host, boolean exclusive, Clock clock,
      Duration lease) {
    Instant now = clock.instant();
    LockFile mine = new LockFile(owner, host, ProcessHandle.current().pid(), exclusive, now.toString(),
        now.plus(lease).toString());
    String key = "locks/" + HexFormat.of().formatHex(Crypto.random(16));
    store.put(key, Json.write(mine));
    Held held = new Held(store, key, mine, clock, lease);
    String conflict = null;
    for (BlobInfo info : store.list("locks/")) {
      if (info.key().equals(key)) {
        continue;
      }
      LockFile other;
      try {
        other = Json.read(store.get(info.key()), LockFile.class, "lock " + info.key());
      } catch (DrException e) {
        LOG.warn("ignoring unreadable lock {}", info.key(), e);
        continue;
      }
      Instant expires;
      try {
        expires = Instant.parse(other.expires());
      } catch (RuntimeException e) {
        expires = Instant.EPOCH;
      }
      if (!expires.isAfter(now)) {
        LOG.info("removing stale lock {} of {} on {} (expired {})", info.key(), other.owner(), other.host(), expires);
        store.delete(info.key());
        continue;
      }
      if ((exclusive || other.exclusive()) && conflict == null) {
        conflict = "repository is locked " + (other.exclusive() ? "exclusively " : "")
            + "by " + other.owner() + " on " + other.host() + " (pid " + other.pid() + ", lock " + info.key()
            + ", lease until " + expires + "); " + owner + " needs " + (exclusive ? "it alone" : "a shared lock");
      }
    }
    if (conflict != null) {
      held.close();
      throw new RepositoryLockedException(conflict);
    }
    return held;
  }
}
