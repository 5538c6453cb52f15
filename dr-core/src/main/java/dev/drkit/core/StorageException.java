package dev.drkit.core;

import org.jspecify.annotations.Nullable;

/**
 * The storage underneath failed (an I/O error, a full disk, an unreachable server). The operation
 * was not applied, or was applied atomically before the failure; existing data is intact.
 */
public class StorageException extends DrException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, naming the object
   * @param cause the underlying failure
   */
  public StorageException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** @param message what failed, naming the object */
  public StorageException(String message) {
    super(message);
  }
}
