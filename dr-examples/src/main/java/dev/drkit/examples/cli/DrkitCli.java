package dev.drkit.examples.cli;

import dev.drkit.examples.cli.backup.BackupCommands;
import dev.drkit.examples.cli.backup.EarlyOpen;
import dev.drkit.examples.cli.drill.DrillCommand;
import dev.drkit.examples.cli.plan.PlanCommands;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code drkit} command-line tool: {@code java -jar dr-examples/target/drkit.jar --help}.
 * Exit codes: {@code 0} success, {@code 1} failure (nothing written, or a damaged repository named),
 * {@code 2} invalid input (a bad option, or an invalid plan for {@code plan check}), {@code 3} a
 * backup's snapshot was written but entries had to be skipped (they are listed on standard error).
 */
@Command(name = "drkit", mixinStandardHelpOptions = true, versionProvider = DrkitCli.Version.class,
    description = "drkit: disaster recovery for JVM services - plans, backups, replication, failover drills.",
    synopsisSubcommandLabel = "COMMAND",
    footer = {"", "Exit codes: 0 success, 1 failure (nothing written, or a damaged repository named),",
        "2 invalid input, 3 snapshot written with skipped entries (backup)."})
public final class DrkitCli implements Runnable {

  /**
   * Every group of top-level commands, in the order {@code --help} lists them. To add a group, add
   * one line: its factory of picocli command objects (for example {@code BackupCommands::commands}).
   */
  static final List<Supplier<List<Object>>> COMMAND_GROUPS = List.of(
      PlanCommands::commands,
      BackupCommands::commands,
      DrillCommand::commands,
      dev.drkit.examples.cli.rebuild.RebuildCommand::commands,
      dev.drkit.examples.cli.soak.SoakCommand::commands);

  @Spec
  CommandSpec spec;

  /** Used by picocli. */
  public DrkitCli() {}

  /**
   * @return the tool's command line with every command group registered
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new DrkitCli());
    for (Supplier<List<Object>> group : COMMAND_GROUPS) {
      for (Object command : group.get()) {
        cli.addSubcommand(command);
      }
    }
    return cli;
  }

  /**
   * The command line for one run: when {@code args} starts with the name (or an alias) of a
   * top-level command, the tool with only that command registered, so that picocli reads the
   * annotations of that command alone (reading those of every command took about a third of the
   * CPU of setting up the command line, benchmarks/RESULTS.md "CLI start-up"); otherwise (no
   * command, an option such as {@code --help}, an unknown name) the whole {@link #commandLine()},
   * which lists or suggests every command.
   *
   * @param args the command line
   * @return the command line to execute {@code args} with
   */
  public static CommandLine commandLineFor(String[] args) {
    if (args.length > 0 && !args[0].startsWith("-") && !args[0].startsWith("@")) {
      for (Supplier<List<Object>> group : COMMAND_GROUPS) {
        for (Object command : group.get()) {
          Command annotation = command.getClass().getAnnotation(Command.class);
          if (annotation != null && (annotation.name().equals(args[0])
              || Arrays.asList(annotation.aliases()).contains(args[0]))) {
            CommandLine cli = new CommandLine(new DrkitCli());
            cli.addSubcommand(command);
            return cli;
          }
        }
      }
    }
    return commandLine();
  }

  /**
   * Runs the tool and exits the JVM with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the tool as {@link #main} does, without exiting: first starts opening the repository the
   * command names ({@link EarlyOpen}), so that its key derivation runs while picocli sets up the
   * command line, then executes the command.
   *
   * @param args the command line
   * @return the exit code
   */
  public static int run(String[] args) {
    EarlyOpen.startForProcess(args);
    return commandLineFor(args).execute(args);
  }

  /** Without a command: print the usage to stderr and fail as a usage error. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose one of "
        + String.join(", ", spec.subcommands().keySet()));
  }

  /** Reads the version from the jar's Maven metadata. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"drkit " + version(), "Java " + System.getProperty("java.version") + " ("
          + System.getProperty("java.vendor") + ")"};
    }

    static String version() {
      try (InputStream in = DrkitCli.class.getResourceAsStream(
          "/META-INF/maven/dev.drkit/dr-examples/pom.properties")) {
        if (in != null) {
          Properties p = new Properties();
          p.load(in);
          String v = p.getProperty("version");
          if (v != null) {
            return v;
          }
        }
      } catch (IOException e) {
        // fall through to the manifest
      }
      String v = DrkitCli.class.getPackage().getImplementationVersion();
      return v != null ? v : "(development build)";
    }
  }
}
