package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Damage;
import dev.drkit.backup.Repository;
import dev.drkit.backup.VerifyReport;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drkit verify --repo DIR [--read-data]}: checks the structure (and with {@code --read-data}
 * every blob's content); exits 1 and names every damaged blob and what it breaks when something is
 * wrong.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, description = {
    "Checks that every blob the snapshots reference exists in the index and in a pack;",
    "with --read-data also downloads, decrypts, decompresses and re-hashes every blob. Writes nothing",
    "but its lock."},
    footer = {"", "Exit codes: 0 no damage found, 1 damage (each damaged file and blob listed on standard error with",
        "the snapshots and files it breaks) or the repository cannot be opened, 2 invalid input."})
public final class VerifyCommand extends RepoCommand {
  @Option(names = "--read-data", description = "read and check every blob's content")
  boolean readData;

  /** @param env the surroundings */
  public VerifyCommand(CliEnv env) {
    super(env);
  }

  @Override
  boolean verifies() {
    return true;
  }

  @Override
  int run() {
    VerifyReport report;
    try (Repository r = open()) {
      report = r.verify(readData, progress());
    }
    PrintWriter out = env().out();
    out.println("checked " + report.snapshots() + " snapshots, " + report.packs() + " packs, " + report.blobs()
        + " blobs" + (readData ? " (all data read)" : " (structure only; add --read-data to check contents)"));
    if (report.unindexedPacks() > 0) {
      out.println(report.unindexedPacks() + " packs left by an interrupted backup are not indexed"
          + " (the next backup reuses them, prune removes them)");
    }
    for (String notice : report.notices()) {
      out.println("note: " + notice);
    }
    out.flush();
    if (report.ok()) {
      out.println("no errors were found");
      out.flush();
      return OK;
    }
    PrintWriter err = env().err();
    err.println("drkit: repository " + repo + " is damaged: " + report.damage().size() + " problem(s)");
    for (Damage d : report.damage()) {
      err.println(d.blob() == null ? "  damaged " + d.object() + ": " + d.reason()
          : "  damaged blob " + d.blob() + " in " + d.object() + ": " + d.reason());
      for (String a : d.affected()) {
        err.println("    breaks " + a);
      }
    }
    err.flush();
    return FAILED;
  }
}
