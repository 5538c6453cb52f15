package dev.drkit.core;

/**
 * A compare-and-set on a versioned record failed because another writer changed it first. The
 * record is unchanged by the failed call; the caller reloads and decides again.
 */
public class VersionConflictException extends DrException {
  private static final long serialVersionUID = 1L;
  private final String key;
  private final long expectedVersion;
  private final long actualVersion;

  /**
   * @param key the record
   * @param expectedVersion the version the caller expected
   * @param actualVersion the version found ({@code 0} when absent)
   */
  public VersionConflictException(String key, long expectedVersion, long actualVersion) {
    super("version conflict on " + key + ": expected version " + expectedVersion
        + " but found " + actualVersion);
    this.key = key;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }

  /** @return the record's key */
  public String key() {
    return key;
  }

  /** @return the version the caller expected */
  public long expectedVersion() {
    return expectedVersion;
  }

  /** @return the version found, {@code 0} when absent */
  public long actualVersion() {
    return actualVersion;
  }
}
