package dev.drkit.core;

/**
 * Stored data failed an integrity check: a checksum, MAC or hash did not match, a structure was
 * truncated or malformed. The message names the damaged object. Nothing was written on its account.
 */
public class IntegrityException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message which object is damaged and how */
  public IntegrityException(String message) {
    super(message);
  }

  /**
   * @param message which object is damaged and how
   * @param cause the underlying failure
   */
  public IntegrityException(String message, Throwable cause) {
    super(message, cause);
  }
}
