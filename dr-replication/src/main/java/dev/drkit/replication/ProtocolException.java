package dev.drkit.replication;

/**
 * A replication peer spoke a protocol this side does not understand: an unknown protocol version,
 * a bad magic number, a malformed frame, a frame over the size limit. The connection is closed;
 * nothing was applied.
 */
public class ProtocolException extends ReplicationException {
  private static final long serialVersionUID = 1L;
  /** The wire error code of a malformed or unexpected message ({@code docs/replication-protocol.md} §4). */
  static final short MALFORMED = 6;
  private final short code;

  /** @param message what was wrong, naming the peer and the values seen */
  public ProtocolException(String message) {
    this(message, MALFORMED);
  }

  /**
   * @param message what was wrong, naming the peer, the frame and the field
   * @param code the wire error code this condition is reported with (see
   *     {@code docs/replication-protocol.md} §4, "error codes")
   */
  public ProtocolException(String message, short code) {
    super(message);
    this.code = code;
  }

  /** @return the wire error code this condition is (or would be) reported to the peer with */
  public short code() {
    return code;
  }
}
