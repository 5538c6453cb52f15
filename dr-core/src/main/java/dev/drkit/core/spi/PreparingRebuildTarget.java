package dev.drkit.core.spi;

import java.util.List;

/**
 * A {@link RebuildTarget} whose apply splits into work that needs no store (decoding the records'
 * payloads into the host's objects) and the writes themselves. The engine's replay reads the log
 * ahead on a second thread; for a target of this kind it also runs {@link #prepare} there, on the
 * batch it will apply next, while the rebuild thread applies the current batch with
 * {@link #applyPrepared}. Decoding and writing then overlap.
 *
 * <p>{@link #prepare} must not touch the site's store and must not depend on a batch applied
 * before (it runs while an earlier batch is still being applied); it is called once per batch, in
 * log order, from one thread. {@link #applyPrepared} gets the result on the rebuild thread, in the
 * same order, and follows every rule of {@link RebuildTarget#apply}. A batch whose preparation
 * throws is not applied: the exception ends the replay as an exception of {@code apply} would,
 * after every earlier batch was applied.
 *
 * @param <B> the host's prepared form of a batch
 */
public interface PreparingRebuildTarget<B> extends RebuildTarget {
  /**
   * Turns a batch into the host's form, off the rebuild thread.
   *
   * @param service the name of the service being rebuilt
   * @param records consecutive records, in offset order, that {@link #applyPrepared} will get next
   * @return the prepared batch
   * @throws Exception when a record cannot be prepared (not the host's format): the replay stops
   */
  B prepare(String service, List<ReplayRecord> records) throws Exception;

  /**
   * Applies a batch that {@link #prepare} turned into {@code prepared}, as {@link RebuildTarget#apply}
   * does: idempotent, in offset order, honouring interruption.
   *
   * @param service the name of the service being rebuilt
   * @param site the site being rebuilt
   * @param records the batch's records, as given to {@link #prepare}
   * @param prepared what {@link #prepare} returned for them
   * @param epoch the rebuild's epoch
   * @throws Exception when the batch could not be applied
   */
  void applyPrepared(String service, Site site, List<ReplayRecord> records, B prepared, long epoch) throws Exception;

  /** Prepares and applies on the calling thread. */
  @Override
  default void apply(String service, Site site, List<ReplayRecord> records, long epoch) throws Exception {
    applyPrepared(service, site, records, prepare(service, records), epoch);
  }
}
