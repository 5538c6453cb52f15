package dev.drkit.backup.schedule;

/** What the {@link BackupScheduler} does about runs that fell due while it was not running. */
public enum MissedRunPolicy {
  /** Run once as soon as possible, however many runs were missed (a catch-up run). */
  RUN_ONCE,
  /** Skip them (with an event) and wait for the next scheduled time. */
  SKIP
}
