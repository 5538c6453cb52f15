package dev.drkit.backup;

import java.util.List;

/**
 * An id prefix matches several snapshots; the message names them, and more digits tell them
 * apart. Nothing was changed.
 */
public final class AmbiguousSnapshotIdException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String typed;
  private final String[] matches;

  /**
   * @param typed what was given, as given
   * @param matches the full ids of the snapshots it matches (at least two)
   * @param message what was looked for and what it matches
   */
  public AmbiguousSnapshotIdException(String typed, List<String> matches, String message) {
    super(message);
    this.typed = typed;
    this.matches = matches.toArray(new String[0]);
  }

  /** @return what was given, as given (not escaped) */
  public String typed() {
    return typed;
  }

  /** @return the full ids of the snapshots it matches, sorted */
  public List<String> matches() {
    return List.of(matches);
  }
}
