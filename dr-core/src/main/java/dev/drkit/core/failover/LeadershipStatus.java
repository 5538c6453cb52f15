package dev.drkit.core.failover;

/**
 * Where a {@link FailoverEngine} stands with its {@link dev.drkit.core.spi.Coordinator} (see
 * {@link FailoverEngine#leadership()}).
 */
public enum LeadershipStatus {
  /**
   * {@link FailoverEngine#start()} was not called: the engine acts only while the host itself holds
   * the coordinator's lease (it called {@code awaitLeadership}).
   */
  NOT_STARTED,
  /** Started, and waiting for the coordinator's lease (another instance leads, or none can yet). */
  WAITING,
  /** Started, and holding the coordinator's lease: commands and verdicts are acted on. */
  LEADING,
  /** Closed: the engine no longer follows leadership. */
  CLOSED
}
