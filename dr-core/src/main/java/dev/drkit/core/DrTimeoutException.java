package dev.drkit.core;

import java.time.Duration;

/** An operation ran past its time budget and was abandoned. */
public class DrTimeoutException extends DrException {
  private static final long serialVersionUID = 1L;
  private final Duration budget;

  /**
   * @param message what timed out
   * @param budget the budget it exceeded
   */
  public DrTimeoutException(String message, Duration budget) {
    super(message + " (budget " + budget + ")");
    this.budget = budget;
  }

  /** @return the budget that was exceeded */
  public Duration budget() {
    return budget;
  }
}
