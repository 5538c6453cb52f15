package dev.drkit.core.orchestrator;

/** What a recovery run does to every service of a plan. */
public enum RecoveryAction {
  /** Fail over to the backup sites, subject to each service's RPO gate. */
  FAILOVER,
  /** Fail over to the backup sites past the RPO gates (recorded as forced). */
  FORCED_FAILOVER,
  /** Planned switch to the backup sites without data loss (fence, drain, promote). */
  SWITCHOVER,
  /** Return to the primary sites (resync, validate, switch back). */
  FAILBACK
}
