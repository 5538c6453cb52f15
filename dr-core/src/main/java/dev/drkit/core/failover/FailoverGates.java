package dev.drkit.core.failover;

import static dev.drkit.core.failover.FailoverEngine.ATTR_LAST_FAILOVER_AT;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The gates a failover passes before it starts. An automatic failover passes three: automatic
 * failover enabled, flap damping (the last failover started at least the minimum interval ago)
 * and the RPO gate (the estimated data loss of promoting the backup is within the RPO). An
 * operator's failover passes the RPO gate only, and a forced one none (it is recorded instead).
 * A gate that refuses publishes {@code failover.refused} with the gate's name.
 */
final class FailoverGates {
  private final EngineContext ctx;
  private final String service;

  FailoverGates(EngineContext ctx) {
    this.ctx = ctx;
    this.service = ctx.service;
  }

  /**
   * The gates of an automatic failover from {@code s}.
   *
   * @return the estimated data loss when every gate passes; empty when one refused (an event
   *     says which)
   */
  Optional<Duration> automatic(ServiceState s) {
    if (!ctx.automaticFailover) {
      ctx.refused(s, "automatic-disabled", "primary of '" + service + "' is DOWN but automatic failover is disabled;"
          + " an operator must fail over", Map.of());
      return Optional.empty();
    }
    Instant now = ctx.clock.instant();
    String last = s.attributes().get(ATTR_LAST_FAILOVER_AT);
    if (last != null) {
      Instant allowed = Instant.parse(last).plus(ctx.minTimeBetweenFailovers);
      if (now.isBefore(allowed)) {
        ctx.refused(s, "damping", "automatic failover of '" + service + "' refused: the last failover started at "
            + last + ", less than " + ctx.minTimeBetweenFailovers + " ago (next allowed at " + allowed + ")",
            Map.of("lastFailoverAt", last, "minTimeBetweenFailovers", ctx.minTimeBetweenFailovers));
        return Optional.empty();
      }
    }
    Duration estimate = estimate();
    if (rpo(s, estimate, "automatic failover", "an operator may force it", Map.of()) != null) {
      return Optional.empty();
    }
    return Optional.of(estimate);
  }

  /**
   * The gate of an operator's failover from {@code s}: the RPO gate, or, when forced, a WARN
   * {@code failover.forced} event recording who forced it, why and the estimate.
   *
   * @return the estimated data loss
   * @throws FailoverRefusedException when not forced and the estimate exceeds the RPO
   */
  Duration manual(ServiceState s, String by, String why, boolean force) {
    Duration estimate = estimate();
    if (force) {
      ctx.publish(Severity.WARN, "forced", "failover of '" + service + "' forced by " + by + ": " + why
          + " (estimated data loss " + estimate + ", RPO " + ctx.config.rpo() + ")", s,
          Map.of("by", by, "why", why, "estimatedLoss", estimate, "rpo", ctx.config.rpo()));
      return estimate;
    }
    String refusal = rpo(s, estimate, "failover", "force it to accept the loss", Map.of("by", by));
    if (refusal != null) {
      throw new FailoverRefusedException("rpo", refusal);
    }
    return estimate;
  }

  private Duration estimate() {
    return ctx.estimator.estimate(service, Site.BACKUP);
  }

  /**
   * The RPO gate: whether promoting the backup with {@code estimate} of data loss stays within the
   * service's RPO.
   *
   * @return null when it passes; otherwise the refusal's message, published as
   *     {@code failover.refused} with gate {@code rpo}
   */
  private @Nullable String rpo(ServiceState s, Duration estimate, String operation, String advice,
      Map<String, Object> attrs) {
    Duration rpo = ctx.config.rpo();
    if (estimate.compareTo(rpo) <= 0) {
      return null;
    }
    String message = operation + " of '" + service + "' refused: estimated data loss " + estimate
        + " exceeds the RPO " + rpo + "; " + advice;
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("estimatedLoss", estimate);
    a.put("rpo", rpo);
    a.putAll(attrs);
    ctx.refused(s, "rpo", message, a);
    return message;
  }

  /** Whether {@code s} is a state a failover may start from. */
  static boolean canFailOver(ServiceState s) {
    return s.state() == FailoverState.PRIMARY_DEGRADED || s.state() == FailoverState.PRIMARY_ACTIVE;
  }
}
