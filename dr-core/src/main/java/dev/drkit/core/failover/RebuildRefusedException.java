package dev.drkit.core.failover;

import dev.drkit.core.DrException;

/**
 * A rebuild was refused before anything changed: no snapshot matches the request, or the target
 * lies before the snapshot it would start from. The message names the snapshot to use instead.
 */
public class RebuildRefusedException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what was refused and what would work */
  public RebuildRefusedException(String message) {
    super(message);
  }
}
