package dev.drkit.core.failover;

import static dev.drkit.core.HealthVerdict.DOWN;
import static dev.drkit.core.HealthVerdict.HEALTHY;
import static dev.drkit.core.HealthVerdict.SUSPECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.HealthVerdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsecutiveFailuresPolicyTest {
  private static List<HealthVerdict> feed(ConsecutiveFailuresPolicy p, String probes) {
    List<HealthVerdict> out = new ArrayList<>();
    long t = 0;
    for (char c : probes.toCharArray()) {
      out.add(p.record(c == '+', t += 1_000_000));
    }
    return out;
  }

  @Test
  void declaresDownAfterThreeConsecutiveFailures() {
    assertThat(feed(new ConsecutiveFailuresPolicy(3, 2), "+---")).containsExactly(HEALTHY, SUSPECT, SUSPECT, DOWN);
  }

  @Test
  void aSingleGoodProbeDoesNotClearSuspicionButResetsTheFailureCount() {
    assertThat(feed(new ConsecutiveFailuresPolicy(3, 2), "--+--++"))
        .containsExactly(SUSPECT, SUSPECT, SUSPECT, SUSPECT, SUSPECT, SUSPECT, HEALTHY);
  }

  @Test
  void staysDownUntilEnoughConsecutiveSuccesses() {
    ConsecutiveFailuresPolicy p = new ConsecutiveFailuresPolicy(2, 3);
    assertThat(feed(p, "--+-++-+++")).containsExactly(SUSPECT, DOWN, DOWN, DOWN, DOWN, DOWN, DOWN, DOWN, DOWN,
        HEALTHY);
    assertThat(p.verdict(0)).isEqualTo(HEALTHY);
  }

  @Test
  void resetForgetsHistory() {
    ConsecutiveFailuresPolicy p = new ConsecutiveFailuresPolicy(2, 2);
    feed(p, "--");
    assertThat(p.verdict(0)).isEqualTo(DOWN);
    p.reset();
    assertThat(p.verdict(0)).isEqualTo(HEALTHY);
    assertThat(feed(p, "-")).containsExactly(SUSPECT);
  }

  @Test
  void oneFailureToDownSkipsSuspect() {
    assertThat(feed(new ConsecutiveFailuresPolicy(1, 1), "+-+")).containsExactly(HEALTHY, DOWN, HEALTHY);
  }

  @Test
  void rejectsCountsBelowOne() {
    assertThatThrownBy(() -> new ConsecutiveFailuresPolicy(0, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failuresToDown");
    assertThatThrownBy(() -> new ConsecutiveFailuresPolicy(1, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("successesToHealthy");
  }
}
