package dev.drkit.examples.cli.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.examples.cli.drill.DrillCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SoakCommandTest {
  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new SoakCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return new Run(cli.execute(args), out.toString(), err.toString());
  }

  @Test
  void invalidArgumentsAreInvalidInputNamingTheOption() {
    Run zero = run("--schedules", "0", "--report", tmp.resolve("r.json").toString());
    assertThat(zero.exit()).isEqualTo(DrillCommand.EXIT_INVALID);
    assertThat(zero.err()).contains("--schedules must be >= 1 but was 0");
    Run mode = run("--mode", "eventually", "--report", tmp.resolve("r.json").toString());
    assertThat(mode.exit()).isEqualTo(DrillCommand.EXIT_INVALID);
    assertThat(mode.err()).contains("--mode must be sync or async but was 'eventually'");
  }

  @Test
  @Tag("integration")
  void oneScheduleWritesItsVerdictToTheReport() throws Exception {
    Path report = tmp.resolve("soak.json");
    Run r = run("--schedules", "1", "--seed", "1001", "--converge", "60000", "--report", report.toString(),
        "--work-dir", tmp.resolve("work").toString());
    assertThat(r.exit()).as(r.out() + r.err()).isIn(0, 1);
    assertThat(r.out()).contains("seed 1001: ").contains("1 schedules (sync, seeds 1001..1001)");
    JsonNode rows = new ObjectMapper().readTree(report.toFile());
    assertThat(rows).hasSize(1);
    JsonNode row = rows.get(0);
    assertThat(row.path("seed").asLong()).isEqualTo(1001);
    assertThat(row.path("faults")).isNotEmpty();
    assertThat(row.path("acknowledged").asLong()).isPositive();
    // Exit code and verdict agree.
    assertThat(r.exit() == 0).isEqualTo(row.path("clean").asBoolean());
    assertThat(tmp.resolve("work").resolve("seed-1001")).doesNotExist();
  }
}
