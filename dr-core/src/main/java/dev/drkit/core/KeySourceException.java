package dev.drkit.core;

/**
 * A key reference ({@code env:NAME}, {@code file:PATH}, {@code host:NAME}, a host scheme) could not
 * be resolved to a passphrase: the variable is unset or empty, the file is missing, unreadable or
 * empty, the scheme is unknown, or the host registered nothing under the name. The message names
 * the reference and the reason and never contains the secret.
 */
public class KeySourceException extends DrException {
  private static final long serialVersionUID = 1L;
  private final String reference;

  /**
   * @param reference the key reference that failed, for example {@code env:DRKIT_PASSPHRASE}
   * @param reason why, without the secret
   */
  public KeySourceException(String reference, String reason) {
    super("cannot resolve key source '" + reference + "': " + reason);
    this.reference = reference;
  }

  /**
   * @param reference the key reference that failed
   * @param reason why, without the secret
   * @param cause the underlying failure (an I/O error reading a file)
   */
  public KeySourceException(String reference, String reason, Throwable cause) {
    super("cannot resolve key source '" + reference + "': " + reason, cause);
    this.reference = reference;
  }

  /** @return the key reference that failed */
  public String reference() {
    return reference;
  }
}
