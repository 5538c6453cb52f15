package dev.drkit.examples.cli.backup;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.BackupStats;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.BackupType;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drkit backup --repo DIR [--type full|incremental|differential] [--tag T] [--time ISO8601] PATH...}:
 * backs up the PATHs (directories) into one snapshot and prints its id on standard output; a summary
 * goes to standard error. One PATH is stored with its contents at the top of the snapshot; several
 * are each stored under their absolute path (like restic), so a restore recreates all of them below
 * its target. Incremental and differential backups compare with the latest snapshot of the same set
 * of PATHs.
 */
@Command(name = "backup", mixinStandardHelpOptions = true, description = {
    "Backs up the PATHs (directories) into one snapshot and prints its id.",
    "Several PATHs are each stored under their absolute path; one PATH is stored with its contents at the top."})
public final class BackupCommand extends RepoCommand {
  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "incremental",
      description = "full (re-read everything), incremental (trust files unchanged since the latest snapshot)"
          + " or differential (since the latest full); default ${DEFAULT-VALUE}")
  String type;

  @Option(names = "--tag", paramLabel = "T", description = "a tag for the snapshot (repeatable)")
  List<String> tags = new ArrayList<>();

  @Option(names = "--time", paramLabel = "ISO8601",
      description = "record this time instead of now, e.g. 2026-01-31T02:00:00Z or 2026-01-31T02:00 (local)")
  String time;

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "directories to back up")
  List<Path> paths;

  /** @param env the surroundings */
  public BackupCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() {
    BackupType t = BackupType.parse(type);
    Instant at = time == null ? null : parseTime(time);
    for (Path p : paths) {
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new CliFailure(USAGE, "backup source " + p + " is not a directory");
      }
    }
    try (Repository r = open()) {
      BackupRequest.Builder b = BackupRequest.builder(source()).type(t).listener(progress());
      tags.forEach(b::tag);
      if (at != null) {
        b.time(at);
      }
      Snapshot s = r.backup(b.build());
      BackupStats st = s.stats();
      env().out().println(s.id());
      env().out().flush();
      env().err().println(String.format(Locale.ROOT,
          "snapshot %s of %s (%s): %d files, %d read, %d unchanged, %s read, %s added, %s stored, %d ms",
          s.shortId(), s.source(), s.type().configName(), st.files(), st.filesRead(), st.filesUnchanged(),
          ProgressBar.bytes(st.bytesRead()), ProgressBar.bytes(st.bytesAdded()), ProgressBar.bytes(st.bytesStored()),
          st.durationMillis()));
      env().err().flush();
    }
    return OK;
  }

  private FileTreeSource source() {
    try {
      return FileTreeSource.of(paths);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(USAGE, e.getMessage());
    }
  }

  private Instant parseTime(String value) {
    try {
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(value).atZone(env().zone()).toInstant();
      } catch (DateTimeParseException e2) {
        throw new CliFailure(USAGE, "--time '" + value
            + "' is not an ISO-8601 time such as 2026-01-31T02:00:00Z or 2026-01-31T02:00");
      }
    }
  }
}
