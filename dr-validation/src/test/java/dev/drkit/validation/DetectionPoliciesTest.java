package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.DetectionPolicy;
import dev.drkit.core.HealthVerdict;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DetectionPoliciesTest {
  private static final long SECOND = 1_000_000_000L;

  private static FailureRateWindowPolicy rate() {
    return FailureRateWindowPolicy.builder().window(Duration.ofSeconds(30)).minSamples(6).failureRate(0.6)
        .recoverAfterSuccesses(3).build();
  }

  @Test
  void rateWindowSingleBlipIsSuspectNeverDown() {
    FailureRateWindowPolicy p = rate();
    long t = 0;
    for (int i = 0; i < 10; i++) {
      assertThat(p.record(true, t += 5 * SECOND)).isEqualTo(HealthVerdict.HEALTHY);
    }
    assertThat(p.record(false, t += 5 * SECOND)).isEqualTo(HealthVerdict.SUSPECT);
    for (int i = 0; i < 6; i++) {
      assertThat(p.record(true, t += 5 * SECOND)).isNotEqualTo(HealthVerdict.DOWN);
    }
    assertThat(p.record(true, t += 5 * SECOND)).as("the blip left the window").isEqualTo(HealthVerdict.HEALTHY);
  }

  @Test
  void rateWindowDeclaresDownOnlyOnceTheWindowHasEnoughFailures() {
    FailureRateWindowPolicy p = rate();
    long t = 0;
    for (int i = 0; i < 3; i++) {
      assertThat(p.record(false, t += 5 * SECOND)).isEqualTo(HealthVerdict.SUSPECT);
    }
    // three failures make a rate of 1.0, but the window has too few samples to decide
    assertThat(p.record(false, t += 5 * SECOND)).isEqualTo(HealthVerdict.SUSPECT);
    assertThat(p.record(false, t += 5 * SECOND)).isEqualTo(HealthVerdict.SUSPECT);
    assertThat(p.record(false, t += 5 * SECOND)).isEqualTo(HealthVerdict.DOWN);
  }

  @Test
  void rateWindowStaysSuspectWhileFlappingBelowTheRateThreshold() {
    FailureRateWindowPolicy p = rate();
    long t = 0;
    for (int i = 0; i < 200; i++) {
      HealthVerdict v = p.record(i % 2 == 0, t += 5 * SECOND);
      assertThat(v).as("probe %d", i).isNotEqualTo(HealthVerdict.DOWN);
    }
    assertThat(p.currentFailureRate()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.1));
  }

  @Test
  void rateWindowRecoversOnlyAfterConsecutiveSuccesses() {
    FailureRateWindowPolicy p = rate();
    long t = 0;
    for (int i = 0; i < 6; i++) {
      p.record(false, t += 5 * SECOND);
    }
    assertThat(p.verdict(t)).isEqualTo(HealthVerdict.DOWN);
    assertThat(p.record(true, t += 5 * SECOND)).isEqualTo(HealthVerdict.DOWN);
    assertThat(p.record(false, t += 5 * SECOND)).isEqualTo(HealthVerdict.DOWN);
    assertThat(p.record(true, t += 5 * SECOND)).isEqualTo(HealthVerdict.DOWN);
    assertThat(p.record(true, t += 5 * SECOND)).isEqualTo(HealthVerdict.DOWN);
    assertThat(p.record(true, t += 5 * SECOND)).isEqualTo(HealthVerdict.HEALTHY);
    p.reset();
    assertThat(p.verdict(t)).isEqualTo(HealthVerdict.HEALTHY);
  }

  @Test
  void rateWindowNeverGoesDownWhenFailuresStayBelowTheRateInRandomOrder() {
    int runs = Integer.getInteger("drkit.test.runs", 200);
    Random rnd = new Random(42);
    for (int run = 0; run < runs; run++) {
      FailureRateWindowPolicy p = rate();
      long t = 0;
      // the 30 s window holds the last 7 probes (one every 5 s); a failure is only allowed while any
      // 6 consecutive probes hold at most 3 failures, so every window's rate is <= 4/7 < 0.6
      java.util.ArrayDeque<Boolean> last = new java.util.ArrayDeque<>();
      int failuresInLast = 0;
      for (int i = 0; i < 120; i++) {
        boolean ok = !(rnd.nextInt(3) > 0 && failuresInLast < 3); // the previous 5 probes hold < 3 failures
        if (!ok) {
          failuresInLast++;
        }
        last.addLast(ok);
        if (last.size() > 5 && !last.removeFirst()) {
          failuresInLast--;
        }
        t += 5 * SECOND;
        assertThat(p.record(ok, t)).as("run %d probe %d", run, i).isNotEqualTo(HealthVerdict.DOWN);
      }
    }
  }

  @Test
  void phiAccrualGrowsWithSilenceAndResetsOnAHeartbeat() {
    PhiAccrualPolicy p = PhiAccrualPolicy.builder().firstEstimate(Duration.ofSeconds(1)).thresholds(8, 3)
        .minStdDev(Duration.ofMillis(500)).build();
    long t = 0;
    for (int i = 0; i < 50; i++) {
      assertThat(p.record(true, t += SECOND)).isEqualTo(HealthVerdict.HEALTHY);
    }
    assertThat(p.phi(t + SECOND)).isLessThan(1);
    assertThat(p.verdict(t + 1_200_000_000L)).isEqualTo(HealthVerdict.HEALTHY);
    // failed probes are not heartbeats: phi accrues
    long downAt = -1;
    long suspectAt = -1;
    for (int i = 1; i <= 10; i++) {
      HealthVerdict v = p.record(false, t + i * SECOND);
      if (v == HealthVerdict.SUSPECT && suspectAt < 0) {
        suspectAt = i;
      }
      if (v == HealthVerdict.DOWN) {
        downAt = i;
        break;
      }
    }
    assertThat(suspectAt).isEqualTo(3);
    assertThat(downAt).isEqualTo(4);
    assertThat(p.record(true, t + 6 * SECOND)).isEqualTo(HealthVerdict.HEALTHY);
  }

  @Test
  void phiAccrualToleratesJitteredHeartbeats() {
    PhiAccrualPolicy p = PhiAccrualPolicy.builder().firstEstimate(Duration.ofSeconds(1))
        .acceptablePause(Duration.ofMillis(500)).build();
    Random rnd = new Random(7);
    long t = 0;
    for (int i = 0; i < 500; i++) {
      t += SECOND + (rnd.nextInt(400) - 200) * 1_000_000L;
      assertThat(p.record(true, t)).isEqualTo(HealthVerdict.HEALTHY);
    }
  }

  @Test
  void phiAccrualStartsTheClockAtTheFirstProbeEvenWhenItFails() {
    PhiAccrualPolicy p = PhiAccrualPolicy.builder().firstEstimate(Duration.ofSeconds(1)).build();
    assertThat(p.verdict(0)).isEqualTo(HealthVerdict.HEALTHY);
    HealthVerdict v = HealthVerdict.HEALTHY;
    for (int i = 0; i < 20 && v != HealthVerdict.DOWN; i++) {
      v = p.record(false, i * SECOND);
    }
    assertThat(v).isEqualTo(HealthVerdict.DOWN);
  }

  @Test
  void worstOfCombinesVerdicts() {
    DetectionPolicy fast = new DetectionPolicy() {
      private int consecutive;

      @Override
      public HealthVerdict record(boolean healthy, long monotonicNanos) {
        consecutive = healthy ? 0 : consecutive + 1;
        return verdict(monotonicNanos);
      }

      @Override
      public HealthVerdict verdict(long monotonicNanos) {
        return consecutive >= 2 ? HealthVerdict.DOWN : consecutive == 1 ? HealthVerdict.SUSPECT : HealthVerdict.HEALTHY;
      }

      @Override
      public void reset() {
        consecutive = 0;
      }
    };
    WorstOfPolicy p = WorstOfPolicy.of(fast, rate());
    assertThat(p.record(false, SECOND)).isEqualTo(HealthVerdict.SUSPECT);
    assertThat(p.record(false, 2 * SECOND)).isEqualTo(HealthVerdict.DOWN);
    p.reset();
    assertThat(p.verdict(3 * SECOND)).isEqualTo(HealthVerdict.HEALTHY);
  }

  @Test
  void buildersRejectNonsense() {
    assertThatThrownBy(() -> FailureRateWindowPolicy.builder().failureRate(0)).hasMessageContaining("failureRate");
    assertThatThrownBy(() -> FailureRateWindowPolicy.builder().window(Duration.ZERO)).hasMessageContaining("window");
    assertThatThrownBy(() -> PhiAccrualPolicy.builder().thresholds(3, 8)).hasMessageContaining("suspect");
    assertThatThrownBy(() -> new WorstOfPolicy(java.util.List.of())).hasMessageContaining("at least one");
  }
}
