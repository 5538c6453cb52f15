package dev.drkit.core;

/**
 * The states of one protected service's failover state machine (see docs/failover.md and the
 * transition table in the failover engine).
 */
public enum FailoverState {
  /** The primary serves; replication and backups run. */
  PRIMARY_ACTIVE,
  /** Health checks are failing; the detection window is not exhausted yet (flap damping). */
  PRIMARY_DEGRADED,
  /** Fencing the old active site at a new epoch, checking the RPO gate, promoting, redirecting. */
  FAILING_OVER,
  /** Running the service's validation steps on the newly active site. */
  VALIDATING,
  /** The backup serves; the primary is resynced from it when it returns. */
  BACKUP_ACTIVE,
  /** Resyncing and validating the primary, switching traffic back, fencing the backup. */
  FAILING_BACK,
  /**
   * Rebuilding a site from a snapshot and the replication log (both copies lost, or the data
   * damaged): fence both sites at a new epoch, load the snapshot, replay the log to the end or to a
   * chosen offset or time, validate, promote and redirect. Past its fence no site serves until it
   * completes.
   */
  REBUILDING,
  /**
   * A phase failed past its retries, ran past its budget before its point of no return, or was
   * aborted; the state's {@code servingSite} attribute says which site serves. An operator
   * resolves or retries.
   */
  FAILED
}
