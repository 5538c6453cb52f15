package dev.drkit.examples.cli.drill;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.examples.FileTrees;
import dev.drkit.examples.drill.DrillReport;
import dev.drkit.examples.drill.DrillSettings;
import dev.drkit.examples.drill.OrdersDrill;
import dev.drkit.examples.drill.ReportWriter;
import dev.drkit.examples.drill.Scenario;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code drkit drill}: runs a disaster drill on the example orders service and writes
 * {@code report.json} and {@code report.html}. Exit code 0 when every objective is met, 1 when
 * not, 2 for invalid input (an unknown scenario, an invalid plan or settings file).
 *
 * <p>Register with {@code DrillCommand.commands()} (one line in {@code DrkitCli.COMMAND_GROUPS}).
 */
@Command(name = "drill", mixinStandardHelpOptions = true,
    description = {"Run a disaster drill on the example orders service (two H2 sites behind a router, clients"
        + " writing throughout) and measure RPO and RTO against the plan.",
        "Scenarios: site-loss (default), switchover, restore, pitr, drill."},
    footer = {"", "Exit codes: 0 every objective met, 1 not met, 2 invalid input."})
public final class DrillCommand implements Callable<Integer> {
  /** The bundled plan. */
  public static final String BUNDLED_PLAN = "/drill/orders-plan.yaml";
  /** The bundled drill settings. */
  public static final String BUNDLED_SETTINGS = "/drill/orders-drill.yaml";
  /** Exit code of invalid input. */
  public static final int EXIT_INVALID = 2;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--plan", paramLabel = "FILE", description = "Recovery plan (YAML or JSON); default: the bundled"
      + " drill plan (orders depending on inventory and auth).")
  @Nullable Path plan;

  @Option(names = "--settings", paramLabel = "FILE", description = "Drill settings (replication mode, detection,"
      + " load, pacing); default: the bundled orders-drill.yaml.")
  @Nullable Path settingsFile;

  @Option(names = "--scenario", paramLabel = "NAME", defaultValue = "site-loss",
      description = "site-loss, switchover, restore, pitr or drill (default: ${DEFAULT-VALUE}).")
  String scenario = "site-loss";

  @Option(names = "--mode", paramLabel = "sync|async", description = "Override the replication mode of the settings.")
  @Nullable String mode;

  @Option(names = "--report-dir", paramLabel = "DIR", defaultValue = "drill-report",
      description = "Where report.json and report.html go (default: ${DEFAULT-VALUE}).")
  Path reportDir = Path.of("drill-report");

  @Option(names = "--cpu-stress", paramLabel = "N", defaultValue = "0",
      description = "Load the machine for the run: N busy threads plus one writer forcing 64 MiB chunks to a"
          + " temporary file in the report directory (deleted afterwards); default ${DEFAULT-VALUE} (off).")
  int cpuStress;

  @Option(names = "--keep", description = "Keep the sites' databases (in the report directory's 'work' folder).")
  boolean keep;

  /** Used by picocli. */
  public DrillCommand() {}

  /** @return the top-level commands of this group: {@code drill} */
  public static List<Object> commands() {
    return List.of(new DrillCommand());
  }

  /**
   * Runs {@code drill} alone (the same as {@code drkit drill}).
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DrillCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Scenario s;
    RecoveryConfig config;
    java.util.List<dev.drkit.core.config.BackupStrategy> strategies;
    DrillSettings settings;
    String planSource;
    try {
      if (cpuStress < 0) {
        throw new IllegalArgumentException("--cpu-stress must be >= 0 but was " + cpuStress);
      }
      s = Scenario.parse(scenario);
      settings = settingsFile != null ? DrillSettings.load(settingsFile) : bundledSettings();
      if (mode != null) {
        settings = settings.withReplicationMode(mode);
      }
      RecoveryPlan p = loadPlan();
      planSource = plan != null ? plan.toString() : "bundled:" + BUNDLED_PLAN;
      config = p.service(settings.service());
      strategies = p.backups(config.name());
      out.println("plan " + planSource + ": recovery order " + p.waves().stream()
          .map(w -> w.stream().map(RecoveryConfig::name).toList().toString()).toList()
          + "; drilling '" + config.name() + "' (RPO " + config.rpo().toMillis() + " ms, RTO " + config.rto().toMillis()
          + " ms, priority " + config.priority().configName() + ", depends on " + config.dependencies() + ")");
    } catch (ConfigException e) {
      for (ConfigException.Problem pr : e.problems()) {
        err.println(pr);
      }
      err.println("invalid drill input: " + e.problems().size() + " problem(s)");
      return EXIT_INVALID;
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return EXIT_INVALID;
    }
    Files.createDirectories(reportDir);
    Path work = keep ? reportDir.resolve("work") : Files.createTempDirectory("drkit-drill-");
    if (keep) {
      FileTrees.deleteTree(work);
    }
    DrillReport report;
    try {
      out.println("running " + s.cliName() + " with " + settings.replicationMode() + " replication"
          + (cpuStress > 0 ? ", " + cpuStress + " busy threads and an fsync writer" : "") + " ...");
      out.flush();
      report = new OrdersDrill(config, planSource, settings, work, Clock.systemUTC()).backups(strategies)
          .cpuStress(cpuStress, reportDir).run(s);
    } finally {
      if (!keep) {
        FileTrees.deleteTree(work);
      }
    }
    Path html = ReportWriter.write(report, reportDir);
    out.println(ReportWriter.summary(report));
    out.println("report: " + html.toAbsolutePath() + " and " + reportDir.resolve("report.json").toAbsolutePath());
    out.flush();
    return report.passed() ? 0 : 1;
  }

  private RecoveryPlan loadPlan() throws IOException {
    // The example's own checks are registered by the drill itself once its sites run.
    PlanLoader loader = PlanLoader.withCheckValidator(dev.drkit.examples.drill.DrillPlanChecks.validator());
    if (plan != null) {
      return loader.load(plan);
    }
    try (InputStream in = DrillCommand.class.getResourceAsStream(BUNDLED_PLAN)) {
      if (in == null) {
        throw new IllegalStateException("the bundled drill plan " + BUNDLED_PLAN + " is missing from the jar");
      }
      return loader.load(in, "bundled:" + BUNDLED_PLAN);
    }
  }

  private static DrillSettings bundledSettings() throws IOException {
    try (InputStream in = DrillCommand.class.getResourceAsStream(BUNDLED_SETTINGS)) {
      if (in == null) {
        throw new IllegalStateException("the bundled drill settings " + BUNDLED_SETTINGS + " are missing from the jar");
      }
      return DrillSettings.parse(in, "bundled:" + BUNDLED_SETTINGS);
    }
  }

}
