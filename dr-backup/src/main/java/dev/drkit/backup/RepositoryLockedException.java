package dev.drkit.backup;

import dev.drkit.core.DrException;

/** The repository is locked by another process in a way that conflicts with the requested operation (prune and forget need it alone; backups may share it). Locks are leases: a crashed holder's lock expires by itself. */
public class RepositoryLockedException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what happened, naming the object */
  public RepositoryLockedException(String message) {
    super(message);
  }
}
