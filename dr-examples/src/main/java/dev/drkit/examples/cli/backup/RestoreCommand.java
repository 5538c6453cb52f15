package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Repository;
import dev.drkit.backup.RestoreResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drkit restore --repo DIR SNAPSHOT|latest --target DIR [--include PATH]}. */
@Command(name = "restore", mixinStandardHelpOptions = true, description = {
    "Restores a snapshot (an id, a unique prefix of at least 4 hex digits, or 'latest') into a target directory.",
    "Nothing is ever written outside the target."})
public final class RestoreCommand extends RepoCommand {
  @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "snapshot id, unique prefix, or latest")
  String snapshot;

  @Option(names = "--target", required = true, paramLabel = "DIR", description = "where to restore (created if absent)")
  Path target;

  @Option(names = "--include", paramLabel = "PATH",
      description = "restore only this path of the snapshot (relative, '/'-separated) and what is below it; repeatable")
  List<String> includes = new ArrayList<>();

  /** @param env the surroundings */
  public RestoreCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() {
    try (Repository r = open()) {
      String id = r.snapshot(snapshot).id();
      RestoreResult res = r.restore(id, target, includes, progress());
      env().out().println(String.format(Locale.ROOT,
          "restored snapshot %s to %s: %d files, %d directories, %d symlinks, %s in %d ms", id.substring(0, 8), target,
          res.files(), res.directories(), res.symlinks(), ProgressBar.bytes(res.bytes()), res.durationMillis()));
      env().out().flush();
    }
    return OK;
  }
}
