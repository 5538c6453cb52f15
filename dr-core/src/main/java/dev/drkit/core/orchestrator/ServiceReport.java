package dev.drkit.core.orchestrator;

import dev.drkit.core.FailoverState;
import dev.drkit.core.config.Priority;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One service in a recovery report: what happened, how long it took against its RTO, how much data
 * it lost against its RPO, its phases, its validation and its events.
 *
 * @param name the service
 * @param wave its dependency wave (0: no dependencies)
 * @param priority its priority
 * @param outcome how it ended
 * @param reason why (the failure, the blocking dependency, or the final state's reason)
 * @param finalState its state at the end, or {@code null} when blocked before its engine was built
 * @param epoch its epoch at the end ({@code 0} when blocked)
 * @param activeSite its active site at the end, or {@code null} when blocked
 * @param started when its recovery started, or {@code null} when blocked
 * @param ended when its recovery ended, or {@code null} when blocked
 * @param rto its recovery time objective
 * @param measuredRto from the start of the run until it served again, or {@code null} when it did
 *     not recover
 * @param rtoMet whether {@code measuredRto <= rto}, or {@code null} when not measured
 * @param rpo its recovery point objective
 * @param measuredRpo the data loss measured after fencing, or {@code null} when not measured
 * @param rpoMet whether {@code measuredRpo <= rpo}, or {@code null} when not measured
 * @param phases its phases in order
 * @param validation its last validation, or {@code null} when none ran
 * @param events its events during the run
 */
public record ServiceReport(String name, int wave, Priority priority, ServiceOutcome outcome, String reason,
    @Nullable FailoverState finalState, long epoch, @Nullable Site activeSite, @Nullable Instant started,
    @Nullable Instant ended, Duration rto, @Nullable Duration measuredRto, @Nullable Boolean rtoMet, Duration rpo,
    @Nullable Duration measuredRpo, @Nullable Boolean rpoMet, List<PhaseReport> phases,
    @Nullable ValidationReport validation, List<DrEvent> events) {
  /** Validates and copies. */
  public ServiceReport {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(rto, "rto");
    Objects.requireNonNull(rpo, "rpo");
    phases = phases == null ? List.of() : List.copyOf(phases);
    events = events == null ? List.of() : List.copyOf(events);
  }
}
