package dev.drkit.replication.spi;

/**
 * The receiving end of replication on a backup, implemented by drkit
 * ({@code dev.drkit.replication.ReplicaApplier}) and called by a {@link ReplicationTransport}'s
 * server side for each session, one call at a time per session.
 */
public interface ReplicationEndpoint {
  /**
   * A primary opens a session.
   *
   * @param service the service it ships
   * @param epoch its fencing epoch
   * @return where shipping resumes
   * @throws dev.drkit.core.StaleEpochException if the backup has seen a newer epoch
   * @throws IllegalArgumentException if the service is not this endpoint's
   */
  ReplicationHandshake handshake(String service, long epoch);

  /**
   * Stores a batch (not yet necessarily durable). Frames below the backup's next offset are
   * duplicates and skipped.
   *
   * @param batch the consecutive records the primary shipped
   * @throws dev.drkit.core.StaleEpochException if the batch or a frame is from an older epoch
   * @throws dev.drkit.core.IntegrityException if a frame fails its CRC (nothing of the batch is stored)
   * @throws dev.drkit.core.DrException if the batch leaves a gap, or storage failed
   */
  void receive(ReplicationBatch batch);

  /**
   * Makes what was received durable, applies it to the host's sink and reports positions.
   *
   * @return the acknowledgement to send back
   * @throws dev.drkit.core.StorageException if forcing failed
   */
  ReplicationAck acknowledge();

  /**
   * The primary is alive and has records up to {@code primaryNextOffset - 1}.
   *
   * @param epoch the primary's epoch
   * @param primaryNextOffset the primary's next offset
   * @param primaryTimeMillis the primary's clock
   * @throws dev.drkit.core.StaleEpochException if the backup has seen a newer epoch than
   *     {@code epoch} (the sender is a primary that was paused or cut off while a newer one took
   *     over); the transport reports it to the sender, which is then fenced
   */
  void heartbeat(long epoch, long primaryNextOffset, long primaryTimeMillis);

  /**
   * The backup holds records the primary does not: find where the two histories diverge, set the
   * backup's records from there aside (quarantine), rewind the host's state there and report where
   * shipping resumes. The default refuses (the backup must then be resynced by other means).
   *
   * @param service the protected service this replica belongs to
   * @param primary the primary's epoch, log end and epoch history
   * @return where shipping resumes, as after a handshake
   * @throws dev.drkit.core.StaleEpochException if the backup has seen a newer epoch
   * @throws dev.drkit.core.DrException if the backup cannot rewind (for instance its host state
   *     cannot go back: it needs a snapshot)
   * @throws UnsupportedOperationException if this endpoint cannot rewind at all
   */
  default ReplicationHandshake rewind(String service, PrimaryHistory primary) {
    throw new UnsupportedOperationException("this replica of " + service + " cannot rewind over the wire");
  }
}
