package dev.drkit.examples.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.HealthVerdict;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.FailureDetector;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Seed 3038: the primary died, the service failed over and back, and the primary died again right
 * after the failback. The detector still held DOWN from the first death, so it reported nothing
 * new and the engine never failed over again. Resetting the detector when the engine is
 * PRIMARY_ACTIVE again makes the second death reported.
 */
class DetectorResetTest {
  @Test
  void aDownHeldFromBeforeTheFailbackIsReportedAgainAfterTheReset() throws Exception {
    AtomicBoolean up = new AtomicBoolean(false);
    List<HealthVerdict> reported = new CopyOnWriteArrayList<>();
    try (FailureDetector d = FailureDetector.builder("orders", Site.PRIMARY,
        ctx -> up.get() ? HealthResult.healthy("up") : HealthResult.unhealthy("down"),
        new ConsecutiveFailuresPolicy(3, 1)).repeatDownEvery(java.time.Duration.ZERO).build()) {
      d.addListener((service, site, previous, current, cause) -> reported.add(current));
      for (int i = 0; i < 3; i++) {
        d.probeNow();
      }
      assertThat(reported).containsExactly(HealthVerdict.SUSPECT, HealthVerdict.DOWN);
      // Failover and failback happen; the primary serves again and dies at once: no probe saw it up.
      for (int i = 0; i < 3; i++) {
        d.probeNow();
      }
      assertThat(reported).as("no change, nothing reported").hasSize(2);

      SoakRun.whenPrimaryActiveAgain(d::reset).onEvent(new DrEvent(Instant.now(), "failover.transition",
          DrEvent.Severity.INFO, "orders", 3, "FAILING_BACK -> PRIMARY_ACTIVE", Map.of("state", "PRIMARY_ACTIVE")));
      SoakRun.whenPrimaryActiveAgain(() -> { throw new AssertionError("not a return to PRIMARY_ACTIVE"); })
          .onEvent(new DrEvent(Instant.now(), "failover.transition", DrEvent.Severity.INFO, "orders", 2,
              "PRIMARY_DEGRADED -> FAILING_OVER", Map.of("state", "FAILING_OVER")));
      for (int i = 0; i < 3; i++) {
        d.probeNow();
      }
      assertThat(reported).containsExactly(HealthVerdict.SUSPECT, HealthVerdict.DOWN, HealthVerdict.SUSPECT,
          HealthVerdict.DOWN);
    }
  }
}
