package dev.drkit.core;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception drkit throws on purpose. Unchecked, like Failsafe's and Resilience4j's:
 * callers catch the subtypes they can act on ({@link ConfigException}, {@link StaleEpochException},
 * {@link IntegrityException}, {@link WrongKeyException}, {@link DrTimeoutException}, ...).
 */
public class DrException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, with enough context to act on
   */
  public DrException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong, with enough context to act on
   * @param cause the underlying failure
   */
  public DrException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
