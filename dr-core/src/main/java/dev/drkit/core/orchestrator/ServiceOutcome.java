package dev.drkit.core.orchestrator;

/** How one service ended in a recovery run. */
public enum ServiceOutcome {
  /** It reached the target state in this run. */
  RECOVERED,
  /** It was already in the target state; nothing was done. */
  ALREADY_RECOVERED,
  /** Its recovery failed (refused by a gate, a phase failed, an error). */
  FAILED,
  /** It was not attempted because a dependency failed or was blocked. */
  BLOCKED
}
