package dev.drkit.examples.cli.backup;

import java.util.List;

/**
 * The backup commands of the {@code drkit} tool, for registration in its main command:
 * {@code BackupCommands.commands().forEach(commandLine::addSubcommand)}.
 */
public final class BackupCommands {
  private BackupCommands() {}

  /** @return the top-level commands, bound to the real process (environment, console, clock) */
  public static List<Object> commands() {
    return commands(CliEnv.system());
  }

  /**
   * @param env the surroundings (tests pass their own)
   * @return the top-level commands: init, backup, snapshots, restore, verify, forget, prune, key
   */
  public static List<Object> commands(CliEnv env) {
    return List.of(new InitCommand(env), new BackupCommand(env), new SnapshotsCommand(env), new RestoreCommand(env),
        new VerifyCommand(env), new ForgetCommand(env), new PruneCommand(env), new KeyCommand(env));
  }
}
