package dev.drkit.core.failover;

/** Thrown by test doubles to simulate the orchestrator's process dying at that point. */
final class SimulatedCrash extends Error {
  private static final long serialVersionUID = 1L;

  SimulatedCrash(String where) {
    super("simulated crash " + where, null, false, false);
  }
}
