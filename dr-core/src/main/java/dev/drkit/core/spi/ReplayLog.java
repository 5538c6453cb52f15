package dev.drkit.core.spi;

import java.util.List;

/**
 * Read access to a service's replication log for a rebuild (dr-replication's log implements it).
 * The engine reads it in order from a snapshot's {@link LogPosition#offset()}; it checks that the
 * offsets it gets are dense, and an implementation throws {@link dev.drkit.core.IntegrityException}
 * naming the offset when a record fails its checksum.
 */
public interface ReplayLog {
  /**
   * @param service the name of the service whose log is read
   * @return whether the log survives at all (false: the rebuild stops at the snapshot)
   * @throws Exception when it cannot be determined
   */
  boolean available(String service) throws Exception;

  /**
   * @param service the name of the service whose log is read
   * @return the oldest offset the log still holds
   * @throws Exception when the log cannot be read
   */
  long firstOffset(String service) throws Exception;

  /**
   * @param service the name of the service whose log is read
   * @return the offset after the newest record the log holds
   * @throws Exception when the log cannot be read
   */
  long endOffset(String service) throws Exception;

  /**
   * @param service the name of the service whose log is read
   * @param fromOffset the first offset wanted
   * @param maxRecords the most records to return ({@code >= 1})
   * @return the records from {@code fromOffset} on, in offset order; empty at the end of the log
   * @throws dev.drkit.core.IntegrityException naming the offset when a record is damaged
   * @throws Exception when the log cannot be read
   */
  List<ReplayRecord> read(String service, long fromOffset, int maxRecords) throws Exception;
}
