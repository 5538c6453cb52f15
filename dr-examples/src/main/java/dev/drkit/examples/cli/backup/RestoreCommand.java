package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Repository;
import dev.drkit.backup.Snapshot;
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
    "Nothing is ever written outside the target. In a target that is not empty, a file or symbolic link of the",
    "same name is replaced (a link there is never followed), other files are left alone, and a directory where",
    "a file goes, or a symbolic link where a directory goes, fails the restore."},
    footer = {"", "Exit codes: 0 restored (an incomplete snapshot's missing entries are listed on standard error),",
        "1 failure: damaged or missing data (named), an entry that would leave the target, an --include that",
        "matches nothing, a wrong passphrase; files completed before a failure stay, no file holds partial content;",
        "2 invalid input."})
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
      Snapshot s = r.snapshot(snapshot, SnapshotFilter.of(hosts, paths));
      String id = s.id();
      RestoreResult res = r.restore(id, target, includes, progress());
      env().out().println(String.format(Locale.ROOT,
          "restored snapshot %s to %s: %d files, %d directories, %d symlinks, %s in %d ms", id.substring(0, 8), target,
          res.files(), res.directories(), res.symlinks(), ProgressBar.bytes(res.bytes()), res.durationMillis()));
      env().out().flush();
      if (s.isPartial()) {
        // the backup could not capture these: say so again, or the restore looks like the whole tree
        for (dev.drkit.backup.SkippedEntry k : s.skipped()) {
          env().err().println("drkit: not in snapshot " + s.shortId() + " (skipped by its backup): " + k);
        }
        env().err().println("drkit: snapshot " + s.shortId() + " is incomplete: " + s.skipped().size()
            + (s.skipped().size() == 1 ? " entry" : " entries") + " listed above could not be backed up and cannot"
            + " be restored");
        env().err().flush();
      }
    }
    return OK;
  }
}
