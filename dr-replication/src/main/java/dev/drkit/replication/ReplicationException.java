package dev.drkit.replication;

import dev.drkit.core.DrException;
import org.jspecify.annotations.Nullable;

/**
 * Replication could not proceed: a peer is unreachable or refused, a batch left a gap, a session
 * closed. The message names the service and the peer. Nothing was applied on its account.
 */
public class ReplicationException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what failed */
  public ReplicationException(String message) {
    super(message);
  }

  /**
   * @param message what failed
   * @param cause the underlying failure
   */
  public ReplicationException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
