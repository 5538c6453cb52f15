package dev.drkit.backup;

import dev.drkit.core.DrException;

/** A repository already exists where one was to be initialized; it was left untouched. */
public class RepositoryExistsException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what happened, naming the object */
  public RepositoryExistsException(String message) {
    super(message);
  }
}
