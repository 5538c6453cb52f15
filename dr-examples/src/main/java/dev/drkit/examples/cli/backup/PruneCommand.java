package dev.drkit.examples.cli.backup;

import dev.drkit.backup.PruneResult;
import dev.drkit.backup.Repository;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drkit prune --repo DIR [--max-unused P%|unlimited]}: reclaims the space of data no snapshot references. */
@Command(name = "prune", mixinStandardHelpOptions = true, description = {
    "Deletes data no snapshot references and repacks partly used packs (exclusive: no backup may run meanwhile).",
    "A repository with a damaged snapshot or index file, or a damaged pack it would repack, is refused unchanged."},
    footer = {"", "Exit codes: 0 pruned, 1 failure (damage named; nothing deleted), 2 invalid input."})
public final class PruneCommand extends RepoCommand {
  @Option(names = "--max-unused", paramLabel = "P%|unlimited", defaultValue = "0%",
      description = "unused space to tolerate in partly used packs, in %% of the repository, instead of repacking"
          + " them ('unlimited': only delete packs nothing uses); default ${DEFAULT-VALUE}")
  String maxUnused;

  /** @param env the surroundings */
  public PruneCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() {
    double limit = maxUnused(maxUnused);
    try (Repository r = open()) {
      report(this, r.prune(limit, progress()));
    }
    return OK;
  }

  /**
   * @param value {@code P%} (0 to 100) or {@code unlimited}
   * @return the fraction
   * @throws CliFailure (bad usage) for anything else
   */
  static double maxUnused(String value) {
    if (value.equals("unlimited")) {
      return 1.0;
    }
    try {
      if (value.endsWith("%")) {
        double p = Double.parseDouble(value.substring(0, value.length() - 1));
        if (p >= 0 && p <= 100) {
          return p / 100;
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CliFailure(USAGE, "--max-unused: '" + value + "' is not a percentage from 0% to 100% or 'unlimited'");
  }

  static void report(RepoCommand cmd, PruneResult p) {
    cmd.env().out().println(String.format(Locale.ROOT,
        "pruned: %d packs deleted, %d repacked, %d written, %d blobs removed, %s freed in %d ms", p.packsDeleted(),
        p.packsRepacked(), p.packsWritten(), p.blobsRemoved(), ProgressBar.bytes(p.bytesFreed()), p.durationMillis()));
    cmd.env().out().flush();
  }
}
