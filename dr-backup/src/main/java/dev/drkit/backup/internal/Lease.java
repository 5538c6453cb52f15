package dev.drkit.backup.internal;

/**
 * What an operation calls just before (and, for a write it cannot take back, just after) each
 * commit point: fails with {@link dev.drkit.backup.LeaseExpiredException} when the operation's lock
 * lease has lapsed, so nothing is committed on a lease another process may already have broken.
 */
@FunctionalInterface
public interface Lease {
  /** A lease that never lapses, for code that runs without a lock (tests of one class). */
  Lease NONE = consequence -> {};

  /**
   * @param consequence what is not done when the lease has lapsed, e.g. {@code "snapshot not
   *     written; run the backup again"} (ends the exception's message)
   * @throws dev.drkit.backup.LeaseExpiredException when the lease has lapsed or the lock was lost
   */
  void check(String consequence);
}
