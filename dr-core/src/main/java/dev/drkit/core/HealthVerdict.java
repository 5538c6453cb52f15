package dev.drkit.core;

import dev.drkit.core.config.DetectionPolicy;

/** What a {@link DetectionPolicy} concludes about a site from its recent probes. */
public enum HealthVerdict {
  /** Healthy. */
  HEALTHY,
  /** Failing, but not long or often enough to be declared down (flap damping). */
  SUSPECT,
  /** Declared down: a failover may start (subject to the RPO gate). */
  DOWN
}
