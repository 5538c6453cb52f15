package dev.drkit.core.coord;

import dev.drkit.core.spi.Lease;

/**
 * A lease that is valid until its coordinator revokes it; once revoked it never becomes valid
 * again. Shared by the single-process coordinators.
 */
final class RevocableLease implements Lease {
  private final long token;
  private volatile boolean valid = true;

  RevocableLease(long token) {
    this.token = token;
  }

  /** Ends the lease for good. */
  void revoke() {
    valid = false;
  }

  @Override
  public long token() {
    return token;
  }

  @Override
  public boolean isValid() {
    return valid;
  }

  @Override
  public String toString() {
    return "Lease{token=" + token + ", valid=" + valid + "}";
  }
}
