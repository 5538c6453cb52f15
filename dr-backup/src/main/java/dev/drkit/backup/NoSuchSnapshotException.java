package dev.drkit.backup;

/**
 * No snapshot matches what was asked: no snapshot (among those a {@link SnapshotFilter} selects)
 * has an id that starts with the hex digits given, compared without regard to case, or, for
 * {@code latest}, there is no snapshot at all. The message names what was typed (escaped) and the
 * filter. Nothing was changed.
 */
public final class NoSuchSnapshotException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String typed;

  /**
   * @param typed what was given, as given
   * @param message what was looked for, naming it (escaped)
   */
  public NoSuchSnapshotException(String typed, String message) {
    super(message);
    this.typed = typed;
  }

  /** @return what was given, as given (not escaped) */
  public String typed() {
    return typed;
  }
}
