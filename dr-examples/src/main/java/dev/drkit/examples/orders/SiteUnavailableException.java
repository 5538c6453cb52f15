package dev.drkit.examples.orders;

import dev.drkit.core.DrException;

/**
 * An {@link OrderSite} cannot do what was asked in its current state: it is down, or its role
 * forbids it (a replica asked to take a client write, a primary asked to apply a replicated one).
 * Nothing was changed.
 */
public class SiteUnavailableException extends DrException {
  private static final long serialVersionUID = 1L;

  /** @param message which site, what was asked and why it was refused */
  public SiteUnavailableException(String message) {
    super(message);
  }

  /**
   * @param message which site, what was asked and why it was refused
   * @param cause the underlying failure
   */
  public SiteUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
