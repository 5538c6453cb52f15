package dev.drkit.spi;

import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Applies replicated records to the host's state on a backup. drkit calls it from one thread, in
 * offset order, only with records already durable in the backup's log, never with a record from an
 * epoch older than one it has passed before, and never twice for an offset below
 * {@link #appliedOffset()}: if the host stores {@code appliedOffset} atomically with its state,
 * every record is applied exactly once, across crashes too.
 */
public interface ReplicationSink {
  /**
   * Applies one record. Throwing stops applying at this offset; drkit keeps the record and retries
   * later, and publishes a {@code replication.apply.failed} event.
   *
   * @param epoch the epoch of the writer
   * @param offset the record's offset
   * @param payload the record's bytes (read-only; valid only during the call)
   * @throws Exception when the record could not be applied
   */
  void apply(long epoch, long offset, ByteBuffer payload) throws Exception;

  /** @return the offset of the last record applied to the host state, {@code -1} for none */
  long appliedOffset();

  /**
   * Discards the host state from {@code offset} on (the old primary's divergent writes during
   * failback). The default cannot, and resync then installs a snapshot instead.
   *
   * @param offset the first offset to discard
   * @return whether the state now holds exactly the records below {@code offset}
   * @throws Exception on failure
   */
  default boolean rewindTo(long offset) throws Exception {
    return false;
  }

  /**
   * Replaces the host state with a snapshot taken at {@code nextOffset} (it holds every record
   * below it). The default refuses.
   *
   * @param nextOffset the first offset not in the snapshot
   * @param epoch the epoch the snapshot was taken at
   * @param data the snapshot bytes
   * @throws Exception on failure
   */
  default void installSnapshot(long nextOffset, long epoch, InputStream data) throws Exception {
    throw new UnsupportedOperationException("this sink cannot install snapshots");
  }
}
