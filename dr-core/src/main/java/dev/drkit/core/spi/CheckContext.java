package dev.drkit.core.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link HealthCheck} is asked to probe.
 *
 * @param service the protected service
 * @param site the site to probe (for example the newly promoted one during validation)
 * @param epoch the failover epoch the probe runs under
 * @param timeout how long the probe may take; the caller cuts it off after that
 */
public record CheckContext(String service, Site site, long epoch, Duration timeout) {
  /** Validates. */
  public CheckContext {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(site, "site");
    Objects.requireNonNull(timeout, "timeout");
  }
}
