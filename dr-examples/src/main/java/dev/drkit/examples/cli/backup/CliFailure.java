package dev.drkit.examples.cli.backup;

/** A command failed in a way already explained by its message; the command exits with {@link #exitCode()}. */
final class CliFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
