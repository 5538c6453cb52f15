package dev.drkit.examples.cli.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.examples.drill.ReportWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DrillCommandTest {
  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new DrillCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private Path plan(String rto) throws Exception {
    Path p = tmp.resolve("plan-" + rto + ".yaml");
    Files.writeString(p, """
        version: 1
        services:
          - name: orders
            rpo: 1s
            rto: %s
            priority: critical
            dependencies: [inventory, auth]
            validation:
              - name: reachable
                checks: [{type: orders-http}]
                timeout: 3s
              - name: data
                checks:
                  - {type: jdbc, dataSource: orders-primary, query: "SELECT COUNT(*) FROM orders", sites: {backup: {dataSource: orders-backup}}}
                  - {type: orders-integrity}
                timeout: 3s
          - {name: inventory, rpo: 5m, rto: 10m}
          - {name: auth, rpo: 5m, rto: 10m}
        """.formatted(rto));
    return p;
  }

  private Path settings() throws Exception {
    Path s = tmp.resolve("drill.yaml");
    Files.writeString(s, """
        replication: {mode: sync}
        detection: {interval: 200ms, failures: 3, timeout: 150ms}
        load: {writers: 2, rate: 80}
        pacing: {warmup: 600ms, on-backup: 300ms, settle: 200ms}
        """);
    return s;
  }

  @Test
  @Tag("integration") // a full drill
  void switchoverMeetingItsObjectivesExitsZeroAndWritesBothReports() throws Exception {
    Path reports = tmp.resolve("reports");
    Run r = run("--plan", plan("20s").toString(), "--settings", settings().toString(), "--scenario", "switchover",
        "--report-dir", reports.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("recovery order [[auth, inventory], [orders]]").contains("PHASE")
        .contains("RESULT: every objective met");
    String html = Files.readString(reports.resolve("report.html"));
    assertThat(html).contains("id=\"timeline\"").contains("id=\"objectives\"").contains("id=\"events\"")
        .contains("switchover");
    JsonNode json = ReportWriter.json().readTree(reports.resolve("report.json").toFile());
    assertThat(json.path("scenario").asText()).isEqualTo("switchover");
    assertThat(json.path("rtoObjectiveMs").asLong()).isEqualTo(20_000);
    assertThat(json.path("rpo").path("lostWrites").asLong()).isZero();
    assertThat(json.path("objectives")).allMatch(o -> o.path("met").asBoolean());
  }

  @Test
  @Tag("integration") // a full drill
  void missedObjectiveExitsOne() throws Exception {
    Path reports = tmp.resolve("missed");
    Run r = run("--plan", plan("1ms").toString(), "--settings", settings().toString(), "--scenario", "switchover",
        "--report-dir", reports.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("RESULT: objectives NOT met");
    JsonNode json = ReportWriter.json().readTree(reports.resolve("report.json").toFile());
    assertThat(json.path("objectives")).anyMatch(o -> !o.path("met").asBoolean());
    assertThat(Files.readString(reports.resolve("report.html"))).contains("OBJECTIVES NOT MET");
  }

  @Test
  void unknownScenarioIsInvalidInput() {
    Run r = run("--scenario", "meteor", "--report-dir", tmp.toString());
    assertThat(r.exit()).isEqualTo(DrillCommand.EXIT_INVALID);
    assertThat(r.err()).contains("unknown scenario 'meteor'").contains("site-loss, switchover, restore, pitr, drill");
  }

  @Test
  void invalidSettingsNameTheField() throws Exception {
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(bad, "replication: {mode: eventually}\ndetection: {failures: 0, intervall: 1s}\n");
    Run r = run("--settings", bad.toString(), "--report-dir", tmp.toString());
    assertThat(r.exit()).isEqualTo(DrillCommand.EXIT_INVALID);
    assertThat(r.err()).contains("detection.intervall").contains("unknown field");
    assertThat(Files.exists(tmp.resolve("report.json"))).isFalse();
  }

  @Test
  void invalidPlanIsReportedWithItsLocation() throws Exception {
    Path bad = tmp.resolve("bad-plan.yaml");
    Files.writeString(bad, "services:\n  - name: orders\n    rpo: -1s\n    rto: 1s\n");
    Run r = run("--plan", bad.toString(), "--report-dir", tmp.toString());
    assertThat(r.exit()).isEqualTo(DrillCommand.EXIT_INVALID);
    assertThat(r.err()).contains("bad-plan.yaml").contains("rpo");
  }

  @Test
  void bundledPlanAndSettingsLoad() throws Exception {
    Run r = run("--scenario", "nope");
    assertThat(r.exit()).isEqualTo(DrillCommand.EXIT_INVALID);
    assertThat(dev.drkit.core.plan.PlanLoader.withCheckValidator(dev.drkit.examples.drill.DrillPlanChecks.validator()).load(
        DrillCommand.class.getResourceAsStream(DrillCommand.BUNDLED_PLAN), "bundled").service("orders").rto())
        .isEqualTo(java.time.Duration.ofSeconds(1));
  }
}
