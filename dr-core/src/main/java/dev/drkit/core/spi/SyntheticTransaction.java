package dev.drkit.core.spi;

import org.jspecify.annotations.Nullable;

/**
 * A synthetic transaction the host supplies for service verification: write a probe record, read
 * it back, clean it up. dr-validation's {@code synthetic} check drives it with a fresh probe id and
 * a random payload, passes when the payload reads back unchanged, and always calls
 * {@link #cleanUp} (also after a failed write or read).
 *
 * <p>Contract: thread-safe (concurrent probes use distinct ids); honours interruption; every method
 * is idempotent for the same probe id; the probe record must not be visible to real users (use a
 * reserved key space or table).
 */
public interface SyntheticTransaction {
  /**
   * Writes the probe record.
   *
   * @param context what is probed (service, site, epoch, timeout)
   * @param probeId a unique id of this probe, usable as a key
   * @param payload the bytes to store
   * @throws Exception any failure, counted as unhealthy
   */
  void write(CheckContext context, String probeId, byte[] payload) throws Exception;

  /**
   * Reads the probe record back.
   *
   * @param context what is probed
   * @param probeId the id given to {@link #write}
   * @return the stored bytes, or {@code null} when there is no such record
   * @throws Exception any failure, counted as unhealthy
   */
  byte @Nullable [] read(CheckContext context, String probeId) throws Exception;

  /**
   * Removes the probe record; a no-op when it does not exist.
   *
   * @param context what is probed
   * @param probeId the id given to {@link #write}
   * @throws Exception any failure, counted as unhealthy
   */
  void cleanUp(CheckContext context, String probeId) throws Exception;
}
