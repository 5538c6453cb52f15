package dev.drkit.validation;

import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.HealthVerdict;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Objects;

/**
 * Declares a site down when, within a sliding time window, at least {@code minSamples} probes were
 * recorded and the fraction that failed reaches {@code failureRate}. While failures are in the
 * window but below that, the site is {@link HealthVerdict#SUSPECT}. Once down it stays down until
 * {@code recoverAfterSuccesses} probes in a row pass (hysteresis, so a flapping site does not
 * flap the verdict); the window then restarts from those successes.
 *
 * <p>The window is measured on the monotonic time given to {@link #record}, never the wall clock.
 * Thread-safe.
 */
public final class FailureRateWindowPolicy implements DetectionPolicy {
  private final long windowNanos;
  private final int minSamples;
  private final double failureRate;
  private final int recoverAfterSuccesses;

  private final Deque<long[]> samples = new ArrayDeque<>();
  private int failures;
  private int consecutiveSuccesses;
  private boolean down;

  private FailureRateWindowPolicy(Builder b) {
    this.windowNanos = b.window.toNanos();
    this.minSamples = b.minSamples;
    this.failureRate = b.failureRate;
    this.recoverAfterSuccesses = b.recoverAfterSuccesses;
  }

  /** @return a builder: window 30 s, at least 5 samples, failure rate 0.5, recover after 3 successes */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public synchronized HealthVerdict record(boolean healthy, long monotonicNanos) {
    samples.addLast(new long[] {monotonicNanos, healthy ? 1 : 0});
    if (healthy) {
      consecutiveSuccesses++;
    } else {
      failures++;
      consecutiveSuccesses = 0;
    }
    if (down && consecutiveSuccesses >= recoverAfterSuccesses) {
      down = false;
      while (samples.size() > consecutiveSuccesses) {
        samples.removeFirst();
      }
      failures = 0;
    }
    return verdict(monotonicNanos);
  }

  @Override
  public synchronized HealthVerdict verdict(long monotonicNanos) {
    evict(monotonicNanos);
    if (down) {
      return HealthVerdict.DOWN;
    }
    int n = samples.size();
    if (n >= minSamples && n > 0 && (double) failures / n >= failureRate) {
      down = true;
      return HealthVerdict.DOWN;
    }
    return failures > 0 ? HealthVerdict.SUSPECT : HealthVerdict.HEALTHY;
  }

  private void evict(long now) {
    Iterator<long[]> it = samples.iterator();
    while (it.hasNext()) {
      long[] s = it.next();
      if (now - s[0] <= windowNanos) {
        break;
      }
      if (s[1] == 0) {
        failures--;
      }
      it.remove();
    }
  }

  /** @return the failure fraction in the current window (0 without samples) */
  public synchronized double currentFailureRate() {
    return samples.isEmpty() ? 0 : (double) failures / samples.size();
  }

  @Override
  public synchronized void reset() {
    samples.clear();
    failures = 0;
    consecutiveSuccesses = 0;
    down = false;
  }

  @Override
  public String toString() {
    return "FailureRateWindowPolicy{window=" + Duration.ofNanos(windowNanos) + ", minSamples=" + minSamples
        + ", failureRate=" + failureRate + ", recoverAfterSuccesses=" + recoverAfterSuccesses + "}";
  }

  /** Builds a {@link FailureRateWindowPolicy}; not thread-safe. */
  public static final class Builder {
    private Duration window = Duration.ofSeconds(30);
    private int minSamples = 5;
    private double failureRate = 0.5;
    private int recoverAfterSuccesses = 3;

    private Builder() {}

    /**
     * @param window the sliding window, positive
     * @return this builder
     * @throws IllegalArgumentException when not positive
     */
    public Builder window(Duration window) {
      Objects.requireNonNull(window, "window");
      if (window.isZero() || window.isNegative()) {
        throw new IllegalArgumentException("window must be positive but was " + window);
      }
      this.window = window;
      return this;
    }

    /**
     * @param n the fewest probes in the window before it may declare down, {@code >= 1}
     * @return this builder
     * @throws IllegalArgumentException when below 1
     */
    public Builder minSamples(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("minSamples must be at least 1 but was " + n);
      }
      this.minSamples = n;
      return this;
    }

    /**
     * @param rate the failed fraction that declares down, in {@code (0, 1]}
     * @return this builder
     * @throws IllegalArgumentException when outside {@code (0, 1]}
     */
    public Builder failureRate(double rate) {
      if (!(rate > 0 && rate <= 1)) {
        throw new IllegalArgumentException("failureRate must be in (0, 1] but was " + rate);
      }
      this.failureRate = rate;
      return this;
    }

    /**
     * @param n consecutive passing probes that bring a down site back, {@code >= 1}
     * @return this builder
     * @throws IllegalArgumentException when below 1
     */
    public Builder recoverAfterSuccesses(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("recoverAfterSuccesses must be at least 1 but was " + n);
      }
      this.recoverAfterSuccesses = n;
      return this;
    }

    /** @return the policy */
    public FailureRateWindowPolicy build() {
      return new FailureRateWindowPolicy(this);
    }
  }
}
