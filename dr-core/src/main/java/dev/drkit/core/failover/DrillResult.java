package dev.drkit.core.failover;

import dev.drkit.core.ValidationReport;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceState;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a drill did: the phases it ran against the isolated target, how long they took, the
 * validation result and the events, next to the production state, which the drill left untouched.
 *
 * @param service the name of the service that was drilled
 * @param production the production state (the same before and after the drill)
 * @param result the drill's final state on the isolated target
 * @param phases the phases run
 * @param validation the last validation report, or {@code null} when none ran
 * @param measuredRto from the drill's start until the isolated target served
 * @param measuredLoss the data loss measured after fencing the isolated target's old site, or
 *     {@code null} when not measured
 * @param events the drill's events (types {@code drill.*})
 */
public record DrillResult(String service, ServiceState production, ServiceState result, List<PhaseRecord> phases,
    @Nullable ValidationReport validation, Duration measuredRto, @Nullable Duration measuredLoss,
    List<DrEvent> events) {
  /** Validates and copies. */
  public DrillResult {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(production, "production");
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(measuredRto, "measuredRto");
    phases = List.copyOf(phases);
    events = List.copyOf(events);
  }

  /** @return whether the drill reached a serving state (BACKUP_ACTIVE or PRIMARY_ACTIVE) */
  public boolean succeeded() {
    return result.state() == dev.drkit.core.FailoverState.BACKUP_ACTIVE
        || result.state() == dev.drkit.core.FailoverState.PRIMARY_ACTIVE;
  }
}
