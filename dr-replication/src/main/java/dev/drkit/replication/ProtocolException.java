package dev.drkit.replication;

/**
 * A replication peer spoke a protocol this side does not understand: an unknown protocol version,
 * a bad magic number, a malformed frame. The connection is closed; nothing was applied.
 */
public class ProtocolException extends ReplicationException {
  private static final long serialVersionUID = 1L;

  /** @param message what was wrong, naming the peer and the values seen */
  public ProtocolException(String message) {
    super(message);
  }
}
