package dev.drkit.validation;

import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.HealthVerdict;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * The phi accrual failure detector (Hayashibara et al., as in Akka and Cassandra): passing probes
 * are heartbeats; from the distribution of the intervals between them (normal, with a floor on the
 * standard deviation and an acceptable pause added to the mean) it computes
 * {@code phi = -log10(P(a heartbeat arrives later than now))}. The site is
 * {@link HealthVerdict#SUSPECT} from {@code suspectThreshold} and {@link HealthVerdict#DOWN} from
 * {@code threshold} (phi 8 is a false-positive chance of about 1e-8 under the model). Failed probes
 * are simply not heartbeats. The first recorded probe, passing or not, starts the clock, with a
 * first interval estimate as the history.
 *
 * <p>Time is the monotonic time given to it. Thread-safe.
 */
public final class PhiAccrualPolicy implements DetectionPolicy {
  private final double threshold;
  private final double suspectThreshold;
  private final int maxSamples;
  private final double minStdDevMillis;
  private final double pauseMillis;
  private final double firstEstimateMillis;

  private final Deque<Double> intervals = new ArrayDeque<>();
  private double sum;
  private double sumSq;
  private long lastHeartbeat;
  private boolean started;

  private PhiAccrualPolicy(Builder b) {
    this.threshold = b.threshold;
    this.suspectThreshold = b.suspectThreshold;
    this.maxSamples = b.maxSamples;
    this.minStdDevMillis = b.minStdDev.toNanos() / 1e6;
    this.pauseMillis = b.acceptablePause.toNanos() / 1e6;
    this.firstEstimateMillis = b.firstEstimate.toNanos() / 1e6;
  }

  /**
   * @return a builder: threshold 8, suspect from 3, 200 samples, min std dev 100 ms, no acceptable
   *     pause, first interval estimate 1 s (set it to the probe interval)
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public synchronized HealthVerdict record(boolean healthy, long monotonicNanos) {
    if (!started) {
      started = true;
      lastHeartbeat = monotonicNanos;
      double est = firstEstimateMillis;
      double sd = est / 4;
      add(est - sd);
      add(est + sd);
      return verdict(monotonicNanos);
    }
    if (healthy) {
      add((monotonicNanos - lastHeartbeat) / 1e6);
      lastHeartbeat = monotonicNanos;
    }
    return verdict(monotonicNanos);
  }

  private void add(double ms) {
    intervals.addLast(ms);
    sum += ms;
    sumSq += ms * ms;
    if (intervals.size() > maxSamples) {
      double old = intervals.removeFirst();
      sum -= old;
      sumSq -= old * old;
    }
  }

  /**
   * @param monotonicNanos now
   * @return phi now; {@code 0} before the first probe
   */
  public synchronized double phi(long monotonicNanos) {
    if (!started) {
      return 0;
    }
    int n = intervals.size();
    double mean = sum / n;
    double variance = Math.max(0, sumSq / n - mean * mean);
    double sd = Math.max(Math.sqrt(variance), minStdDevMillis);
    double since = (monotonicNanos - lastHeartbeat) / 1e6;
    double y = (since - (mean + pauseMillis)) / sd;
    double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    return since > mean + pauseMillis ? -Math.log10(e / (1.0 + e)) : -Math.log10(1.0 - 1.0 / (1.0 + e));
  }

  @Override
  public synchronized HealthVerdict verdict(long monotonicNanos) {
    double phi = phi(monotonicNanos);
    return phi >= threshold ? HealthVerdict.DOWN : phi >= suspectThreshold ? HealthVerdict.SUSPECT
        : HealthVerdict.HEALTHY;
  }

  @Override
  public synchronized void reset() {
    intervals.clear();
    sum = 0;
    sumSq = 0;
    started = false;
  }

  @Override
  public String toString() {
    return "PhiAccrualPolicy{threshold=" + threshold + ", suspectThreshold=" + suspectThreshold + "}";
  }

  /** Builds a {@link PhiAccrualPolicy}; not thread-safe. */
  public static final class Builder {
    private double threshold = 8;
    private double suspectThreshold = 3;
    private int maxSamples = 200;
    private Duration minStdDev = Duration.ofMillis(100);
    private Duration acceptablePause = Duration.ZERO;
    private Duration firstEstimate = Duration.ofSeconds(1);

    private Builder() {}

    /**
     * @param down phi from which the site is down, positive
     * @param suspect phi from which it is suspect, positive and at most {@code down}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder thresholds(double down, double suspect) {
      if (!(down > 0 && suspect > 0 && suspect <= down)) {
        throw new IllegalArgumentException("need 0 < suspect <= down but got suspect " + suspect + ", down " + down);
      }
      this.threshold = down;
      this.suspectThreshold = suspect;
      return this;
    }

    /**
     * @param n the most intervals kept, {@code >= 2}
     * @return this builder
     */
    public Builder maxSamples(int n) {
      if (n < 2) {
        throw new IllegalArgumentException("maxSamples must be at least 2 but was " + n);
      }
      this.maxSamples = n;
      return this;
    }

    /**
     * @param d the floor of the standard deviation, positive
     * @return this builder
     */
    public Builder minStdDev(Duration d) {
      this.minStdDev = positive(d, "minStdDev");
      return this;
    }

    /**
     * @param d a pause tolerated on top of the mean interval (GC, a slow probe), {@code >= 0}
     * @return this builder
     */
    public Builder acceptablePause(Duration d) {
      Objects.requireNonNull(d, "acceptablePause");
      if (d.isNegative()) {
        throw new IllegalArgumentException("acceptablePause must not be negative but was " + d);
      }
      this.acceptablePause = d;
      return this;
    }

    /**
     * @param d the expected interval before any is measured (the probe interval), positive
     * @return this builder
     */
    public Builder firstEstimate(Duration d) {
      this.firstEstimate = positive(d, "firstEstimate");
      return this;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive but was " + d);
      }
      return d;
    }

    /** @return the policy */
    public PhiAccrualPolicy build() {
      return new PhiAccrualPolicy(this);
    }
  }
}
