package dev.drkit.backup.schedule;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one attempt of a backup run is about.
 *
 * @param service the service the strategy belongs to, or {@code null}
 * @param strategy the strategy's name
 * @param scheduledFor the cron time this run serves (for a manual run, when it was asked for)
 * @param trigger why it runs
 * @param attempt 1 for the first attempt, 2 for the first retry, ...
 * @param startedAt when this attempt started
 */
public record RunInfo(@Nullable String service, String strategy, Instant scheduledFor, RunTrigger trigger, int attempt,
    Instant startedAt) {
  /** Validates. */
  public RunInfo {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(scheduledFor, "scheduledFor");
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(startedAt, "startedAt");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1 but was " + attempt);
    }
  }
}
