package dev.drkit.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.checks.TcpCheck;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckRegistryTest {
  private final CheckRegistry registry = CheckRegistry.withBuiltIns();
  private final CheckSpecValidator validator = registry.specValidator();

  private static List<String> paths(Throwable t) {
    return ((ConfigException) t).problems().stream().map(ConfigException.Problem::path).toList();
  }

  @Test
  void knowsTheBuiltInTypes() {
    assertThat(registry.types()).contains("tcp", "http", "jdbc", "integrity", "synthetic", "performance");
  }

  @Test
  void unknownTypeIsAConfigErrorNamingTypeAndListingTheKnownOnes() {
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("tpc", Map.of("host", "h", "port", 1))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("type: unknown check type 'tpc'")
        .hasMessageContaining("tcp");
  }

  @Test
  void missingParameterIsAConfigErrorNamingTheField() {
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("tcp", Map.of("host", "127.0.0.1"))))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.port"))
        .hasMessageContaining("params.port: is required");
  }

  @Test
  void illTypedAndOutOfRangeParametersNameTheirFields() {
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("tcp", Map.of("host", List.of("a"), "port", 70000))))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.host", "params.port"))
        .hasMessageContaining("must be a string")
        .hasMessageContaining("between 1 and 65535");
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("tcp", Map.of("host", "h", "port", "eighty"))))
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.port"))
        .hasMessageContaining("must be an integer");
  }

  @Test
  void unknownParameterIsReportedSoTyposAreNotIgnored() {
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("tcp", Map.of("host", "h", "port", 1, "prot", 2))))
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.prot"))
        .hasMessageContaining("unknown parameter");
  }

  @Test
  void reportsEveryProblemOfACheckAtOnce() {
    Map<String, Object> params = Map.of("url", "ftp://x", "method", "BREW", "bodyRegex", "(", "expectedStatus",
        List.of(200, 999), "headers", Map.of("X-Ok", "1"));
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("http", params)))
        .satisfies(e -> assertThat(paths(e)).containsExactlyInAnyOrder("params.url", "params.method",
            "params.bodyRegex", "params.expectedStatus[1]"));
  }

  @Test
  void referenceToAnUnregisteredResourceIsAConfigError() {
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("jdbc", Map.of("dataSource", "orders", "query", "SELECT 1"))))
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.dataSource"))
        .hasMessageContaining("no DataSource is registered under the name 'orders'");
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("synthetic", Map.of())))
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.transaction"));
  }

  @Test
  void hostRegisteredCheckIsFoundByNameAndTakesNoParameters() throws Exception {
    HealthCheck mine = ctx -> HealthResult.healthy("mine");
    registry.registerCheck("orders-consistency", mine);
    validator.validate(CheckSpec.of("orders-consistency"));
    assertThat(registry.create(CheckSpec.of("orders-consistency", Map.of("name", "n")), Site.BACKUP)).isSameAs(mine);
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("orders-consistency", Map.of("x", 1))))
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.x"));
  }

  @Test
  void refusesDuplicateAndInvalidNames() {
    assertThatThrownBy(() -> registry.registerCheck("tcp", ctx -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
    assertThatThrownBy(() -> registry.registerCheck("bad name!", ctx -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid name");
  }

  @Test
  void siteOverridesApplyToTheProbedSiteAndAreValidatedForBoth() {
    Map<String, Object> params = Map.of("host", "127.0.0.1", "port", 5432,
        "sites", Map.of("backup", Map.of("port", 6432)));
    assertThat(registry.create(CheckSpec.of("tcp", params), Site.PRIMARY).toString()).isEqualTo("tcp 127.0.0.1:5432");
    assertThat(registry.create(CheckSpec.of("tcp", params), Site.BACKUP).toString()).isEqualTo("tcp 127.0.0.1:6432");
    Map<String, Object> bad = Map.of("host", "127.0.0.1", "port", 5432, "sites", Map.of("backup", Map.of("port", -1),
        "tertiary", Map.of()));
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("tcp", bad)))
        .satisfies(e -> assertThat(paths(e)).contains("params.port", "params.sites.tertiary"))
        .hasMessageContaining("for site backup");
  }

  @Test
  void customTypeParticipatesInValidation() {
    registry.registerType("echo", p -> {
      String text = p.requireString("text");
      p.ensureValid();
      return ctx -> HealthResult.healthy(text);
    });
    validator.validate(CheckSpec.of("echo", Map.of("text", "hi")));
    assertThatThrownBy(() -> validator.validate(CheckSpec.of("echo", Map.of())))
        .satisfies(e -> assertThat(paths(e)).containsExactly("params.text"));
  }

  @Test
  void displayNamePrefersTheNameParameter() {
    assertThat(CheckRegistry.displayName(CheckSpec.of("tcp", Map.of("host", "db", "port", 5432)))).isEqualTo("tcp db:5432");
    assertThat(CheckRegistry.displayName(CheckSpec.of("tcp", Map.of("name", "database port")))).isEqualTo("database port");
    assertThat(CheckRegistry.displayName(CheckSpec.of("http", Map.of("url", "http://x/health"))))
        .isEqualTo("http http://x/health");
  }

  @Test
  void builtCheckIsTheDeclaredType() {
    assertThat(registry.create(CheckSpec.of("tcp", Map.of("host", "127.0.0.1", "port", "8080")), Site.PRIMARY))
        .isInstanceOf(TcpCheck.class);
  }
}
