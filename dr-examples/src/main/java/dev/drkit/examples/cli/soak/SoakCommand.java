package dev.drkit.examples.cli.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.examples.FileTrees;
import dev.drkit.examples.cli.drill.DrillCommand;
import dev.drkit.examples.soak.SoakChecker;
import dev.drkit.examples.soak.SoakRun;
import dev.drkit.examples.soak.SoakSchedule;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code drkit soak}: runs seeded fault schedules (kills, pauses, partitions through fault-injecting
 * proxies, CPU starvation, clock jumps) against the example orders service protected by drkit,
 * while clients write through the router, and checks each run: lost acknowledged writes, split
 * brain, the longest time with no serving site, a site serving at the end. Schedule {@code i} uses
 * seed {@code S + i}, so any schedule replays alone with {@code --seed S+i --schedules 1}. Exit code
 * 0 when every schedule met every target, 1 when one did not, 2 for invalid input.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = {"Jepsen-style soak of failover plus replication on the example orders service: seeded schedules"
        + " of kills, pauses, network faults, CPU starvation and clock jumps, checked against the clients' ledger"
        + " and the sites' acceptance logs."},
    footer = {"", "Exit codes: 0 every schedule clean, 1 a target missed, 2 invalid input."})
public final class SoakCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--schedules", paramLabel = "N", defaultValue = "10", description = "How many schedules"
      + " (default: ${DEFAULT-VALUE}).")
  int schedules = 10;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the first schedule; schedule"
      + " i uses S + i (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--mode", paramLabel = "sync|async", defaultValue = "sync", description = "Replication mode"
      + " (default: ${DEFAULT-VALUE}; the lost-writes target of 0 applies to sync).")
  String mode = "sync";

  @Option(names = "--fault-window", paramLabel = "MS", defaultValue = "2500", description = "Faults start within this"
      + " many milliseconds of the start (default: ${DEFAULT-VALUE}).")
  long faultWindowMs = 2500;

  @Option(names = "--converge", paramLabel = "MS", defaultValue = "15000", description = "How long the healed service"
      + " may take to settle before it is checked (default: ${DEFAULT-VALUE}).")
  long convergeMs = 15_000;

  @Option(names = "--report", paramLabel = "FILE", defaultValue = "soak-report.json", description = "Where the"
      + " per-schedule results go as JSON (default: ${DEFAULT-VALUE}).")
  Path report = Path.of("soak-report.json");

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the sites' databases go (default: a"
      + " temporary directory, deleted after each schedule).")
  @org.jspecify.annotations.Nullable Path workDir;

  /** Used by picocli. */
  public SoakCommand() {}

  /** @return the top-level commands of this group: {@code soak} */
  public static List<Object> commands() {
    return List.of(new SoakCommand());
  }

  /**
   * The recovery config the soak protects the orders service with: the bundled drill plan's
   * (RPO 1 s, RTO 1 s) with two validation steps, the router serving the active site and no
   * acknowledged write missing from it.
   *
   * @return the config
   * @throws IOException when the bundled plan cannot be read
   */
  public static RecoveryConfig soakConfig() throws IOException {
    try (InputStream in = DrillCommand.class.getResourceAsStream(DrillCommand.BUNDLED_PLAN)) {
      if (in == null) {
        throw new IllegalStateException("the bundled drill plan " + DrillCommand.BUNDLED_PLAN + " is missing");
      }
      RecoveryConfig base = PlanLoader.withCheckValidator(dev.drkit.examples.drill.DrillPlanChecks.validator())
          .load(in, "bundled:" + DrillCommand.BUNDLED_PLAN).service("orders");
      return RecoveryConfig.from(base).validation(List.of(
          ValidationStep.allOf("reachable", Duration.ofSeconds(1), CheckSpec.of("orders-http")),
          ValidationStep.allOf("data", Duration.ofSeconds(1), CheckSpec.of("orders-integrity"))))
          .checkValidator(dev.drkit.examples.drill.DrillPlanChecks.validator()).build();
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (schedules < 1) {
      err.println("--schedules must be >= 1 but was " + schedules);
      return DrillCommand.EXIT_INVALID;
    }
    if (!mode.equals("sync") && !mode.equals("async")) {
      err.println("--mode must be sync or async but was '" + mode + "'");
      return DrillCommand.EXIT_INVALID;
    }
    if (faultWindowMs < 1 || convergeMs < 1) {
      err.println("--fault-window and --converge must be >= 1 ms");
      return DrillCommand.EXIT_INVALID;
    }
    RecoveryConfig config = soakConfig();
    boolean sync = mode.equals("sync");
    List<SoakRun.Result> results = new ArrayList<>();
    int clean = 0;
    for (int i = 0; i < schedules; i++) {
      SoakSchedule s = SoakSchedule.generate(seed + i, Duration.ofMillis(faultWindowMs));
      Path dir = workDir != null ? workDir.resolve("seed-" + s.seed()) : Files.createTempDirectory("drkit-soak-");
      SoakRun.Result r;
      try {
        r = new SoakRun(s, dir, sync, config, Duration.ofMillis(convergeMs)).run();
      } finally {
        FileTrees.deleteTree(dir);
      }
      results.add(r);
      SoakChecker.Verdict v = r.verdict();
      if (v.clean()) {
        clean++;
      }
      out.println(String.format(Locale.ROOT, "seed %d: %s | lost %d of %d acked, split-brain %d ms%s, longest no-serving"
          + " %d ms, end %s@%d serving %s, failed phases %d, breaches %d, %d ms | %s", s.seed(),
          v.clean() ? "clean" : "TARGET MISSED", v.lostAcknowledged(), v.acknowledged(), v.splitBrainMs(),
          v.sharedEpochs().isEmpty() ? "" : " (epochs shared: " + v.sharedEpochs() + ")", v.longestNoServingMs(),
          r.finalState(), r.finalEpoch(), r.servingSite().isEmpty() ? "none" : r.servingSite(), r.failedStates(),
          r.budgetBreaches(), r.durationMs(), s.faults()));
      if (!v.clean()) {
        r.notes().forEach(n -> out.println("    " + n));
        if (!v.lostIds().isEmpty()) {
          out.println("    lost: " + v.lostIds());
        }
      }
      out.flush();
    }
    writeReport(results);
    long lost = results.stream().mapToLong(r -> r.verdict().lostAcknowledged()).sum();
    long split = results.stream().mapToLong(r -> r.verdict().splitBrainMs()).sum();
    long maxGap = results.stream().mapToLong(r -> r.verdict().longestNoServingMs()).max().orElse(0);
    long[] gaps = results.stream().mapToLong(r -> r.verdict().longestNoServingMs()).sorted().toArray();
    out.println(String.format(Locale.ROOT, "%d schedules (%s, seeds %d..%d): %d clean; lost acknowledged writes %d;"
        + " split-brain %d ms; longest no-serving window per schedule: median %d ms, max %d ms; serving at end %d/%d;"
        + " report %s", schedules, mode, seed, seed + schedules - 1, clean, lost, split, gaps[gaps.length / 2], maxGap,
        results.stream().filter(r -> r.verdict().servingAtEnd()).count(), schedules, report.toAbsolutePath()));
    out.flush();
    return clean == schedules ? 0 : 1;
  }

  private void writeReport(List<SoakRun.Result> results) throws IOException {
    Path parent = report.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    List<java.util.Map<String, Object>> rows = new ArrayList<>();
    for (SoakRun.Result r : results) {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("seed", r.schedule().seed());
      m.put("faults", r.schedule().faults().stream().map(Object::toString).toList());
      m.put("clean", r.verdict().clean());
      m.put("acknowledged", r.verdict().acknowledged());
      m.put("lostAcknowledged", r.verdict().lostAcknowledged());
      m.put("lostIds", r.verdict().lostIds());
      m.put("splitBrainMs", r.verdict().splitBrainMs());
      m.put("sharedEpochs", r.verdict().sharedEpochs());
      m.put("longestNoServingMs", r.verdict().longestNoServingMs());
      m.put("servingAtEnd", r.verdict().servingAtEnd());
      m.put("servingSite", r.servingSite());
      m.put("finalState", r.finalState().name());
      m.put("finalEpoch", r.finalEpoch());
      m.put("failedPhases", r.failedStates());
      m.put("budgetBreaches", r.budgetBreaches());
      m.put("durationMs", r.durationMs());
      m.put("notes", r.notes());
      rows.add(m);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(report.toFile(), rows);
  }

}
