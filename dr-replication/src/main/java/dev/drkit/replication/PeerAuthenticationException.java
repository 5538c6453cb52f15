package dev.drkit.replication;

/**
 * A replication peer could not be authenticated, or one of its frames failed authentication: no
 * credentials where the other side requires them, an unknown key id, a wrong key, a frame whose MAC
 * does not verify (tampered, truncated, spliced from another connection) or whose sequence number
 * is not the next one (replayed, reordered). The connection is closed and nothing the peer sent was
 * applied; in particular no epoch it announced raised the replica's fence.
 */
public class PeerAuthenticationException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, naming the peer, the key id or the frame
   * @param code the wire error code ({@code 7} unauthenticated, {@code 8} bad MAC, {@code 10}
   *     sequence)
   */
  public PeerAuthenticationException(String message, short code) {
    super(message, code);
  }
}
