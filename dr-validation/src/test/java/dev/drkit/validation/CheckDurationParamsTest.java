package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.core.spi.HealthResult;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Check parameters read durations in the plan's one grammar (compounds such as {@code 1h30m},
 * {@code ns} to {@code d}, ISO-8601), and refuse a number without a unit, naming the parameter and
 * quoting the value.
 */
class CheckDurationParamsTest {
  private static RecoveryConfig.Builder tcp(Object connectTimeout) {
    return RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
        .validation(ValidationStep.allOf("smoke", Duration.ofSeconds(10),
            CheckSpec.of("tcp", Map.of("host", "db", "port", 5432, "connectTimeout", connectTimeout))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1h30m", "1m 30s", "2s", "250ms", "1.5s", "PT1M", "pt2s", "500us", "2 s", "1d"})
  void everyFormOfThePlanGrammarIsAcceptedWithAUnit(String text) {
    assertThat(tcp(text).build().validation()).hasSize(1);
  }

  @Test
  void theSameTextMeansTheSameDurationInAPlanFieldAndInACheckParameter() {
    String type = "waits-" + System.identityHashCode(this);
    AtomicReference<Duration> read = new AtomicReference<>();
    CheckRegistry registry = CheckRegistry.withBuiltIns().registerType(type, p -> {
      read.set(p.optDuration("wait", null));
      p.ensureValid();
      return ctx -> HealthResult.healthy("ok");
    });
    RecoveryPlan plan = load("""
        services:
          - name: orders
            rpo: 1h30m
            rto: 2h
            validation:
              - name: smoke
                checks:
                  - {type: %s, wait: 1h30m}
        """.formatted(type));
    assertThat(plan.services().get(0).rpo()).isEqualTo(Duration.ofMinutes(90));
    assertThat(read.get()).isEqualTo(Duration.ofMinutes(90));
    assertThat(registry.types()).contains(type);
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "1.5"})
  void aNumberWithoutAUnitIsRefusedNamingTheParameterAndValue(String text) {
    assertThatThrownBy(() -> tcp(text).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
            .satisfies(p -> {
              assertThat(p.path()).isEqualTo("validation[0].checks[0].params.connectTimeout");
              assertThat(p.message()).contains("service 'orders', step 'smoke'", "'" + text + "' has no unit",
                  text + "ms", text + "s");
            }));
  }

  @Test
  void aYamlNumberWithoutAUnitIsRefusedWithItsLine() {
    assertThatThrownBy(() -> load("""
        services:
          - name: orders
            rpo: 15
            rto: 30
            validation:
              - name: smoke
                checks:
                  - {type: tcp, host: db, port: 5432, connectTimeout: 5}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("plan.yaml:8:")
        .hasMessageContaining("connectTimeout")
        .hasMessageContaining("'5' has no unit");
  }

  @Test
  void textThatIsNotADurationIsRefusedQuotingIt() {
    assertThatThrownBy(() -> tcp("soon").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("params.connectTimeout")
        .hasMessageContaining("'soon' is not a duration (write e.g. 500ms, 30s, 5m, 1h30m, 2d or PT5M)");
    assertThatThrownBy(() -> tcp("-2s").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("must be a positive duration");
  }

  private static RecoveryPlan load(String yaml) {
    return PlanLoader.create().load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "plan.yaml");
  }
}
