package dev.drkit.backup;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a long operation's progress.
 *
 * @param operation {@code backup}, {@code restore}, {@code verify} or {@code prune}
 * @param filesDone files (or packs, for verify and prune) finished
 * @param filesTotal files (or packs) in all, {@code -1} when unknown
 * @param bytesDone bytes processed
 * @param bytesTotal bytes in all, {@code -1} when unknown
 * @param elapsed time since the operation started
 * @param done whether this is the final report
 */
public record Progress(String operation, long filesDone, long filesTotal, long bytesDone, long bytesTotal,
    Duration elapsed, boolean done) {
  /** Validates. */
  public Progress {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(elapsed, "elapsed");
  }

  /** @return bytes per second so far (0 before any time has passed) */
  public double bytesPerSecond() {
    long ms = elapsed.toMillis();
    return ms <= 0 ? 0 : bytesDone * 1000.0 / ms;
  }

  /** @return estimated time left, when the total is known and some progress was made */
  public Optional<Duration> eta() {
    if (done) {
      return Optional.of(Duration.ZERO);
    }
    double rate = bytesPerSecond();
    if (bytesTotal < 0 || rate <= 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofMillis((long) (Math.max(0, bytesTotal - bytesDone) * 1000.0 / rate)));
  }

  /** @return fraction done in [0, 1], or -1 when the total is unknown */
  public double fraction() {
    if (bytesTotal > 0) {
      return Math.min(1.0, (double) bytesDone / bytesTotal);
    }
    if (filesTotal > 0) {
      return Math.min(1.0, (double) filesDone / filesTotal);
    }
    return done ? 1.0 : -1;
  }
}
