package dev.drkit.validation;

import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.HealthVerdict;
import java.util.List;

/**
 * Combines policies: every outcome goes to all of them and the verdict is the worst of theirs
 * (DOWN over SUSPECT over HEALTHY). For example consecutive failures for fast detection of a hard
 * outage together with a failure-rate window for a site that degrades intermittently.
 * Thread-safe when its members are.
 */
public final class WorstOfPolicy implements DetectionPolicy {
  private final List<DetectionPolicy> members;

  /**
   * @param members the policies, at least one
   * @throws IllegalArgumentException when empty
   */
  public WorstOfPolicy(List<DetectionPolicy> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("at least one policy is needed");
    }
    this.members = List.copyOf(members);
  }

  /**
   * @param members the policies, at least one
   * @return the combination
   */
  public static WorstOfPolicy of(DetectionPolicy... members) {
    return new WorstOfPolicy(List.of(members));
  }

  @Override
  public HealthVerdict record(boolean healthy, long monotonicNanos) {
    HealthVerdict worst = HealthVerdict.HEALTHY;
    for (DetectionPolicy p : members) {
      worst = worse(worst, p.record(healthy, monotonicNanos));
    }
    return worst;
  }

  @Override
  public HealthVerdict verdict(long monotonicNanos) {
    HealthVerdict worst = HealthVerdict.HEALTHY;
    for (DetectionPolicy p : members) {
      worst = worse(worst, p.verdict(monotonicNanos));
    }
    return worst;
  }

  private static HealthVerdict worse(HealthVerdict a, HealthVerdict b) {
    return a.compareTo(b) >= 0 ? a : b; // HealthVerdict is declared from best to worst
  }

  @Override
  public void reset() {
    members.forEach(DetectionPolicy::reset);
  }

  @Override
  public String toString() {
    return "WorstOf" + members;
  }
}
