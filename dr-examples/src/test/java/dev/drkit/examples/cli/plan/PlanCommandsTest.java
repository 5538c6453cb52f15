package dev.drkit.examples.cli.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.examples.cli.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandsTest {
  /** The example plan as shipped in the repository (the README's command uses it). */
  static final Path EXAMPLE = Path.of("plans", "example-plan.yaml");

  @TempDir
  Path dir;

  @Test
  void theShippedExamplePlanIsTheBundledOne() throws IOException {
    byte[] bundled;
    try (var in = PlanCommands.class.getResourceAsStream(PlanCommands.BUNDLED_PLAN)) {
      assertThat(in).isNotNull();
      bundled = in.readAllBytes();
    }
    assertThat(Files.readAllBytes(EXAMPLE)).isEqualTo(bundled);
  }

  @Test
  void checkAcceptsTheExamplePlan() {
    CliRun run = CliRun.of("plan", "check", EXAMPLE.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("valid plan 'shop': 3 services in 2 waves, 4 backup strategies");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void checkPrintsEveryProblemWithFileLineColumnAndPathAndExitsWithTwo() throws IOException {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, """
        services:
          - name: orders
            rpo: -5
            rto: 30m
            dependencies: [ghost]
            validation:
              - name: smoke
                checks: [{type: tcp, port: 80}]
                threshold: 2
          - name: auth
            rpo: 5
            rto: 5
            colour: red
        """);
    CliRun run = CliRun.of("plan", "check", bad.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    List<String> lines = Arrays.asList(run.err().split("\\R"));
    assertThat(lines).containsExactly(
        bad + ":3:10: services[0].rpo: must be positive but was PT-5M",
        bad + ":5:20: services[0].dependencies[0]: service 'orders' depends on unknown service 'ghost'",
        bad + ":8:18: services[0].validation[0].checks[0].host: is required for a 'tcp' check",
        bad + ":9:20: services[0].validation[0].threshold: must be in (0, 1] (the fraction of checks that must pass) but was 2.0",
        bad + ":13:5: services[1].colour: unknown field 'colour'; expected one of name, rpo, rto, priority, dependencies, validation, backup",
        bad + " is invalid: 5 problems");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void checkReportsAMissingFileAsInvalid() {
    CliRun run = CliRun.of("plan", "check", dir.resolve("nope.yaml").toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("nope.yaml").contains("cannot read the plan file");
  }

  @Test
  void checkWithoutAFileIsAUsageError() {
    CliRun run = CliRun.of("plan", "check");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("Missing required parameter: 'FILE'");
  }

  @Test
  void showPrintsTheServicesInRecoveryOrderWithWaves() {
    CliRun run = CliRun.of("plan", "show", EXAMPLE.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> lines = Arrays.asList(run.out().split("\\R"));
    assertThat(lines.get(0)).isEqualTo("Recovery plan 'shop' from " + EXAMPLE
        + ": 3 services in 2 waves (a wave starts when every service it depends on has recovered)");
    assertThat(lines.get(2)).matches("WAVE +SERVICE +PRIORITY +RPO +RTO +DEPENDS ON +VALIDATION +BACKUPS");
    // wave 0: no dependencies, critical before high; wave 1: orders after both of its dependencies
    assertThat(lines.get(3)).matches("0 +auth +critical +1h +15m +- +1 step +nightly \\(full, 0 3 \\* \\* \\*\\)");
    assertThat(lines.get(4)).matches("0 +inventory +high +15m +1h +- +1 step +nightly \\(differential, 30 1 \\* \\* \\*\\)");
    assertThat(lines.get(5)).startsWith("1").contains("orders").contains("critical").contains("5m")
        .contains("30m").contains("inventory, auth").contains("2 steps")
        .contains("weekly-full (full, 0 2 * * 0), hourly (incremental, 0 0 * * * ?)");
    assertThat(lines).hasSize(6);
    // columns line up: every row starts its SERVICE column where the header does
    int serviceColumn = lines.get(2).indexOf("SERVICE");
    for (String row : lines.subList(3, 6)) {
      assertThat(row.charAt(serviceColumn - 1)).isEqualTo(' ');
      assertThat(row.charAt(serviceColumn)).isNotEqualTo(' ');
    }
  }

  @Test
  void showWithoutAFileShowsTheBundledExample() {
    CliRun run = CliRun.of("plan", "show");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("from the bundled example plan").contains("orders");
  }

  @Test
  void showRefusesAnInvalidPlanWithItsProblems() throws IOException {
    Path bad = dir.resolve("cycle.json");
    Files.writeString(bad, """
        {"services": [
          {"name": "a", "rpo": 5, "rto": 5, "dependencies": ["b"]},
          {"name": "b", "rpo": 5, "rto": 5, "dependencies": ["a"]}
        ]}
        """);
    CliRun run = CliRun.of("plan", "show", bad.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(bad + ":2:").contains("dependency cycle: a -> b -> a");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void planWithoutASubcommandIsAUsageError() {
    CliRun run = CliRun.of("plan");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("check").contains("show");
  }
}
