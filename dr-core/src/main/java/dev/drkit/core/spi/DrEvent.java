package dev.drkit.core.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Something drkit did or decided. Every transition, decision, phase, backup run, replication
 * milestone and validation result is published as one.
 *
 * @param time when it happened (from the injected clock)
 * @param type a dotted type such as {@code failover.transition}, {@code backup.succeeded},
 *     {@code replication.lag.exceeded}
 * @param severity how much attention it deserves
 * @param service the service concerned, or {@code null} for repository- or process-wide events
 * @param epoch the fencing epoch in force, {@code 0} when not applicable
 * @param message a human-readable sentence with the reason
 * @param attributes structured details (states, durations, counts), insertion-ordered,
 *     unmodifiable
 */
public record DrEvent(Instant time, String type, Severity severity, @Nullable String service, long epoch,
    String message, Map<String, String> attributes) {

  /** How much attention an event deserves. */
  public enum Severity {
    /** Routine. */
    INFO,
    /** Something needs watching (a breached budget, lag above a bound, a skipped run). */
    WARN,
    /** Something failed. */
    ERROR
  }

  /** Validates and copies. */
  public DrEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(message, "message");
    attributes = attributes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
  }

  /**
   * @param time when it happened
   * @param type what happened, dot-separated (for example {@code failover.transition})
   * @param service the service, or null
   * @param epoch the fencing epoch in force when it happened, or 0 when none applies
   * @param message a sentence for humans saying what happened
   * @return an INFO event without attributes
   */
  public static DrEvent info(Instant time, String type, @Nullable String service, long epoch, String message) {
    return new DrEvent(time, type, Severity.INFO, service, epoch, message, Map.of());
  }

  /**
   * @param key an attribute name
   * @param value its value (rendered with {@code String.valueOf})
   * @return a copy with the attribute added
   */
  public DrEvent with(String key, @Nullable Object value) {
    Map<String, String> copy = new LinkedHashMap<>(attributes);
    copy.put(key, String.valueOf(value));
    return new DrEvent(time, type, severity, service, epoch, message, copy);
  }
}
