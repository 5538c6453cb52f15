package dev.drkit.core;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.config.Names;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.plan.RecoveryPlan;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * dr-core alone (no validator registered through ServiceLoader on its test class path) accepts every
 * check, and a validator set on a builder is applied to every check with the service and step named.
 */
class CheckValidationSeamTest {
  private static final CheckSpecValidator PORT_REQUIRED = spec -> {
    if (spec.param("port") == null) {
      throw new ConfigException("params.port", "is required");
    }
  };

  private static RecoveryConfig.Builder service(String name, CheckSpec... checks) {
    return RecoveryConfig.builder(name).rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(1))
        .validation(ValidationStep.allOf("first", Duration.ofSeconds(1), CheckSpec.of("tcp", Map.of("port", 1))))
        .validation(ValidationStep.allOf("second", Duration.ofSeconds(1), checks));
  }

  @Test
  void withoutARegisteredValidatorEveryCheckIsAccepted() {
    CheckSpecValidator.discovered().validate(CheckSpec.of("anything-at-all", Map.of("x", 1)));
    assertThat(service("orders", CheckSpec.of("whatever")).build().validation()).hasSize(2);
  }

  @Test
  void aConfigsValidatorNamesServiceStepAndCheck() {
    assertThatThrownBy(() -> service("orders", CheckSpec.of("tcp", Map.of("port", 2)), CheckSpec.of("tcp"))
        .checkValidator(PORT_REQUIRED).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
            ConfigException.Problem.of("validation[1].checks[1].params.port",
                "service 'orders', step 'second', 'tcp' check #2: is required")));
  }

  @Test
  void aValidatorThatThrowsSomethingElseIsReportedAsAProblemOfTheCheck() {
    assertThatThrownBy(() -> service("orders", CheckSpec.of("tcp"))
        .checkValidator(spec -> {
          throw new IllegalStateException("boom");
        }).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("validation[0].checks[0]: service 'orders', step 'first'")
        .hasMessageContaining("the check validator failed on this check: java.lang.IllegalStateException: boom");
  }

  @Test
  void aPlansValidatorChecksEveryService() {
    RecoveryConfig a = service("a", CheckSpec.of("tcp", Map.of("port", 1))).build();
    RecoveryConfig b = service("b", CheckSpec.of("tcp")).build();
    assertThatThrownBy(() -> RecoveryPlan.builder().checkValidator(PORT_REQUIRED).service(a).service(b, List.of()).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
            .extracting(ConfigException.Problem::path).containsExactly("services[1].validation[1].checks[0].params.port"));
  }

  @Test
  void closestSuggestsOnlyNearNames() {
    assertThat(Names.closest("urll", List.of("url", "method"))).isEqualTo("url");
    assertThat(Names.closest("HTPP", List.of("tcp", "http"))).isEqualTo("http");
    assertThat(Names.closest("completely-different", List.of("url"))).isNull();
  }
}
