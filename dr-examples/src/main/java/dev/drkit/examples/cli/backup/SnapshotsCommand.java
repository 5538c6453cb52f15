package dev.drkit.examples.cli.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.drkit.backup.BackupStats;
import dev.drkit.backup.Repository;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.SnapshotFilter;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drkit snapshots --repo DIR [--host H] [--path P] [--json]}: lists the snapshots (of the
 * given hosts, holding the given paths), oldest first.
 */
@Command(name = "snapshots", mixinStandardHelpOptions = true, description = {"Lists the snapshots, oldest first.",
    "A damaged snapshot file is named on standard error and left out; the others are listed."},
    footer = {"", "Exit codes: 0 listed, 1 a snapshot file is damaged (the others are still listed and can be",
        "restored by id) or the repository cannot be opened, 2 invalid input."})
public final class SnapshotsCommand extends RepoCommand {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  @Option(names = "--json", description = "print JSON (full ids, UTC times, statistics)")
  boolean json;

  @Option(names = "--host", paramLabel = "HOST", description = "list only snapshots of this host (repeatable: any of them)")
  List<String> hosts = new ArrayList<>();

  @Option(names = "--path", paramLabel = "PATH",
      description = "list only snapshots that hold this backed-up path (repeatable: all of them)")
  List<String> paths = new ArrayList<>();

  /** @param env the surroundings */
  public SnapshotsCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() throws Exception {
    List<Snapshot> all;
    List<dev.drkit.core.IntegrityException> damaged = new ArrayList<>();
    try (Repository r = open()) {
      // a damaged snapshot file is reported below and does not hide the others
      all = r.snapshots(SnapshotFilter.of(hosts, paths), damaged::add);
    }
    PrintWriter out = env().out();
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Snapshot s : all) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("short_id", s.shortId());
        m.put("time", s.time().toString());
        m.put("host", s.host());
        m.put("source", s.source());
        m.put("paths", s.paths());
        m.put("tags", new TreeSet<>(s.tags()));
        m.put("type", s.type().configName());
        m.put("parent", s.parent());
        BackupStats st = s.stats();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("files", st.files());
        stats.put("directories", st.directories());
        stats.put("symlinks", st.symlinks());
        stats.put("total_bytes", st.totalBytes());
        stats.put("files_read", st.filesRead());
        stats.put("bytes_added", st.bytesAdded());
        stats.put("bytes_stored", st.bytesStored());
        stats.put("duration_ms", st.durationMillis());
        m.put("stats", stats);
        List<Map<String, Object>> skipped = new ArrayList<>();
        for (dev.drkit.backup.SkippedEntry k : s.skipped()) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("path", k.path());
          row.put("reason", k.reason().name());
          row.put("detail", k.detail());
          skipped.add(row);
        }
        m.put("skipped", skipped);
        rows.add(m);
      }
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
    } else {
      out.println(String.format(Locale.ROOT, "%-8s  %-19s  %-12s  %-12s  %-16s  %s", "ID", "Time", "Host", "Type",
          "Tags", "Source"));
      out.println("-".repeat(90));
      for (Snapshot s : all) {
        out.println(String.format(Locale.ROOT, "%-8s  %-19s  %-12s  %-12s  %-16s  %s", s.shortId(),
            TIME.format(s.time().atZone(env().zone())), s.host(), s.type().configName(),
            String.join(",", new TreeSet<>(s.tags())),
            s.source() + (s.isPartial() ? " (incomplete: " + s.skipped().size() + " skipped)" : "")));
      }
      out.println("-".repeat(90));
      out.println(all.size() + (all.size() == 1 ? " snapshot" : " snapshots"));
    }
    out.flush();
    if (!damaged.isEmpty()) {
      for (dev.drkit.core.IntegrityException e : damaged) {
        env().err().println("drkit: " + e.getMessage() + ": left out of the list");
      }
      env().err().println("drkit: repository " + repo + " is damaged: " + damaged.size()
          + (damaged.size() == 1 ? " snapshot file" : " snapshot files") + " cannot be read; the snapshots listed"
          + " can still be restored by id (run 'drkit verify --repo " + repo + "' for details)");
      env().err().flush();
      return FAILED;
    }
    return OK;
  }
}
