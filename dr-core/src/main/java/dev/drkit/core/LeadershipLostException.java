package dev.drkit.core;

/** This drkit instance is not (or no longer) the leader and must not act. Nothing was done. */
public class LeadershipLostException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message what was refused and why */
  public LeadershipLostException(String message) {
    super(message);
  }
}
