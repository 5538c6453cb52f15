package dev.drkit.examples.cli.backup;

import dev.drkit.backup.PruneResult;
import dev.drkit.backup.Repository;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code drkit prune --repo DIR}: reclaims the space of data no snapshot references. */
@Command(name = "prune", mixinStandardHelpOptions = true, description = {
    "Deletes data no snapshot references and repacks partly used packs (exclusive: no backup may run meanwhile)."})
public final class PruneCommand extends RepoCommand {
  /** @param env the surroundings */
  public PruneCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() {
    try (Repository r = open()) {
      report(this, r.prune(progress()));
    }
    return OK;
  }

  static void report(RepoCommand cmd, PruneResult p) {
    cmd.env().out().println(String.format(Locale.ROOT,
        "pruned: %d packs deleted, %d repacked, %d written, %d blobs removed, %s freed in %d ms", p.packsDeleted(),
        p.packsRepacked(), p.packsWritten(), p.blobsRemoved(), ProgressBar.bytes(p.bytesFreed()), p.durationMillis()));
    cmd.env().out().flush();
  }
}
