package dev.drkit.examples.cli.backup;

import dev.drkit.backup.KeySlot;
import dev.drkit.backup.Repository;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.BiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code drkit key add|passwd|list --repo DIR}: manages the repository's key slots. The new
 * passphrase comes from {@code DRKIT_NEW_PASSWORD}, or is asked twice on a terminal.
 */
@Command(name = "key", mixinStandardHelpOptions = true, description = "Manages the passphrases (key slots) of a repository.",
    subcommands = {KeyCommand.Add.class, KeyCommand.Passwd.class, KeyCommand.ListKeys.class})
public final class KeyCommand implements Runnable {
  private final CliEnv env;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** @param env the surroundings */
  public KeyCommand(CliEnv env) {
    this.env = env;
  }

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "key: give a subcommand: add, passwd or list (see 'drkit key --help')");
  }

  /**
   * Opens the repository, asks for a new passphrase (wiped afterwards), applies {@code change} and
   * prints the line it returns.
   */
  private static int withNewPassphrase(RepoCommand command, BiFunction<Repository, char[], String> change) {
    try (Repository r = command.open()) {
      char[] pass = Passphrases.fresh(command.env(), "new passphrase");
      try {
        command.env().out().println(change.apply(r, pass));
      } finally {
        Arrays.fill(pass, '\0');
      }
    }
    command.env().out().flush();
    return RepoCommand.OK;
  }

  /** {@code key add}: adds a key slot for a new passphrase; the old ones keep working. */
  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Adds a passphrase (from DRKIT_NEW_PASSWORD or asked) to the repository; existing ones keep working.")
  public static final class Add extends RepoCommand {
    @ParentCommand
    KeyCommand parent;

    /** Creates the command; its surroundings come from the parent {@code key} command. */
    public Add() {
      super(null);
    }

    @Override
    int run() {
      env(parent.env);
      return withNewPassphrase(this, (r, pass) -> "added key slot " + r.addKey(pass));
    }
  }

  /** {@code key passwd}: replaces the passphrase used to open the repository by a new one. */
  @Command(name = "passwd", mixinStandardHelpOptions = true,
      description = "Changes the passphrase (DRKIT_PASSWORD) to a new one (DRKIT_NEW_PASSWORD or asked); "
          + "the old passphrase stops working.")
  public static final class Passwd extends RepoCommand {
    @ParentCommand
    KeyCommand parent;

    /** Creates the command; its surroundings come from the parent {@code key} command. */
    public Passwd() {
      super(null);
    }

    @Override
    int run() {
      env(parent.env);
      return withNewPassphrase(this, (r, pass) -> "changed the passphrase; new key slot " + r.changePassphrase(pass));
    }
  }

  /** {@code key list}: lists the key slots. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = {"Lists the key slots.",
      "A damaged slot is named on standard error (exit code 1); the others are listed."})
  public static final class ListKeys extends RepoCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    @ParentCommand
    KeyCommand parent;

    /** Creates the command; its surroundings come from the parent {@code key} command. */
    public ListKeys() {
      super(null);
    }

    @Override
    int run() {
      env(parent.env);
      java.util.List<dev.drkit.core.IntegrityException> damaged = new java.util.ArrayList<>();
      try (Repository r = open()) {
        for (KeySlot k : r.keys(damaged::add)) {
          env().out().println((k.current() ? "* " : "  ") + k.id() + "  " + TIME.format(k.created().atZone(env().zone()))
              + "  " + k.host() + "  " + k.iterations() + " iterations");
        }
      }
      env().out().flush();
      if (!damaged.isEmpty()) {
        // the others are listed: one damaged slot does not hide them
        for (dev.drkit.core.IntegrityException e : damaged) {
          env().err().println("drkit: " + e.getMessage() + ": its passphrase no longer opens the repository");
        }
        env().err().flush();
        return FAILED;
      }
      return OK;
    }
  }
}
