package dev.drkit.backup;

import dev.drkit.core.DrException;

/** A restore would have written outside its target directory: an entry name with a {@code ..} or empty component, an absolute name, or a path through a symbolic link. Nothing was written there. */
public class UnsafePathException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what happened, naming the object */
  public UnsafePathException(String message) {
    super(message);
  }
}
