package dev.drkit.validation.integrity;

/**
 * The data of one side as a stream of keyed entries, scanned locally by a {@link MerkleIndex}. The
 * built-in sources are {@link DirectoryEntrySource} and {@link JdbcTableEntrySource}; a host
 * implements it for its own stores. Entries may be visited in any order; keys must be unique.
 */
@FunctionalInterface
public interface EntrySource {

  /**
   * Visits every entry once.
   *
   * @param visitor receives each entry
   * @throws Exception when the data cannot be read (or the visitor throws)
   */
  void forEach(EntryVisitor visitor) throws Exception;

  /**
   * @return an estimate of the number of entries, or {@code -1} when unknown (the default)
   * @throws Exception when the data cannot be reached
   */
  default long estimatedEntries() throws Exception {
    return -1;
  }

  /** Receives entries. */
  @FunctionalInterface
  interface EntryVisitor {
    /**
     * @param key the entry's unique key
     * @param valueSize the value's logical size in bytes (counts toward the data size)
     * @param fingerprint supplies bytes that change when the value changes (the value or its hash);
     *     called at most once, and only when the entry's digest is needed
     * @throws Exception to abort the scan
     */
    void visit(String key, long valueSize, Fingerprint fingerprint) throws Exception;
  }

  /** Lazily supplies a value's fingerprint. */
  @FunctionalInterface
  interface Fingerprint {
    /**
     * @return the fingerprint bytes
     * @throws Exception when the value cannot be read
     */
    byte[] get() throws Exception;
  }
}
