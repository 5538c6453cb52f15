package dev.drkit.validation;

import java.time.Duration;
import java.util.Objects;

/**
 * One probe of a {@link FailureDetector}.
 *
 * @param healthy whether it passed
 * @param detail what it found (the check's detail, the exception's message, or the timeout)
 * @param monotonicNanos when it completed, on the detector's monotonic time source
 * @param latency how long it took
 */
public record ProbeOutcome(boolean healthy, String detail, long monotonicNanos, Duration latency) {
  /** Validates. */
  public ProbeOutcome {
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(latency, "latency");
  }
}
