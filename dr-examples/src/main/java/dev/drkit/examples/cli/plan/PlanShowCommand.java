package dev.drkit.examples.cli.plan;

import dev.drkit.core.plan.RecoveryPlan;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drkit plan show [FILE]}: prints the services in recovery order with their waves. */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = {"Print the services of a recovery plan in recovery order: wave, priority, RPO, RTO,",
        "dependencies, validation steps and backup strategies. Without FILE, shows the bundled example plan."})
public final class PlanShowCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", arity = "0..1",
      description = "The plan file (.yaml, .yml or .json); default: the bundled example plan.")
  @Nullable Path file;

  @Spec
  CommandSpec spec;

  /** Used by picocli. */
  public PlanShowCommand() {}

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    RecoveryPlan plan = PlanCommands.load(file, spec.commandLine().getErr());
    if (plan == null) {
      return PlanCommands.EXIT_INVALID;
    }
    out.print(PlanTable.render(plan, file == null ? "the bundled example plan" : file.toString()));
    out.flush();
    return 0;
  }
}
