package dev.drkit.examples.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.drkit.core.StorageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Writes a {@link DrillReport} as {@code report.json}, as a self-contained {@code report.html}
 * (see {@link HtmlReport}) and as a console summary table.
 */
public final class ReportWriter {
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

  private ReportWriter() {}

  /** @return the mapper that writes (and can read) report.json */
  public static ObjectMapper json() {
    return JSON;
  }

  /**
   * Writes {@code report.json} and {@code report.html} into {@code dir} (created if absent), each
   * atomically (a temporary file renamed into place).
   *
   * @param report the drill's result
   * @param dir the report directory
   * @return the HTML file
   * @throws StorageException naming the file when it cannot be written
   */
  public static Path write(DrillReport report, Path dir) {
    try {
      Files.createDirectories(dir);
      writeAtomically(dir.resolve("report.json"), JSON.writeValueAsBytes(report));
      Path html = dir.resolve("report.html");
      writeAtomically(html, HtmlReport.render(report).getBytes(StandardCharsets.UTF_8));
      return html;
    } catch (IOException e) {
      throw new StorageException("could not write the drill report into " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, content);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Prints the summary table (phase, start, duration, budget, verdict) and the objectives.
   *
   * @param report the drill's result
   * @param out where to print
   */
  public static void printSummary(DrillReport report, PrintStream out) {
    out.println(summary(report));
  }

  /**
   * @param report the drill's result
   * @return the summary table as text
   */
  public static String summary(DrillReport report) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "drill %s of service %s (%s replication, plan %s)%n", report.scenario(),
        report.service(), report.replicationMode(), report.plan()));
    int width = Math.max(24, report.phases().stream().mapToInt(p -> p.name().length()).max().orElse(0) + 2);
    String fmt = "%-" + width + "s %10s %10s %10s  %-7s%n";
    sb.append(String.format(Locale.ROOT, fmt, "PHASE", "START", "DURATION", "BUDGET", "VERDICT"));
    for (DrillReport.Phase p : report.phases()) {
      sb.append(String.format(Locale.ROOT, fmt, p.name(), p.startMs() + " ms", p.durationMs() + " ms",
          p.budgetMs() == null ? "-" : p.budgetMs() + " ms", p.verdict()));
    }
    sb.append(String.format(Locale.ROOT, "%n%-" + width + "s %-16s %-28s %s%n", "OBJECTIVE", "TARGET", "MEASURED",
        "MET"));
    for (DrillReport.Objective o : report.objectives()) {
      sb.append(String.format(Locale.ROOT, "%-" + width + "s %-16s %-28s %s%n", o.name(), o.target(), o.measured(),
          o.met() ? "yes" : "NO"));
    }
    sb.append(String.format(Locale.ROOT, "%nSETTINGS%n"));
    report.settings().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-" + width + "s %s%n", k, v)));
    sb.append(report.passed() ? "RESULT: every objective met" : "RESULT: objectives NOT met");
    return sb.toString();
  }
}
