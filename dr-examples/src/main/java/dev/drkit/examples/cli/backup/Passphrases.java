package dev.drkit.examples.cli.backup;

import java.util.Arrays;

/** Where the commands get passphrases: an environment variable, else a prompt on the terminal. */
final class Passphrases {
  /** The repository's passphrase. */
  static final String PASSWORD_ENV = "DRKIT_PASSWORD";
  /** The new passphrase of {@code key add} and {@code key passwd}. */
  static final String NEW_PASSWORD_ENV = "DRKIT_NEW_PASSWORD";

  private Passphrases() {}

  /** @return the passphrase of the repository at {@code repo} */
  static char[] current(CliEnv env, String repo) {
    String v = env.getenv(PASSWORD_ENV);
    if (v != null) {
      return v.toCharArray();
    }
    CliEnv.Prompt p = env.prompt();
    if (p == null) {
      throw new CliFailure(1, "no passphrase: set " + PASSWORD_ENV + " or run on a terminal to be asked");
    }
    char[] answer = p.readSecret("enter passphrase for repository " + repo + ": ");
    if (answer == null) {
      throw new CliFailure(1, "no passphrase given");
    }
    return answer;
  }

  /** @return a new passphrase, asked twice on a terminal */
  static char[] fresh(CliEnv env, String what) {
    String v = env.getenv(NEW_PASSWORD_ENV);
    if (v != null) {
      if (v.isEmpty()) {
        throw new CliFailure(1, NEW_PASSWORD_ENV + " is empty; an empty passphrase is not allowed");
      }
      return v.toCharArray();
    }
    CliEnv.Prompt p = env.prompt();
    if (p == null) {
      throw new CliFailure(1, "no new passphrase: set " + NEW_PASSWORD_ENV + " or run on a terminal to be asked");
    }
    char[] first = p.readSecret("enter " + what + ": ");
    char[] second = first == null ? null : p.readSecret("enter " + what + " again: ");
    if (first == null || second == null) {
      throw new CliFailure(1, "no new passphrase given");
    }
    try {
      if (first.length == 0) {
        throw new CliFailure(1, "an empty passphrase is not allowed");
      }
      if (!Arrays.equals(first, second)) {
        throw new CliFailure(1, "the passphrases do not match");
      }
      return first.clone();
    } finally {
      Arrays.fill(second, '\0');
    }
  }
}
