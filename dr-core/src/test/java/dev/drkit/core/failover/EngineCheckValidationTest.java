package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.store.InMemoryStateStore;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code FailoverEngine.build()} checks every check of its config again with its own validator, so a
 * config built with {@code checkValidator(acceptAll())} cannot carry a misspelt parameter into a
 * failover, where it would surface only as an ERROR result.
 */
class EngineCheckValidationTest {
  private static final CheckSpecValidator URL_REQUIRED = spec -> {
    for (String key : spec.params().keySet()) {
      if (!key.equals("url")) {
        throw new ConfigException("params." + key, "unknown parameter '" + key + "' (did you mean 'url'?)");
      }
    }
  };

  private static RecoveryConfig unchecked(CheckSpec... second) {
    return RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10))
        .validation(ValidationStep.allOf("ping", Duration.ofSeconds(1), CheckSpec.of("http", Map.of("url", "x"))))
        .validation(ValidationStep.allOf("smoke", Duration.ofSeconds(1), second))
        .checkValidator(CheckSpecValidator.acceptAll()).build();
  }

  @Test
  void anEngineRefusesAMisspeltParameterOfAConfigBuiltWithoutValidation() {
    InMemoryStateStore store = new InMemoryStateStore();
    Harness h = new Harness(store, unchecked(CheckSpec.of("http", Map.of("url", "x")),
        CheckSpec.of("http", Map.of("urll", "http://orders.internal/health"))));
    assertThatThrownBy(() -> h.builder().checkValidator(URL_REQUIRED).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
            ConfigException.Problem.of("validation[1].checks[1].params.urll",
                "service 'orders', step 'smoke', 'http' check #2: unknown parameter 'urll' (did you mean 'url'?)")));
    // refused before anything is loaded or stored
    assertThat(store.load("orders")).isEmpty();
    assertThat(h.events).isEmpty();
  }

  @Test
  void theEngineChecksWhateverValidatorTheConfigWasBuiltWith() {
    RecoveryConfig valid = unchecked(CheckSpec.of("http", Map.of("url", "y")));
    Harness h = new Harness(new InMemoryStateStore(), valid);
    assertThat(h.builder().checkValidator(URL_REQUIRED).build().state().epoch()).isEqualTo(1);
  }

  @Test
  void acceptAllOnTheEngineChecksNothing() {
    Harness h = new Harness(new InMemoryStateStore(), unchecked(CheckSpec.of("http", Map.of("urll", "x"))));
    assertThat(h.builder().checkValidator(CheckSpecValidator.acceptAll()).build().config().validation()).hasSize(2);
  }

  @Test
  void aValidatorThatFailsIsAProblemOfTheCheckNotACrash() {
    Harness h = new Harness(new InMemoryStateStore(), unchecked(CheckSpec.of("http", Map.of("url", "x"))));
    assertThatThrownBy(() -> h.builder().checkValidator(spec -> {
      throw new IllegalStateException("boom");
    }).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("validation[0].checks[0]: service 'orders', step 'ping'")
        .hasMessageContaining("the check validator failed on this check: java.lang.IllegalStateException: boom");
  }
}
