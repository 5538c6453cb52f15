package dev.drkit.core;

/** A failover state machine was asked to make a transition its table does not allow. */
public class IllegalTransitionException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message the service, current state and refused trigger */
  public IllegalTransitionException(String message) {
    super(message);
  }
}
