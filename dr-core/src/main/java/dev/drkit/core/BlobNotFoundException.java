package dev.drkit.core;

/** A blob store has no blob under the requested key. */
public class BlobNotFoundException extends DrException {
  private static final long serialVersionUID = 1L;
  private final String key;

  /** @param key the missing key */
  public BlobNotFoundException(String key) {
    super("no such blob: " + key);
    this.key = key;
  }

  /** @return the missing key */
  public String key() {
    return key;
  }
}
