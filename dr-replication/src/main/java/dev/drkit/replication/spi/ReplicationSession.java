package dev.drkit.replication.spi;

import org.jspecify.annotations.Nullable;

/**
 * A primary's open connection to one backup, returned by
 * {@link ReplicationTransport#connect(String, long, Listener)} after the handshake. Batches are
 * delivered in order or the session closes; acknowledgements arrive on the listener.
 */
public interface ReplicationSession extends AutoCloseable {
  /** @return what the backup said when the session opened */
  ReplicationHandshake handshake();

  /**
   * Sends a batch. Blocks while too many bytes are unacknowledged (backpressure), so memory stays
   * bounded.
   *
   * @param batch the consecutive records to ship
   * @throws InterruptedException if interrupted while waiting
   * @throws dev.drkit.core.DrException if the session is closed
   */
  void send(ReplicationBatch batch) throws InterruptedException;

  /**
   * Tells the backup the primary is alive and how far its log goes.
   *
   * @param primaryNextOffset the primary's next offset
   * @param primaryTimeMillis the primary's clock
   */
  void heartbeat(long primaryNextOffset, long primaryTimeMillis);

  /**
   * Asks a backup that holds records the primary does not to cut them off (into its quarantine)
   * and rewind to where the histories diverge; call before the first {@link #send}. The default
   * refuses.
   *
   * @param primary the primary's epoch, log end and epoch history
   * @return the backup's new position, as after a handshake
   * @throws dev.drkit.core.DrException if the backup refused or the session failed
   * @throws UnsupportedOperationException if the transport cannot carry the request
   */
  default ReplicationHandshake rewind(PrimaryHistory primary) {
    throw new UnsupportedOperationException("this replication transport cannot ask a backup to rewind");
  }

  /** @return whether the session can still send */
  boolean isOpen();

  /** Closes the session. Idempotent. */
  @Override
  void close();

  /** Receives what comes back on a session. Called from the transport's threads. */
  interface Listener {
    /** @param ack an acknowledgement */
    void onAck(ReplicationAck ack);

    /**
     * The session closed.
     *
     * @param cause why, or {@code null} for an orderly close; a
     *     {@link dev.drkit.core.StaleEpochException} means the primary is fenced
     */
    void onClosed(@Nullable Throwable cause);
  }
}
