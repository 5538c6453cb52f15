package dev.drkit.backup.schedule;

/** What the {@link BackupScheduler} does when a strategy falls due while its previous run still goes. */
public enum OverlapPolicy {
  /** Skip the new run (with an event); the strategy's next scheduled time is unchanged. */
  SKIP,
  /**
   * Remember that a run is owed and start it as soon as the current one ends; several runs falling
   * due meanwhile coalesce into that one.
   */
  COALESCE
}
