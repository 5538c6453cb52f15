package dev.drkit.backup.schedule;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one scheduled strategy's state.
 *
 * @param key {@code service/strategy} (or the strategy name when there is no service)
 * @param nextDue the next cron time it will run for
 * @param running whether a run is in progress
 * @param owed whether a coalesced run is owed after the current one
 * @param lastOutcome {@code succeeded}, {@code failed}, or {@code null} before the first run ends
 */
public record StrategyStatus(String key, Instant nextDue, boolean running, boolean owed, @Nullable String lastOutcome) {}
