package dev.drkit.examples.cli.plan;

import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;

/**
 * The {@code plan} command group: {@code plan check FILE} and {@code plan show [FILE]}. Register
 * with {@code PlanCommands.commands().forEach(commandLine::addSubcommand)}.
 *
 * <p>Check specs are validated by {@link PlanLoader#create()}'s default,
 * {@link CheckSpecValidator#discovered()} (dr-validation registers one that knows the check types).
 */
@Command(name = "plan", description = "Check or show a recovery plan (YAML or JSON).",
    mixinStandardHelpOptions = true, subcommands = {PlanCheckCommand.class, PlanShowCommand.class})
public final class PlanCommands implements Runnable {
  /** The example plan bundled in the jar, used by {@code plan show} without a file. */
  public static final String BUNDLED_PLAN = "/plans/example-plan.yaml";
  /** Exit code of an invalid plan. */
  public static final int EXIT_INVALID = 2;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** Used by picocli. */
  public PlanCommands() {}

  /** @return the top-level commands of this group: {@code plan} */
  public static List<Object> commands() {
    return List.of(new PlanCommands());
  }

  /** Without a subcommand: a usage error listing them. */
  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand: choose one of " + String.join(", ", spec.subcommands().keySet()));
  }

  /** @return the default loader, which validates checks with the validators found on the class path */
  static PlanLoader loader() {
    return PlanLoader.create();
  }

  /**
   * Loads the plan, or prints every problem to {@code err} (one per line, as
   * {@code file:line:column: path: message}) and returns {@code null}.
   */
  static @Nullable RecoveryPlan load(@Nullable Path file, PrintWriter err) {
    try {
      if (file != null) {
        return loader().load(file);
      }
      try (InputStream in = PlanCommands.class.getResourceAsStream(BUNDLED_PLAN)) {
        if (in == null) {
          throw new IllegalStateException("the bundled example plan " + BUNDLED_PLAN + " is missing from the jar");
        }
        return loader().load(in, "bundled:" + BUNDLED_PLAN);
      }
    } catch (ConfigException e) {
      for (ConfigException.Problem p : e.problems()) {
        err.println(p);
      }
      int n = e.problems().size();
      err.println((file == null ? "the bundled plan" : file.toString()) + " is invalid: " + n
          + (n == 1 ? " problem" : " problems"));
      err.flush();
      return null;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
