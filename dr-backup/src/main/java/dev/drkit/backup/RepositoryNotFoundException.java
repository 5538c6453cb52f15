package dev.drkit.backup;

import dev.drkit.core.DrException;

/** There is no drkit repository in the given store (its {@code config} blob is absent). */
public class RepositoryNotFoundException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what happened, naming the object */
  public RepositoryNotFoundException(String message) {
    super(message);
  }
}
