package dev.drkit.backup;

import dev.drkit.core.DrException;

/**
 * A backup or restore was refused before it started because the JVM's heap limit is below what it
 * needs ({@link Repository#backupMemory()}, {@link Repository#restoreMemory()}): it would otherwise
 * thrash in garbage collection or fail half-way with an {@link OutOfMemoryError}. Nothing was
 * written.
 */
public class InsufficientHeapException extends DrException {
  private static final long serialVersionUID = 1L;

  private final long required;
  private final long available;

  /**
   * @param message what was refused, naming both figures and the options to change
   * @param required bytes of heap the operation needs
   * @param available the heap limit it had
   */
  public InsufficientHeapException(String message, long required, long available) {
    super(message);
    this.required = required;
    this.available = available;
  }

  /** @return bytes of heap the operation needs */
  public long required() {
    return required;
  }

  /** @return the heap limit it had, in bytes */
  public long available() {
    return available;
  }
}
