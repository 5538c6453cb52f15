package dev.drkit.backup;

import dev.drkit.core.DrException;

/**
 * An operation's lock lease lapsed before it could commit (the process was paused, suspended or
 * starved for longer than the lease, or lost its lock file), so it refused to write: another
 * process may have taken the repository in the meantime (a prune may have deleted data this
 * operation still referenced). Nothing it had not committed before is visible; data it uploaded is
 * garbage that a later prune removes. Running the operation again is safe.
 */
public class LeaseExpiredException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what lapsed, when, and what was not written */
  public LeaseExpiredException(String message) {
    super(message);
  }

  /**
   * @param message what lapsed, when, and what was not written
   * @param cause the failure the lapse explains
   */
  public LeaseExpiredException(String message, Throwable cause) {
    super(message, cause);
  }
}
