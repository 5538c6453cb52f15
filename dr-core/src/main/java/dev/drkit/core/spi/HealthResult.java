package dev.drkit.core.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one {@link HealthCheck} probe.
 *
 * @param healthy whether the probed aspect is healthy
 * @param detail a short human-readable explanation (never null; may be empty)
 * @param data structured details (latencies, counts, differing ranges, ...), unmodifiable
 */
public record HealthResult(boolean healthy, String detail, Map<String, Object> data) {

  /** Validates and copies. */
  public HealthResult {
    Objects.requireNonNull(detail, "detail");
    data = data == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }

  /** @param detail why it is healthy @return a healthy result */
  public static HealthResult healthy(String detail) {
    return new HealthResult(true, detail, Map.of());
  }

  /** @param detail why it is unhealthy @return an unhealthy result */
  public static HealthResult unhealthy(String detail) {
    return new HealthResult(false, detail, Map.of());
  }

  /**
   * @param key a data key
   * @param value its value
   * @return a copy with the entry added
   */
  public HealthResult with(String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(data);
    copy.put(key, value);
    return new HealthResult(healthy, detail, copy);
  }
}
