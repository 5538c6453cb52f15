package dev.drkit.examples.drill;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one drill run measured: its phases, the RPO and RTO against the objectives, the write rate
 * and replication lag over time, the validation results and the event log. Every number comes from
 * the run (clocks read while it happened, rows counted in the databases, the clients' ledger);
 * only the objectives and budgets come from the plan. Times are milliseconds since the run's
 * {@link #startedAt()} unless a field says otherwise. Immutable; serialised to {@code report.json}
 * as is.
 *
 * @param scenario the scenario's name ({@code site-loss}, {@code restore}, ...)
 * @param description one sentence saying what the scenario does
 * @param plan where the plan came from (a file or a bundled resource)
 * @param service the protected service
 * @param replicationMode {@code sync} or {@code async}
 * @param startedAt when the run started (wall clock)
 * @param durationMs how long the whole run took
 * @param rpoObjectiveMs the plan's RPO
 * @param rtoObjectiveMs the plan's RTO
 * @param objectives each objective with its target, measurement and verdict
 * @param phases the phases in order
 * @param rpo the measured RPO
 * @param rto the measured RTO (null for a scenario without an outage)
 * @param samples write rate and lag over time
 * @param validations every validation run
 * @param events the event log
 * @param quarantined orders set aside as divergent during resync
 * @param notes remarks about the run (what was not exercised and why)
 * @param settings how the run was set up (replication, detection, load, pacing, phase budgets, machine
 *     load), in the order shown
 */
public record DrillReport(String scenario, String description, String plan, String service, String replicationMode,
    Instant startedAt, long durationMs, long rpoObjectiveMs, long rtoObjectiveMs, List<Objective> objectives,
    List<Phase> phases, Rpo rpo, @Nullable Rto rto, List<Sample> samples, List<ValidationRun> validations,
    List<Event> events, List<String> quarantined, List<String> notes, Map<String, String> settings) {

  /** Validates and copies. */
  public DrillReport {
    Objects.requireNonNull(scenario, "scenario");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(replicationMode, "replicationMode");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(rpo, "rpo");
    objectives = List.copyOf(objectives);
    phases = List.copyOf(phases);
    samples = List.copyOf(samples);
    validations = List.copyOf(validations);
    events = List.copyOf(events);
    quarantined = List.copyOf(quarantined);
    notes = List.copyOf(notes);
    settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
  }

  /** @return whether every objective was met and no phase failed */
  public boolean passed() {
    return objectives.stream().allMatch(Objective::met) && phases.stream().noneMatch(p -> p.verdict() == Verdict.FAIL);
  }

  /** A phase's or an objective's outcome. */
  public enum Verdict {
    /** Done within its budget. */
    PASS,
    /** Failed, or overran its budget. */
    FAIL,
    /** Informational: no budget applies. */
    INFO
  }

  /**
   * One phase of the run.
   *
   * @param name the phase ({@code detection}, {@code failover.fence}, ...)
   * @param startMs when it started
   * @param durationMs how long it took
   * @param budgetMs its time budget, or null when none applies
   * @param verdict PASS within budget, FAIL when it failed or overran, INFO without a budget
   * @param detail what happened
   */
  public record Phase(String name, long startMs, long durationMs, @Nullable Long budgetMs, Verdict verdict,
      String detail) {
    /** Validates. */
    public Phase {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(verdict, "verdict");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * One objective of the run.
   *
   * @param name what is measured ({@code RPO}, {@code RTO}, {@code lost writes}, ...)
   * @param target the objective, in words ({@code <= 1000 ms})
   * @param measured the measurement, in words
   * @param met whether it was met
   */
  public record Objective(String name, String target, String measured, boolean met) {
    /** Validates. */
    public Objective {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(measured, "measured");
    }
  }

  /**
   * The measured RPO: acknowledged writes missing from the site that took over, counted against the
   * clients' ledger.
   *
   * @param acknowledgedWrites how many writes the clients saw acknowledged before the cut-off
   * @param lostWrites how many of them the promoted (or rebuilt) site does not hold
   * @param windowMs the time between the oldest and newest lost acknowledgement
   * @param lostFromMs the oldest lost acknowledgement, or null
   * @param lostToMs the newest lost acknowledgement, or null
   * @param lostIds the lost orders' ids (at most 100)
   */
  public record Rpo(long acknowledgedWrites, long lostWrites, long windowMs, @Nullable Long lostFromMs,
      @Nullable Long lostToMs, List<String> lostIds) {
    /** Copies. */
    public Rpo {
      lostIds = List.copyOf(lostIds);
    }
  }

  /**
   * The measured RTO: from the moment the active site died (or was taken down) to the moment
   * validation passed and the router served the site that took over.
   *
   * @param outageAtMs when the outage began
   * @param recoveredAtMs when validation had passed and the router served the new site
   * @param measuredMs {@code recoveredAtMs - outageAtMs}
   * @param breakdown time per phase inside the outage, in order
   */
  public record Rto(long outageAtMs, long recoveredAtMs, long measuredMs, Map<String, Long> breakdown) {
    /** Copies. */
    public Rto {
      breakdown = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(breakdown));
    }
  }

  /**
   * Traffic and replication at one moment.
   *
   * @param atMs when
   * @param writesPerSecond acknowledged writes per second over the preceding interval
   * @param failedPerSecond failed writes per second over the preceding interval
   * @param lagMs replication lag: how far the replica's newest write trails the primary's, or
   *     null when there was no replication to measure (no replica running)
   */
  public record Sample(long atMs, double writesPerSecond, double failedPerSecond, @Nullable Long lagMs) {}

  /**
   * One validation of a site.
   *
   * @param label why it ran ({@code after failover}, {@code before failback})
   * @param site the validated site
   * @param epoch the epoch it ran under
   * @param startMs when it started
   * @param durationMs how long it took
   * @param passed whether every step passed
   * @param steps each step
   */
  public record ValidationRun(String label, String site, long epoch, long startMs, long durationMs, boolean passed,
      List<Step> steps) {
    /** Copies. */
    public ValidationRun {
      steps = List.copyOf(steps);
    }
  }

  /**
   * One validation step.
   *
   * @param name the step
   * @param passed whether it passed
   * @param checks its checks
   */
  public record Step(String name, boolean passed, List<Check> checks) {
    /** Copies. */
    public Step {
      checks = List.copyOf(checks);
    }
  }

  /**
   * One check's result.
   *
   * @param name the check
   * @param status PASSED, FAILED, TIMED_OUT or ERROR
   * @param durationMs how long it ran
   * @param detail what it found
   */
  public record Check(String name, String status, long durationMs, String detail) {}

  /**
   * One event of the run.
   *
   * @param atMs when
   * @param type the dotted type
   * @param severity INFO, WARN or ERROR
   * @param epoch the epoch in force
   * @param message what happened
   * @param attributes structured details
   */
  public record Event(long atMs, String type, String severity, long epoch, String message,
      Map<String, String> attributes) {
    /** Copies. */
    public Event {
      attributes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(attributes));
    }
  }
}
