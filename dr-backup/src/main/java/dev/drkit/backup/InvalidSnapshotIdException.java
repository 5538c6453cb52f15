package dev.drkit.backup;

/**
 * What was given as a snapshot is neither {@code latest} nor a snapshot id or id prefix: not 4 to
 * 64 hexadecimal digits (in either case). Distinct from {@link NoSuchSnapshotException}, so a typo
 * such as a stray character is not reported as a snapshot that does not exist. The message shows
 * what was typed with control and non-ASCII characters escaped. Nothing was read or changed.
 */
public final class InvalidSnapshotIdException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String typed;

  /**
   * @param typed what was given, as given
   * @param message why it is not an id, naming it (escaped)
   */
  public InvalidSnapshotIdException(String typed, String message) {
    super(message);
    this.typed = typed;
  }

  /** @return what was given, as given (not escaped) */
  public String typed() {
    return typed;
  }
}
