package dev.drkit.examples.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.ConfigException;
import dev.drkit.core.plan.PlanLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The drill plan names the example's own checks before they are registered; everything else is validated. */
class DrillPlanChecksTest {
  @Test
  void theBundledPlanLoadsAndItsOwnChecksAreAccepted() throws Exception {
    assertThat(TestPlans.bundled().service("orders").validation()).isNotEmpty();
    DrillPlanChecks.validator().validate(CheckSpec.of("orders-http", Map.of("name", "front door")));
  }

  @Test
  void aMisspeltParameterOfABuiltInCheckStillFailsTheLoad() {
    String yaml = """
        services:
          - name: auth
            rpo: 1h
            rto: 5m
            validation:
              - name: login-works
                checks: [{type: http, url: "http://127.0.0.1:8081/health", expect-status: 200}]
        """;
    assertThatThrownBy(() -> PlanLoader.withCheckValidator(DrillPlanChecks.validator())
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "plan.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("did you mean 'expectedStatus'?");
    assertThatThrownBy(() -> DrillPlanChecks.validator().validate(CheckSpec.of("orders-http", Map.of("url", "x"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("takes no parameters");
  }
}
