package dev.drkit.examples.cli.backup;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.BackupStats;
import dev.drkit.backup.Excludes;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.SkippedEntry;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupType;
import java.io.IOException;
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
 * {@code drkit backup --repo DIR [--type full|incremental|differential] [--tag T] [--time ISO8601]
 * [--exclude PATTERN] [--exclude-file FILE] [--exclude-if-present NAME] [--exclude-caches] [--one-file-system] PATH...}:
 * backs up the PATHs (directories) into one snapshot and prints its id on standard output; a summary
 * goes to standard error. One PATH is stored with its contents at the top of the snapshot; several
 * are each stored under their absolute path (like restic), so a restore recreates all of them below
 * its target. Incremental and differential backups compare with the latest snapshot of the same set
 * of PATHs. Entries that cannot be captured are listed on standard error and the command exits with
 * 3 (the snapshot is written); see {@link dev.drkit.backup.SkippedEntry}.
 */
@Command(name = "backup", mixinStandardHelpOptions = true, description = {
    "Backs up the PATHs (directories) into one snapshot and prints its id.",
    "Several PATHs are each stored under their absolute path; one PATH is stored with its contents at the top.",
    "Entries that cannot be read, vanish or change type during the backup, special files and paths too long",
    "for the OS are skipped and listed on standard error; the snapshot is still written (exit code 3).",
    "A file whose length changes while it is read is stored as read, with a warning on standard error."},
    footer = {"", "Exclude patterns match absolute paths: * and ? within a name, ** across directories, [a-z] sets,",
        "a leading / anchors at the root, otherwise at any depth; !PATTERN includes again; the last match decides.",
        "", "Exit codes: 0 snapshot written, 3 snapshot written with skipped entries,",
        "1 failure (no snapshot written), 2 invalid input."})
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

  @Option(names = "--exclude", paramLabel = "PATTERN",
      description = "leave out what matches PATTERN, with everything below it (repeatable)")
  List<String> excludes = new ArrayList<>();

  @Option(names = "--exclude-file", paramLabel = "FILE",
      description = "read exclude patterns from FILE, one a line; # starts a comment (repeatable)")
  List<Path> excludeFiles = new ArrayList<>();

  @Option(names = "--exclude-if-present", paramLabel = "NAME",
      description = "leave out the contents of directories holding a file NAME, keeping that file (repeatable)")
  List<String> excludeIfPresent = new ArrayList<>();

  @Option(names = "--exclude-caches",
      description = "leave out the contents of directories holding a CACHEDIR.TAG with its signature")
  boolean excludeCaches;

  @Option(names = {"-x", "--one-file-system"},
      description = "do not descend into other file systems (mount points are stored empty)")
  boolean oneFileSystem;

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
      if (p.toString().indexOf('\uFFFD') >= 0) {
        // the JVM decoded this argument with its file-name encoding and replaced bytes it could not decode
        throw new CliFailure(USAGE, "backup source " + p + " holds bytes that are not valid in the JVM's file-name"
            + " encoding (" + System.getProperty("sun.jnu.encoding") + "), so it cannot be named exactly; run with a"
            + " UTF-8 locale (LC_ALL=C.UTF-8) or back up its parent directory");
      }
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new CliFailure(USAGE, "backup source " + p + " is not a directory");
      }
    }
    Excludes ex = excludes();
    // the tree is walked while the repository is opened (its key derivation takes a core)
    EarlyScan source = EarlyScan.start(source(), ex);
    try (Repository r = open()) {
      BackupRequest.Builder b = BackupRequest.builder(source).type(t).listener(progress()).excludes(ex);
      tags.forEach(b::tag);
      if (at != null) {
        b.time(at);
      }
      Snapshot s = r.backup(b.build());
      BackupStats st = s.stats();
      env().out().println(s.id());
      env().out().flush();
      for (SkippedEntry k : s.skipped()) {
        env().err().println("drkit: skipped " + k);
      }
      env().err().println(String.format(Locale.ROOT,
          "snapshot %s of %s (%s): %d files, %d read, %d unchanged, %s read, %s added, %s stored, %d ms",
          s.shortId(), s.source(), s.type().configName(), st.files(), st.filesRead(), st.filesUnchanged(),
          ProgressBar.bytes(st.bytesRead()), ProgressBar.bytes(st.bytesAdded()), ProgressBar.bytes(st.bytesStored()),
          st.durationMillis()));
      if (s.isPartial()) {
        env().err().println("drkit: snapshot " + s.shortId() + " is incomplete: " + s.skipped().size()
            + " entries could not be backed up (listed above)");
      }
      env().err().flush();
      return s.isPartial() ? PARTIAL : OK;
    }
  }

  private Excludes excludes() {
    Excludes.Builder b = Excludes.builder().excludeCaches(excludeCaches).oneFileSystem(oneFileSystem);
    try {
      excludes.forEach(b::pattern);
      for (Path f : excludeFiles) {
        try {
          b.patternFile(f);
        } catch (IOException e) {
          throw new CliFailure(USAGE, "--exclude-file " + f + ": cannot read it: " + e.getMessage());
        }
      }
      excludeIfPresent.forEach(b::ifPresent);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(USAGE, e.getMessage());
    }
    return b.build();
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
