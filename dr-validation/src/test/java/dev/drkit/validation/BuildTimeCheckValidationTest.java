package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.CheckResult;
import dev.drkit.core.ConfigException;
import dev.drkit.core.StepResult;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.testkit.InMemoryFailoverActions;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With dr-validation on the class path, configurations built in code, plans built in code and plans
 * loaded from files all refuse an unknown check type or parameter when they are built, through the
 * validator dr-core finds with ServiceLoader, instead of failing as an ERROR result mid-failover.
 */
class BuildTimeCheckValidationTest {

  private static RecoveryConfig.Builder service(CheckSpec... checks) {
    return RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
        .validation(ValidationStep.allOf("smoke", Duration.ofSeconds(10), checks));
  }

  @Test
  void theDiscoveredValidatorIsDrValidationsOwn() {
    assertThatThrownBy(() -> CheckSpecValidator.discovered().validate(CheckSpec.of("nosuch")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown check type 'nosuch'");
  }

  @Test
  void aMisspeltHttpParameterFailsTheConfigNamingServiceStepAndParameterWithASuggestion() {
    CheckSpec ok = CheckSpec.of("tcp", Map.of("host", "db", "port", 5432));
    CheckSpec typo = CheckSpec.of("http", Map.of("urll", "http://orders.internal/health"));
    assertThatThrownBy(() -> service(ok, typo).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).extracting(ConfigException.Problem::path)
              .contains("validation[0].checks[1].params.urll", "validation[0].checks[1].params.url");
          ConfigException.Problem urll = e.problems().stream()
              .filter(p -> p.path().endsWith("params.urll")).findFirst().orElseThrow();
          assertThat(urll.message()).contains("service 'orders'", "step 'smoke'", "'http' check #2",
              "unknown parameter 'urll'", "did you mean 'url'?");
        });
  }

  @Test
  void anUnknownCheckTypeFailsTheConfigWithASuggestion() {
    assertThatThrownBy(() -> service(CheckSpec.of("htpp", Map.of("url", "http://x/"))).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("validation[0].checks[0].type")
        .hasMessageContaining("unknown check type 'htpp' (did you mean 'http'?)")
        .hasMessageContaining("service 'orders', step 'smoke'");
  }

  @Test
  void aValidConfigBuildsWithoutItsDataSourceRegisteredYet() {
    RecoveryConfig config = service(CheckSpec.of("jdbc", Map.of("dataSource", "registered-later", "query",
        "select 1"))).build();
    assertThat(config.validation()).hasSize(1);
  }

  @Test
  void theRegistrysStrictValidatorAlsoRequiresTheDataSource() {
    CheckRegistry registry = CheckRegistry.withBuiltIns();
    assertThatThrownBy(() -> service(CheckSpec.of("jdbc", Map.of("dataSource", "nope", "query", "select 1")))
        .checkValidator(registry.specValidator()).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("validation[0].checks[0].params.dataSource")
        .hasMessageContaining("no DataSource is registered under the name 'nope'");
  }

  @Test
  void aHostCheckIsAcceptedOnceRegisteredOnARegistry() {
    CheckSpec custom = CheckSpec.of("orders-consistency-" + System.identityHashCode(this));
    assertThatThrownBy(() -> service(custom).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("must be registered on a CheckRegistry");
    CheckRegistry registry = CheckRegistry.withBuiltIns().registerCheck(custom.type(), ctx -> HealthResult.healthy("ok"));
    assertThat(service(custom).build().validation()).hasSize(1);
    assertThatThrownBy(() -> service(CheckSpec.of(custom.type(), Map.of("x", 1))).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("takes no parameters");
    assertThat(registry.types()).contains(custom.type());
  }

  @Test
  void aHostTypeIsValidatedByItsFactory() {
    String type = "echo-" + System.identityHashCode(this);
    CheckRegistry registry = CheckRegistry.withBuiltIns().registerType(type, p -> {
      String text = p.requireString("text");
      p.ensureValid();
      return ctx -> HealthResult.healthy(text);
    });
    assertThat(service(CheckSpec.of(type, Map.of("text", "hi"))).build().validation()).hasSize(1);
    assertThatThrownBy(() -> service(CheckSpec.of(type, Map.of("txet", "hi"))).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("params.text: service 'orders', step 'smoke', '" + type + "' check #1: is required")
        .hasMessageContaining("unknown parameter 'txet'").hasMessageContaining("did you mean 'text'?");
    assertThat(registry.types()).contains(type);
  }

  @Test
  void aSiteOverrideIsValidatedForBothSites() {
    CheckSpec spec = CheckSpec.of("tcp", Map.of("host", "db", "port", 5432,
        "sites", Map.of("backup", Map.of("prot", 6432))));
    assertThatThrownBy(() -> service(spec).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown parameter 'prot'").hasMessageContaining("did you mean 'port'?");
  }

  @Test
  void aPlanBuiltInCodeRevalidatesConfigsBuiltWithoutValidation() {
    RecoveryConfig unchecked = service(CheckSpec.of("http", Map.of("urll", "http://x/")))
        .checkValidator(CheckSpecValidator.acceptAll()).build();
    assertThatThrownBy(() -> RecoveryPlan.builder().service(unchecked).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("services[0].validation[0].checks[0].params.urll")
        .hasMessageContaining("did you mean 'url'?");
    assertThat(RecoveryPlan.builder().checkValidator(CheckSpecValidator.acceptAll()).service(unchecked).build()
        .services()).hasSize(1);
  }

  @Test
  void anEngineRevalidatesAConfigBuiltWithoutValidation() {
    RecoveryConfig unchecked = service(CheckSpec.of("tcp", Map.of("host", "db", "port", 5432)),
        CheckSpec.of("http", Map.of("urll", "http://orders.internal/health")))
        .checkValidator(CheckSpecValidator.acceptAll()).build();
    InMemoryStateStore store = new InMemoryStateStore();
    FailoverActions actions = new InMemoryFailoverActions("orders", 1);
    assertThatThrownBy(() -> FailoverEngine.builder(unchecked).stateStore(store).actions(actions)
        .coordinator(new LocalCoordinator()).validator(Validator.of(CheckRegistry.withBuiltIns())).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          ConfigException.Problem urll = e.problems().stream()
              .filter(p -> p.path().equals("validation[0].checks[1].params.urll")).findFirst().orElseThrow();
          assertThat(urll.message()).contains("service 'orders'", "step 'smoke'", "'http' check #2",
              "unknown parameter 'urll'", "did you mean 'url'?");
        });
    assertThat(store.load("orders")).isEmpty();
  }

  @Test
  void theDefaultPlanLoaderRefusesAMisspeltParameterWithItsLine() {
    String yaml = """
        services:
          - name: orders
            rpo: 5m
            rto: 30m
            validation:
              - name: smoke
                checks:
                  - {type: http, urll: "http://orders.internal/health"}
        """;
    assertThatThrownBy(() -> PlanLoader.create().load(
        new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "plan.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("plan.yaml:8:")
        .hasMessageContaining("services[0].validation[0].checks[0].urll")
        .hasMessageContaining("did you mean 'url'?");
  }

  @Test
  void aCheckWithASiteOverrideIsNamedAfterWhatItProbesOnEachSite() {
    CheckSpec spec = CheckSpec.of("http", Map.of("url", "http://primary.internal/health",
        "sites", Map.of("backup", Map.of("url", "http://backup.internal/health"))));
    assertThat(CheckRegistry.displayName(spec, Site.PRIMARY)).isEqualTo("http http://primary.internal/health");
    assertThat(CheckRegistry.displayName(spec, Site.BACKUP)).isEqualTo("http http://backup.internal/health");
    CheckSpec named = CheckSpec.of("tcp", Map.of("name", "db port", "host", "a", "port", 1,
        "sites", Map.of("backup", Map.of("host", "b"))));
    assertThat(CheckRegistry.displayName(named, Site.BACKUP)).as("a named check says the site it probes")
        .isEqualTo("db port (backup)");
    assertThat(CheckRegistry.displayName(named, Site.PRIMARY)).as("no override for the primary").isEqualTo("db port");
    CheckSpec namedPerSite = CheckSpec.of("tcp", Map.of("name", "db port", "host", "a", "port", 1,
        "sites", Map.of("backup", Map.of("host", "b", "name", "dr db port"))));
    assertThat(CheckRegistry.displayName(namedPerSite, Site.BACKUP)).isEqualTo("dr db port");
    assertThat(CheckRegistry.displayName(namedPerSite, Site.PRIMARY)).isEqualTo("db port");
  }

  @Test
  void aNamedCheckWithAnOverrideReportsTheSiteItProbedInItsResult() throws Exception {
    try (ServerSocket backup = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CheckSpec spec = CheckSpec.of("tcp", Map.of("name", "orders port", "host", "primary.invalid", "port", 1,
          "sites", Map.of("backup", Map.of("host", "127.0.0.1", "port", backup.getLocalPort()))));
      StepRunner runner = StepRunner.builder(CheckRegistry.withBuiltIns()).retryPolicy(StepRunner.noRetries()).build();
      StepResult r = runner.run("orders", Site.BACKUP, 1,
          ValidationStep.allOf("reachable", Duration.ofSeconds(30), spec));
      assertThat(r.checks()).extracting(CheckResult::name).containsExactly("orders port (backup)");
      assertThat(r.checks().get(0).status()).isEqualTo(CheckResult.Status.PASSED);
    }
  }

  @Test
  void stepResultsNameTheBackupsHostWhenTheBackupIsProbed() throws Exception {
    try (ServerSocket backup = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CheckSpec spec = CheckSpec.of("tcp", Map.of("host", "primary.invalid", "port", 1,
          "sites", Map.of("backup", Map.of("host", "127.0.0.1", "port", backup.getLocalPort()))));
      StepRunner runner = StepRunner.builder(CheckRegistry.withBuiltIns()).retryPolicy(StepRunner.noRetries()).build();
      StepResult r = runner.run("orders", Site.BACKUP, 1,
          ValidationStep.allOf("reachable", Duration.ofSeconds(30), spec));
      assertThat(r.checks()).extracting(CheckResult::name).containsExactly("tcp 127.0.0.1:" + backup.getLocalPort());
      assertThat(r.checks().get(0).status()).isEqualTo(CheckResult.Status.PASSED);
    }
  }
}
