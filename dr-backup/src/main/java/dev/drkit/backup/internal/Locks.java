package dev.drkit.backup.internal;

import dev.drkit.backup.LeaseExpiredException;
import dev.drkit.backup.RepositoryLockedException;
import dev.drkit.core.DrException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repository locks as leases stored in the blob store under {@code locks/<random id>}: plaintext
 * JSON with owner, host, pid, whether exclusive, creation and expiry. A holder refreshes its lease;
 * an expired lease is ignored (and removed) by everyone, so a crashed process never blocks the
 * repository for longer than one lease. Shared locks coexist; an exclusive lock excludes all others.
 * Acquisition writes the lock first, then lists: two racing exclusive acquirers may both back off,
 * but never both proceed.
 *
 * <p>Leases and clocks: every party allows a safety margin of {@link #margin lease/10}. Another
 * process's lock counts as expired only when {@code now >= expires + margin}; a holder considers
 * its own lease valid only while {@code now + margin < expires}. A holder never extends a lease
 * that has lapsed (a refresh that starts or returns too late marks the lock lost), and its
 * {@link Held#check} fails once the lease lapsed, the lock was lost or its file was removed, so an
 * operation paused for longer than its lease (SIGSTOP, a VM pause, a laptop asleep) never commits
 * after it wakes up. Clocks of the hosts sharing a repository must agree within the margin.
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

  /**
   * @param lease a lease duration
   * @return the safety margin both sides of a lease allow for clock skew and for the time between a
   *     check and the write it guards: a tenth of the lease
   */
  public static Duration margin(Duration lease) {
    return lease.dividedBy(10);
  }

  /** A held lock: its lease is refreshed by {@link #refresh} and checked by {@link #check}. */
  public static final class Held implements AutoCloseable, Lease {
    private final BlobStore store;
    private final String key;
    private final LockFile file;
    private final Clock clock;
    private final Duration lease;
    private final Duration margin;
    private volatile Instant expires;
    private volatile @Nullable String lost;
    private volatile boolean released;

    private Held(BlobStore store, String key, LockFile file, Clock clock, Duration lease, Instant expires) {
      this.store = store;
      this.key = key;
      this.file = file;
      this.clock = clock;
      this.lease = lease;
      this.margin = margin(lease);
      this.expires = expires;
    }

    /** @return the lock's blob key */
    public String key() {
      return key;
    }

    /** @return when the lease lapses unless refreshed (as last written successfully) */
    public Instant expires() {
      return expires;
    }

    /**
     * Extends the lease from now, unless it has already lapsed (then the lock is lost for good: the
     * lease is not revived, because another process may have taken the repository meanwhile).
     *
     * @throws LeaseExpiredException when the lease had lapsed or the lock file was removed
     * @throws dev.drkit.core.StorageException when the store fails (the lease is unchanged)
     */
    public void refresh() {
      if (released) {
        return;
      }
      check("lease not extended");
      Instant start = clock.instant();
      if (store.stat(key).isEmpty()) {
        lose("lock file " + key + " of " + file.owner() + " was removed by another process (it took the lease of "
            + expires + " for expired)");
      }
      Instant next = start.plus(lease);
      store.put(key, Json.write(new LockFile(file.owner(), file.host(), file.pid(), file.exclusive(), file.created(),
          next.toString())));
      Instant previous = expires;
      // the new lease counts only when it landed while the old one still held: a refresh paused
      // in flight may have written it after another process removed the lock as expired
      if (!clock.instant().plus(margin).isBefore(previous)) {
        lose("lock lease of " + file.owner() + " expired at " + previous + " while it was being refreshed");
      }
      expires = next;
    }

    private void lose(String why) {
      if (lost == null) {
        lost = why;
      }
      throw new LeaseExpiredException(why);
    }

    @Override
    public void check(String consequence) {
      String why = lost;
      if (why == null) {
        Instant exp = expires;
        Instant now = clock.instant();
        if (!now.plus(margin).isBefore(exp)) {
          why = "lock lease of " + file.owner() + " expired at " + exp + " (now " + now + ", safety margin "
              + margin + "; the process was paused or starved longer than its lease)";
          lost = why;
        }
      }
      if (why != null) {
        throw new LeaseExpiredException(why + "; " + consequence);
      }
    }

    /** @return whether the lease lapsed or the lock was lost (checked now) */
    public boolean lapsed() {
      try {
        check("");
        return false;
      } catch (LeaseExpiredException e) {
        return true;
      }
    }

    /** Removes the lock file (also of a lost lock: a late refresh may have written it again). */
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
   * @param store the repository's store, where the lock file is written
   * @param owner what takes it (for messages)
   * @param host the host name recorded in the lock, for messages naming the holder
   * @param exclusive whether exclusive
   * @param clock where the lock's creation and lease expiry times are read from
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
    Held held = new Held(store, key, mine, clock, lease, now.plus(lease));
    Duration margin = margin(lease);
    String conflict = null;
    for (BlobInfo info : store.list("locks/")) {
      if (info.key().equals(key)) {
        continue;
      }
      LockFile other;
      try {
        other = Json.read(store.get(info.key()), LockFile.class, "lock " + info.key());
      } catch (DrException e) {
        LOG.warn("ignoring unreadable lock {}: {}", info.key(), e.getMessage()); // one line, no stack trace
        continue;
      }
      Instant expires;
      try {
        expires = Instant.parse(other.expires());
      } catch (RuntimeException e) {
        expires = Instant.EPOCH;
      }
      if (!expires.plus(margin).isAfter(now)) {
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
    try {
      held.check(owner + " did not start"); // acquiring took longer than the lease
    } catch (LeaseExpiredException e) {
      held.close();
      throw e;
    }
    return held;
  }
}
