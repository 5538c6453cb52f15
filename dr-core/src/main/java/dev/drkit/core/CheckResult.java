package dev.drkit.core;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one check within a validation step, as it goes into the recovery report.
 *
 * @param name the check's name (its type, or type plus a distinguishing parameter)
 * @param status how it ended
 * @param duration how long it ran
 * @param detail a human-readable explanation
 * @param error the exception's message when it threw, else {@code null}
 * @param data structured details from the check, unmodifiable
 */
public record CheckResult(String name, Status status, Duration duration, String detail, @Nullable String error,
    Map<String, Object> data) {

  /** How a check ended. */
  public enum Status {
    /** It reported healthy. */
    PASSED,
    /** It reported unhealthy (or returned null). */
    FAILED,
    /** It ran past the step's timeout and was cut off. */
    TIMED_OUT,
    /** It threw an exception. */
    ERROR
  }

  /** Validates and copies. */
  public CheckResult {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(detail, "detail");
    data = data == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }

  /** @return whether the check passed */
  public boolean passed() {
    return status == Status.PASSED;
  }
}
