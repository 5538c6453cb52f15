package dev.drkit.examples.cli.plan;

import dev.drkit.core.plan.RecoveryPlan;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drkit plan check FILE}: validates a plan; exit code 0 when valid, 2 when not. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Validate a recovery plan and print every problem with file, line, column and field path.",
        "Exit code 0 when the plan is valid, 2 when it is not."})
public final class PlanCheckCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The plan file (.yaml, .yml or .json).")
  Path file;

  @Spec
  CommandSpec spec;

  /** Used by picocli. */
  public PlanCheckCommand() {}

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RecoveryPlan plan = PlanCommands.load(file, err);
    if (plan == null) {
      return PlanCommands.EXIT_INVALID;
    }
    int services = plan.services().size();
    int strategies = plan.backups().values().stream().mapToInt(java.util.List::size).sum();
    out.println(file + ": valid" + (plan.name() == null ? "" : " plan '" + plan.name() + "'") + ": " + services
        + (services == 1 ? " service" : " services") + " in " + plan.waves().size()
        + (plan.waves().size() == 1 ? " wave" : " waves") + ", " + strategies
        + (strategies == 1 ? " backup strategy" : " backup strategies"));
    out.flush();
    return 0;
  }
}
