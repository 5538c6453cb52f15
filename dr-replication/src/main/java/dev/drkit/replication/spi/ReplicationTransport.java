package dev.drkit.replication.spi;

/**
 * Moves framed batches from a primary to a backup and acknowledgements back. drkit ships two:
 * in-process ({@code dev.drkit.replication.InProcessTransport}) and TCP
 * ({@code dev.drkit.replication.TcpTransport}). Implementations must deliver batches of a session
 * in order, never deliver a batch twice within a session, and close the session (rather than skip
 * anything) on any error; drkit reconnects and resumes from the backup's next offset, and the
 * backup skips duplicates, so redelivery across sessions is safe.
 */
public interface ReplicationTransport extends AutoCloseable {
  /**
   * Primary side: opens a session to the backup of {@code service} and performs the handshake.
   *
   * @param service the protected service whose log to ship
   * @param epoch the primary's fencing epoch
   * @param listener receives acknowledgements and the close
   * @return the open session
   * @throws dev.drkit.core.StaleEpochException if the backup has seen a newer epoch
   * @throws dev.drkit.core.DrException if the backup cannot be reached or refuses the session
   */
  ReplicationSession connect(String service, long epoch, ReplicationSession.Listener listener);

  /**
   * Backup side: accepts sessions for {@code service} and hands them to {@code endpoint}.
   *
   * @param service the protected service whose log to receive
   * @param endpoint the receiving end
   * @return a handle whose {@code close()} stops accepting and closes open sessions
   */
  AutoCloseable serve(String service, ReplicationEndpoint endpoint);

  /** Releases the transport's resources. The default does nothing. */
  @Override
  default void close() {}
}
