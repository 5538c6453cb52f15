package dev.drkit.backup.schedule;

/** Why a backup run started. */
public enum RunTrigger {
  /** Its cron schedule fell due. */
  SCHEDULED,
  /** It catches up on runs missed while the scheduler was not running ({@link MissedRunPolicy#RUN_ONCE}). */
  CATCH_UP,
  /** It was owed after falling due during the previous run ({@link OverlapPolicy#COALESCE}). */
  COALESCED,
  /** A caller asked for it with {@link BackupScheduler#runNow}. */
  MANUAL
}
