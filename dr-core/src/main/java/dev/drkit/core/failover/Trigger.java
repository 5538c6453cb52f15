package dev.drkit.core.failover;

/**
 * What can move a service's failover state machine: detection verdicts, operator commands and the
 * outcome of the phase in progress. Which trigger is legal in which state, and where it leads, is
 * {@link TransitionTable}'s business.
 */
public enum Trigger {
  /** Detection says the active primary is failing but not yet down. */
  SUSPECTED,
  /** Detection says the primary is healthy again. */
  RECOVERED,
  /** A failover: automatic (detection DOWN, gates passed), manual, or forced by an operator. */
  FAILOVER,
  /** A planned switch of the active site without data loss. */
  SWITCHOVER,
  /** Return to the primary once it is repaired. */
  FAILBACK,
  /** The phase in progress completed every step. */
  PHASE_SUCCEEDED,
  /** The phase in progress failed past its retries or its time budget. */
  PHASE_FAILED,
  /** An operator stops what is in progress. */
  ABORT,
  /** An operator re-runs a failed failover phase from the first step not yet done. */
  RETRY_FAILOVER,
  /** An operator re-runs a failed validation. */
  RETRY_VALIDATION,
  /** An operator re-runs a failed failback from the first step not yet done. */
  RETRY_FAILBACK,
  /** An operator rebuilds the service from a snapshot and the replication log. */
  REBUILD,
  /** An operator re-runs a failed rebuild from the first step not yet done. */
  RETRY_REBUILD,
  /** An operator declares that the primary serves (after repairing by hand). */
  RESOLVE_PRIMARY,
  /** An operator declares that the backup serves (after repairing by hand). */
  RESOLVE_BACKUP
}
