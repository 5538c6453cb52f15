package dev.drkit.core;

/** A passphrase or key does not open the repository or data it was offered to. */
public class WrongKeyException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what could not be opened */
  public WrongKeyException(String message) {
    super(message);
  }
}
