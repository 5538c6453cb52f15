package dev.drkit.core.spi;

/**
 * Leadership held by one drkit instance, granted by a {@link Coordinator}. Every action the
 * instance takes checks its lease first; a lease once invalid never becomes valid again.
 */
public interface Lease {
  /**
   * @return the fencing token of this leadership term: strictly greater than that of every
   *     earlier term granted by the same coordinator
   */
  long token();

  /** @return whether the holder may still act */
  boolean isValid();

  /**
   * @throws dev.drkit.core.LeadershipLostException when the lease is no longer valid
   */
  default void ensureValid() {
    if (!isValid()) {
      throw new dev.drkit.core.LeadershipLostException("leadership term " + token() + " has ended");
    }
  }
}
