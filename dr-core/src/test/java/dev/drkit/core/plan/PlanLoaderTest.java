package dev.drkit.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.ConfigException.Problem;
import dev.drkit.core.config.CronSchedule;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlanLoaderTest {

  static Path resource(String name) {
    try {
      return Path.of(Objects.requireNonNull(PlanLoaderTest.class.getResource("/plans/" + name)).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static ConfigException invalid(String yaml) {
    try {
      PlanLoader.create().parse(yaml, "bad.yaml");
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  @Test
  void loadsAYamlPlanWithInheritedDefaults() {
    RecoveryPlan plan = PlanLoader.create().load(resource("valid-plan.yaml"));

    assertThat(plan.name()).isEqualTo("shop");
    assertThat(plan.services()).extracting(RecoveryConfig::name).containsExactly("orders", "inventory", "auth", "db");
    RecoveryConfig orders = plan.service("orders");
    assertThat(orders.rpo()).isEqualTo(Duration.ofMinutes(5));
    assertThat(orders.rto()).isEqualTo(Duration.ofMinutes(30));
    assertThat(orders.priority()).isEqualTo(Priority.CRITICAL);
    assertThat(orders.dependencies()).containsExactly("inventory", "auth");
    assertThat(orders.validation()).containsExactly(
        new ValidationStep("smoke", List.of(
            CheckSpec.of("tcp", Map.of("host", "orders.internal", "port", 8080)),
            CheckSpec.of("http", Map.of("url", "http://orders.internal:8080/health", "expect-status", 200))),
            0.5, Duration.ofSeconds(10)),
        new ValidationStep("data", List.of(CheckSpec.of("row-count-check")), 1.0, Duration.ofSeconds(20)));

    // inherited from defaults: rpo 15 (minutes), rto 1h, priority medium
    RecoveryConfig inventory = plan.service("inventory");
    assertThat(inventory.rpo()).isEqualTo(Duration.ofMinutes(15));
    assertThat(inventory.rto()).isEqualTo(Duration.ofHours(1));
    assertThat(inventory.priority()).isEqualTo(Priority.MEDIUM);
    assertThat(plan.service("auth").rpo()).isEqualTo(Duration.ofMinutes(1));
    assertThat(plan.service("auth").rto()).isEqualTo(Duration.ofSeconds(90));
    assertThat(plan.service("db").rpo()).isEqualTo(Duration.ofMinutes(1));
    assertThat(plan.service("db").rto()).isEqualTo(Duration.ofMinutes(90));

    List<BackupStrategy> ordersBackups = plan.backups("orders");
    assertThat(ordersBackups).extracting(BackupStrategy::name).containsExactly("weekly-full", "hourly");
    BackupStrategy weekly = ordersBackups.get(0);
    assertThat(weekly.type()).isEqualTo(BackupType.FULL);
    assertThat(weekly.schedule().flavour()).isEqualTo(CronSchedule.Flavour.UNIX);
    assertThat(weekly.retention().keepWeekly()).isEqualTo(12);
    assertThat(weekly.retention().keepLast()).isZero();
    assertThat(weekly.retention().keepWithin()).isEqualTo(Duration.ofDays(2));
    assertThat(weekly.retention().keepTags()).containsExactly("release");
    assertThat(weekly.encryption()).isEqualTo(EncryptionConfig.aes256Gcm("env:DRKIT_KEY"));
    BackupStrategy hourly = ordersBackups.get(1);
    assertThat(hourly.schedule().flavour()).isEqualTo(CronSchedule.Flavour.QUARTZ);
    assertThat(hourly.retention().keepLast()).isEqualTo(7);
    assertThat(hourly.retention().keepDaily()).isEqualTo(14);

    BackupStrategy inventoryBackup = plan.backups("inventory").get(0);
    assertThat(inventoryBackup.name()).isEqualTo("differential");
    assertThat(inventoryBackup.encryption().algorithm()).isEqualTo(EncryptionConfig.Algorithm.CHACHA20_POLY1305);
    assertThat(plan.backups("auth")).isEmpty();

    assertThat(plan.defaults().validationTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(plan.waves()).hasSize(3);
    assertThat(plan.recoveryOrder()).extracting(RecoveryConfig::name)
        .containsExactly("db", "auth", "inventory", "orders");
  }

  @Test
  void jsonAndYamlGiveTheSamePlan() {
    RecoveryPlan yaml = PlanLoader.create().load(resource("valid-plan.yaml"));
    RecoveryPlan json = PlanLoader.create().load(resource("valid-plan.json"));
    assertThat(json.services()).isEqualTo(yaml.services());
    assertThat(json.backups()).isEqualTo(yaml.backups());
    assertThat(json.defaults()).isEqualTo(yaml.defaults());
  }

  @Test
  void detectsJsonByContentWhenTheNameSaysNothing() throws IOException {
    byte[] json = Files.readAllBytes(resource("valid-plan.json"));
    assertThat(PlanLoader.Format.detect("plan", json)).isEqualTo(PlanLoader.Format.JSON);
    assertThat(PlanLoader.Format.detect("plan.txt", "services: []".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(PlanLoader.Format.YAML);
    try (InputStream in = Files.newInputStream(resource("valid-plan.json"))) {
      assertThat(PlanLoader.create().load(in, "stdin").services()).hasSize(4);
    }
  }

  /** One bad input per row: the YAML, the path, the line and column, and words of the message. */
  static Stream<Arguments> badInputs() {
    return Stream.of(
        Arguments.of("unknown field", """
            services:
              - name: a
                rpoo: 5
                rto: 5
            """, "services[0].rpoo", 3, 5, "unknown field 'rpoo' (did you mean 'rpo'?)"),
        Arguments.of("wrong type of a duration", """
            services:
              - name: a
                rpo: [1, 2]
                rto: 5
            """, "services[0].rpo", 3, 10, "expected a duration"),
        Arguments.of("wrong type of a threshold", """
            services:
              - name: a
                rpo: 5
                rto: 5
                validation:
                  - name: smoke
                    checks: [{type: tcp, port: 1}]
                    threshold: high
            """, "services[0].validation[0].threshold", 8, 20, "expected a number"),
        Arguments.of("wrong type of a list", """
            services:
              - name: a
                rpo: 5
                rto: 5
                dependencies: b
            """, "services[0].dependencies", 5, 19, "expected a list"),
        Arguments.of("services not a list", """
            services: {name: a}
            """, "services", 1, 11, "expected a list"),
        Arguments.of("missing name", """
            services:
              - rpo: 5
                rto: 5
            """, "services[0].name", 2, 5, "needs a name"),
        Arguments.of("invalid name", """
            services:
              - name: "bad name!"
                rpo: 5
                rto: 5
            """, "services[0].name", 2, 11, "not a valid service name"),
        Arguments.of("negative rpo", """
            services:
              - name: a
                rpo: -5
                rto: 5
            """, "services[0].rpo", 3, 10, "must be positive"),
        Arguments.of("zero rto", """
            services:
              - name: a
                rpo: 5
                rto: 0s
            """, "services[0].rto", 4, 10, "must be positive"),
        Arguments.of("missing rpo without defaults", """
            services:
              - name: a
                rto: 5
            """, "services[0].rpo", 2, 5, "'rpo' is required"),
        Arguments.of("unparseable duration", """
            services:
              - name: a
                rpo: 5 minutes
                rto: 5
            """, "services[0].rpo", 3, 10, "is not a duration"),
        Arguments.of("threshold above one", """
            services:
              - name: a
                rpo: 5
                rto: 5
                validation:
                  - name: smoke
                    checks: [{type: tcp}]
                    threshold: 1.5
            """, "services[0].validation[0].threshold", 8, 20, "must be in (0, 1]"),
        Arguments.of("threshold zero", """
            services:
              - name: a
                rpo: 5
                rto: 5
                validation:
                  - name: smoke
                    checks: [{type: tcp}]
                    threshold: 0
            """, "services[0].validation[0].threshold", 8, 20, "must be in (0, 1]"),
        Arguments.of("step without checks", """
            services:
              - name: a
                rpo: 5
                rto: 5
                validation:
                  - name: smoke
                    timeout: 5s
            """, "services[0].validation[0].checks", 6, 9, "at least one check"),
        Arguments.of("check without type", """
            services:
              - name: a
                rpo: 5
                rto: 5
                validation:
                  - name: smoke
                    checks: [{port: 80}]
            """, "services[0].validation[0].checks[0].type", 7, 18, "needs a 'type'"),
        Arguments.of("duplicate step", """
            services:
              - name: a
                rpo: 5
                rto: 5
                validation:
                  - {name: smoke, checks: [tcp]}
                  - {name: smoke, checks: [http]}
            """, "services[0].validation[1].name", 7, 16, "duplicate validation step name 'smoke'"),
        Arguments.of("bad cron", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - schedule: "61 * * * *"
                    encryption: {algorithm: none}
            """, "services[0].backup[0].schedule", 6, 19, "invalid unix cron expression"),
        Arguments.of("cron with too few fields", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - schedule: "* *"
                    encryption: {algorithm: none}
            """, "services[0].backup[0].schedule", 6, 19, "has 2 fields"),
        Arguments.of("backup without encryption", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - schedule: "0 1 * * *"
            """, "services[0].backup[0].encryption", 6, 9, "is required"),
        Arguments.of("key in place of a key source", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - schedule: "0 1 * * *"
                    encryption: {key-source: "s3cr3t-passphrase"}
            """, "services[0].backup[0].encryption.key-source", 7, 34, "never the key itself"),
        Arguments.of("unknown backup type", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - {type: snapshot, schedule: "0 1 * * *", encryption: {algorithm: none}}
            """, "services[0].backup[0].type", 6, 16, "must be one of full, incremental, differential"),
        Arguments.of("negative retention", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - schedule: "0 1 * * *"
                    encryption: {algorithm: none}
                    retention: {keep-last: -1}
            """, "services[0].backup[0].retention.keep-last", 8, 32, "must be >= 0"),
        Arguments.of("huge retention count", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - schedule: "0 1 * * *"
                    encryption: {algorithm: none}
                    retention: {keep-daily: 1e20}
            """, "services[0].backup[0].retention.keep-daily", 8, 33, "whole number between 0 and"),
        Arguments.of("duplicate strategy name", """
            services:
              - name: a
                rpo: 5
                rto: 5
                backup:
                  - {schedule: "0 1 * * *", encryption: {algorithm: none}}
                  - {schedule: "0 2 * * *", encryption: {algorithm: none}}
            """, "services[0].backup[1].name", 7, 9, "two backup strategies named 'full'"),
        Arguments.of("unknown priority", """
            services:
              - name: a
                rpo: 5
                rto: 5
                priority: urgent
            """, "services[0].priority", 5, 15, "must be one of critical, high, medium, low"),
        Arguments.of("duplicate service", """
            services:
              - {name: a, rpo: 5, rto: 5}
              - {name: b, rpo: 5, rto: 5}
              - {name: a, rpo: 5, rto: 5}
            """, "services[2].name", 4, 12, "duplicate service 'a'"),
        Arguments.of("unknown dependency", """
            services:
              - name: a
                rpo: 5
                rto: 5
                dependencies: [b, ghost]
              - {name: b, rpo: 5, rto: 5}
            """, "services[0].dependencies[1]", 5, 23, "unknown service 'ghost'"),
        Arguments.of("self dependency", """
            services:
              - name: a
                rpo: 5
                rto: 5
                dependencies: [a]
            """, "services[0].dependencies[0]", 5, 20, "cannot depend on itself: a -> a"),
        Arguments.of("dependency cycle", """
            services:
              - {name: a, rpo: 5, rto: 5, dependencies: [b]}
              - {name: b, rpo: 5, rto: 5, dependencies: [c]}
              - {name: c, rpo: 5, rto: 5, dependencies: [a]}
            """, "services[0].dependencies[0]", 2, 46, "dependency cycle: a -> b -> c -> a"),
        Arguments.of("duplicate field", """
            services:
              - name: a
                rpo: 5
                rto: 5
                rpo: 6
            """, "services[0].rpo", 5, 5, "duplicate field 'rpo'"),
        Arguments.of("unsupported version", """
            version: 2
            services: [{name: a, rpo: 5, rto: 5}]
            """, "version", 1, 10, "unsupported plan version"),
        Arguments.of("no services", """
            services: []
            """, "services", 1, 11, "at least one service"),
        Arguments.of("root not a mapping", """
            - a
            - b
            """, "", 1, 1, "expected a mapping"),
        Arguments.of("yaml alias", """
            defaults: &d {rpo: 5}
            services:
              - {name: a, rpo: *d, rto: 5}
            """, "services[0].rpo", 3, 20, "YAML aliases"),
        Arguments.of("syntax error", """
            services:
              - name: a
                rpo: [5
                rto: 5
            """, "services[0].rpo[1]", 4, 8, "syntax error"),
        Arguments.of("two documents", """
            services: [{name: a, rpo: 5, rto: 5}]
            ---
            services: [{name: b, rpo: 5, rto: 5}]
            """, "", 3, 1, "exactly one document"),
        Arguments.of("empty file", "", "", 1, 1, "the file is empty"),
        Arguments.of("bad default threshold", """
            defaults:
              validation: {threshold: 2}
            services: [{name: a, rpo: 5, rto: 5}]
            """, "defaults.validation.threshold", 2, 27, "must be in (0, 1]"),
        Arguments.of("too large duration", """
            services:
              - name: a
                rpo: 1e300
                rto: 5
            """, "services[0].rpo", 3, 10, "too large"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void reportsEachBadInputWithPathLineAndColumn(String label, String yaml, String path, int line, int column,
      String words) {
    ConfigException e = invalid(yaml);
    assertThat(e.problems()).as("problems of %s: %s", label, e.getMessage())
        .anySatisfy(p -> {
          assertThat(p.path()).isEqualTo(path);
          assertThat(p.source()).isEqualTo("bad.yaml");
          assertThat(p.line()).isEqualTo(line);
          assertThat(p.column()).isEqualTo(column);
          assertThat(p.message()).contains(words);
        });
  }

  @Test
  void collectsEveryProblemRatherThanStoppingAtTheFirst() {
    ConfigException e = invalid("""
        services:
          - name: a
            rpo: -1
            rto: 0
            colour: blue
            validation:
              - name: smoke
                checks: [{type: tcp}]
                threshold: 7
          - name: b
            rpo: 5
            rto: 5
            dependencies: [nowhere]
            backup:
              - {schedule: "not cron", encryption: {algorithm: none}}
        """);
    assertThat(e.problems()).extracting(Problem::path).containsExactly(
        "services[0].rpo", "services[0].rto", "services[0].colour", "services[0].validation[0].threshold",
        "services[1].dependencies[0]", "services[1].backup[0].schedule");
    assertThat(e.getMessage()).startsWith("6 configuration problems:")
        .contains("bad.yaml:3:10: services[0].rpo: must be positive");
  }

  @Test
  void reportsJsonProblemsWithLineAndColumn() {
    String json = """
        {
          "services": [
            {"name": "a", "rpo": 5, "rto": "soon"}
          ]
        }
        """;
    assertThatThrownBy(() -> PlanLoader.create().parse(json, "plan.json"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
            .satisfies(p -> {
              assertThat(p.path()).isEqualTo("services[0].rto");
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.column()).isEqualTo(36);
              assertThat(p.source()).isEqualTo("plan.json");
            }));
    assertThatThrownBy(() -> PlanLoader.create().parse("{\"services\": [}", "broken.json"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
            .satisfies(p -> {
              assertThat(p.message()).startsWith("syntax error");
              assertThat(p.line()).isEqualTo(1);
              assertThat(p.column()).isEqualTo(15);
            }));
  }

  @Test
  void placesTheCheckValidatorsProblemsUnderTheCheck() {
    CheckSpecValidator tcpNeedsPort = spec -> {
      if (spec.type().equals("tcp") && spec.param("port") == null) {
        throw new ConfigException("params.port", "a tcp check needs a port");
      }
      if (spec.type().equals("tcp") && !spec.param("port").matches("\\d+")) {
        throw new ConfigException("params.port", "not a port number");
      }
      if (spec.type().equals("explode")) {
        throw new IllegalStateException("validator bug");
      }
    };
    String yaml = """
        services:
          - name: a
            rpo: 5
            rto: 5
            validation:
              - name: smoke
                checks:
                  - {type: tcp, host: x}
                  - {type: tcp, port: eighty}
                  - {type: explode}
        """;
    assertThatThrownBy(() -> PlanLoader.withCheckValidator(tcpNeedsPort).parse(yaml, "v.yaml"))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).extracting(Problem::path).containsExactly(
              "services[0].validation[0].checks[0].port",
              "services[0].validation[0].checks[1].port",
              "services[0].validation[0].checks[2]");
          assertThat(e.problems().get(0).line()).isEqualTo(8);
          assertThat(e.problems().get(1).line()).isEqualTo(9);
          assertThat(e.problems().get(1).column()).isEqualTo(31);
          assertThat(e.problems().get(2).message()).contains("validator failed").contains("validator bug");
        });
    assertThat(PlanLoader.create().parse(yaml, "v.yaml").service("a").validation().get(0).checks()).hasSize(3);
  }

  @Test
  void refusesDeepNestingAndOversizedFiles(@TempDir Path dir) throws IOException {
    String deep = "services:\n  - name: a\n    rpo: 5\n    rto: 5\n    validation:\n      - name: s\n"
        + "        checks: [{type: x, p: " + "[".repeat(100) + "]".repeat(100) + "}]\n";
    assertThat(invalid(deep).problems()).anySatisfy(p -> assertThat(p.message()).contains("nested too deeply"));

    Path big = dir.resolve("big.yaml");
    Files.write(big, new byte[PlanLoader.MAX_BYTES + 1]);
    assertThatThrownBy(() -> PlanLoader.create().load(big)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("at most " + PlanLoader.MAX_BYTES + " bytes");
  }

  @Test
  void reportsUnreadableFilesAsConfigErrors(@TempDir Path dir) {
    assertThatThrownBy(() -> PlanLoader.create().load(dir.resolve("missing.yaml")))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems().get(0).source()).endsWith("missing.yaml");
          assertThat(e.getMessage()).contains("cannot read the plan file");
        });
    assertThatThrownBy(() -> PlanLoader.create().load(dir)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("is a directory");
  }

  @Test
  void aDefaultEncryptionAppliesToEveryStrategyWithoutOne() {
    RecoveryPlan plan = PlanLoader.create().parse("""
        defaults:
          rpo: 10
          rto: 1h
          backup:
            encryption: {key-source: "host:main"}
        services:
          - name: a
            backup: [{schedule: "0 1 * * *"}, {name: quick, type: incremental, schedule: "*/15 * * * *"}]
        """, "d.yaml");
    assertThat(plan.backups("a")).extracting(BackupStrategy::encryption)
        .containsOnly(EncryptionConfig.aes256Gcm("host:main"));
    assertThat(plan.service("a").rpo()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void aBrokenServiceIsNotCalledUnknownByItsDependents() {
    ConfigException e = invalid("""
        services:
          - {name: a, rpo: 5, rto: 5, dependencies: [b]}
          - {name: b, rpo: -1, rto: 5, dependencies: [c]}
          - {name: c, rpo: 5, rto: 5, dependencies: [b]}
        """);
    assertThat(e.problems()).extracting(Problem::message).noneMatch(m -> m.contains("unknown service"))
        .anyMatch(m -> m.equals("dependency cycle: b -> c -> b"));
    assertThat(e.problems()).extracting(Problem::path).contains("services[1].rpo", "services[1].dependencies[0]");
  }

  @Test
  void capsTheNumberOfProblemsReported() {
    StringBuilder yaml = new StringBuilder("services:\n  - name: a\n    rpo: 5\n    rto: 5\n");
    for (int i = 0; i < 2_000; i++) {
      yaml.append("    unknown").append(i).append(": x\n");
    }
    ConfigException e = invalid(yaml.toString());
    assertThat(e.problems()).hasSize(501);
    assertThat(e.problems().get(500).message()).isEqualTo("1500 more problems not shown");
  }
}
