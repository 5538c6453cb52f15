package dev.drkit.core.failover;

import dev.drkit.core.DrException;

/**
 * A failover (or switchover) was refused by a gate: the estimated data loss exceeds the RPO, the
 * last failover was too recent (flap damping), or replication did not drain. Nothing was changed;
 * an operator may force the failover.
 */
public class FailoverRefusedException extends DrException {
  private static final long serialVersionUID = 1L;
  private final String gate;

  /**
   * @param gate which gate refused: {@code rpo}, {@code damping} or {@code automatic-disabled}
   * @param message the service, the measured value and the limit
   */
  public FailoverRefusedException(String gate, String message) {
    super(message);
    this.gate = gate;
  }

  /** @return which gate refused */
  public String gate() {
    return gate;
  }
}
