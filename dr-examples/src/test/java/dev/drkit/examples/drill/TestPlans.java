package dev.drkit.examples.drill;

import dev.drkit.core.CheckSpec;
import dev.drkit.core.Priority;
import dev.drkit.core.RecoveryConfig;
import dev.drkit.core.ValidationStep;
import java.time.Duration;
import java.util.List;

/** The orders service's recovery config as the bundled plan declares it, built in code. */
final class TestPlans {
  private TestPlans() {}

  static RecoveryConfig orders(Duration rto) {
    Duration t = Duration.ofSeconds(3);
    return RecoveryConfig.builder("orders").rpo(Duration.ofSeconds(1)).rto(rto).priority(Priority.CRITICAL)
        .dependsOn("inventory", "auth")
        .validation(new ValidationStep("reachable", List.of(CheckSpec.of("orders-router")), 1.0, t))
        .validation(new ValidationStep("data", List.of(CheckSpec.of("orders-db"), CheckSpec.of("orders-integrity")), 1.0, t))
        .validation(new ValidationStep("service", List.of(CheckSpec.of("orders-synthetic"), CheckSpec.of("orders-latency")),
            1.0, t))
        .build();
  }

  static DrillSettings quick(String mode) {
    return DrillSettings.defaults().withReplicationMode(mode).withLoad(3, 120)
        .withPacing(Duration.ofMillis(700), Duration.ofMillis(400), Duration.ofMillis(200))
        // The suite runs on shared, loaded CI machines: the latency budget here proves the check
        // runs and reports; the bundled plan's budget is the real objective.
        .withLatencyCheck(5, Duration.ofSeconds(2));
  }
}
