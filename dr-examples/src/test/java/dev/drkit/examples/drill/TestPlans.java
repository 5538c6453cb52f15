package dev.drkit.examples.drill;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The bundled drill plan, loaded as the command loads it, with test-friendly budgets. */
final class TestPlans {
  private TestPlans() {}

  static RecoveryPlan bundled() throws Exception {
    try (InputStream in = TestPlans.class.getResourceAsStream("/drill/orders-plan.yaml")) {
      return PlanLoader.withCheckValidator(DrillPlanChecks.validator()).load(in, "bundled:/drill/orders-plan.yaml");
    }
  }

  /**
   * The bundled plan's orders service with a generous RTO and step timeouts: the suite runs on
   * shared, loaded CI machines, so these tests prove behaviour and the report's contents; the RTO
   * figures are measured with the command on the bundled plan (docs/drill.md).
   */
  static RecoveryConfig orders(Duration rto) throws Exception {
    RecoveryConfig base = bundled().service("orders");
    List<ValidationStep> steps = new ArrayList<>();
    for (ValidationStep s : base.validation()) {
      List<CheckSpec> checks = new ArrayList<>();
      for (CheckSpec c : s.checks()) {
        if (c.type().equals("performance")) {
          Map<String, Object> p = new LinkedHashMap<>(c.params());
          p.put("p95", "2s");
          p.put("probes", 3);
          checks.add(CheckSpec.of(c.type(), p));
        } else {
          checks.add(c);
        }
      }
      steps.add(new ValidationStep(s.name(), checks, s.threshold(), Duration.ofSeconds(3)));
    }
    return RecoveryConfig.from(base).rto(rto).validation(steps).checkValidator(DrillPlanChecks.validator()).build();
  }

  static DrillSettings quick(String mode) {
    return DrillSettings.defaults().withReplicationMode(mode).withLoad(3, 120)
        .withPacing(Duration.ofMillis(700), Duration.ofMillis(400), Duration.ofMillis(200));
  }
}
