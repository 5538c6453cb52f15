package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Repository;
import dev.drkit.backup.SnapshotFilter;
import dev.drkit.backup.RestoreResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drkit restore --repo DIR SNAPSHOT|latest --target DIR [--include PATH] [--host H] [--path P]}:
 * {@code latest} is the newest snapshot of the given hosts holding the given paths.
 */
@Command(name = "restore", mixinStandardHelpOptions = true, description = {
    "Restores a snapshot (an id, a unique prefix of at least 4 hex digits, or 'latest') into a target directory.",
    "With --host/--path, 'latest' is the newest snapshot of those hosts holding those paths.",
    "Nothing is ever written outside the target."})
public final class RestoreCommand extends RepoCommand {
  @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "snapshot id, unique prefix, or latest")
  String snapshot;

  @Option(names = "--target", required = true, paramLabel = "DIR", description = "where to restore (created if absent)")
  Path target;

  @Option(names = "--include", paramLabel = "PATH",
      description = "restore only this path of the snapshot (relative, '/'-separated) and what is below it; repeatable")
  List<String> includes = new ArrayList<>();

  @Option(names = "--host", paramLabel = "HOST",
      description = "consider only snapshots of this host (repeatable: any of them), e.g. for 'latest'")
  List<String> hosts = new ArrayList<>();

  @Option(names = "--path", paramLabel = "PATH",
      description = "consider only snapshots that hold this backed-up path (repeatable: all of them), e.g. for 'latest'")
  List<String> paths = new ArrayList<>();

  /** @param env the surroundings */
  public RestoreCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() {
    try (Repository r = open()) {
      String id = r.snapshot(snapshot, SnapshotFilter.of(hosts, paths)).id();
      RestoreResult res = r.restore(id, target, includes, progress());
      env().out().println(String.format(Locale.ROOT,
          "restored snapshot %s to %s: %d files, %d directories, %d symlinks, %s in %d ms", id.substring(0, 8), target,
          res.files(), res.directories(), res.symlinks(), ProgressBar.bytes(res.bytes()), res.durationMillis()));
      env().out().flush();
    }
    return OK;
  }
}
