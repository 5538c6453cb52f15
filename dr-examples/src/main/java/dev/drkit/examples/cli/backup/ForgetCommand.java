package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Repository;
import dev.drkit.backup.retention.GroupBy;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPlanner;
import dev.drkit.backup.retention.SnapshotGroup;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.config.RetentionPolicy;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drkit forget --repo DIR --keep-... [--group-by host,paths] [--dry-run] [--prune]} removes
 * the snapshots a retention policy does not keep (restic's rules; see docs/backup-scheduling.md),
 * or {@code drkit forget --repo DIR ID...} removes the given snapshots (ids or unique prefixes in
 * either case; a damaged snapshot's file is removed too, and said to be damaged).
 */
@Command(name = "forget", mixinStandardHelpOptions = true, description = {
    "Removes snapshots: those no --keep-* rule keeps (applied per host and source), or the given IDs.",
    "Use --dry-run to see what would go and why; --prune reclaims the space afterwards."})
public final class ForgetCommand extends RepoCommand {
  @Option(names = "--keep-last", paramLabel = "N", converter = PolicyArgs.Count.class,
      description = "keep the N newest snapshots")
  int keepLast;

  @Option(names = "--keep-hourly", paramLabel = "N", converter = PolicyArgs.Count.class,
      description = "keep the newest snapshot of each of the N newest hours that have one")
  int keepHourly;

  @Option(names = "--keep-daily", paramLabel = "N", converter = PolicyArgs.Count.class,
      description = "keep the newest snapshot of each of the N newest days that have one")
  int keepDaily;

  @Option(names = "--keep-weekly", paramLabel = "N", converter = PolicyArgs.Count.class,
      description = "keep the newest snapshot of each of the N newest ISO weeks that have one")
  int keepWeekly;

  @Option(names = "--keep-monthly", paramLabel = "N", converter = PolicyArgs.Count.class,
      description = "keep the newest snapshot of each of the N newest months that have one")
  int keepMonthly;

  @Option(names = "--keep-yearly", paramLabel = "N", converter = PolicyArgs.Count.class,
      description = "keep the newest snapshot of each of the N newest years that have one")
  int keepYearly;

  @Option(names = "--keep-within", paramLabel = "DUR", converter = PolicyArgs.Within.class,
      description = "keep every snapshot within DUR of the newest (7d, 36h, 1w2d, P7D)")
  Duration keepWithin = Duration.ZERO;

  @Option(names = "--keep-tag", paramLabel = "T", description = "keep every snapshot with tag T (repeatable)")
  List<String> keepTags = new ArrayList<>();

  @Option(names = "--group-by", paramLabel = "FIELDS", split = ",", defaultValue = "host,paths",
      description = "apply the policy per group of host, paths, tags (comma-separated; '' for one group); "
          + "default ${DEFAULT-VALUE}")
  List<String> groupBy = new ArrayList<>();

  @Option(names = {"--dry-run", "-n"}, description = "only print what would be removed and why")
  boolean dryRun;

  @Option(names = "--prune", description = "prune the repository after removing snapshots")
  boolean prune;

  @Option(names = "--max-unused", paramLabel = "P%|unlimited", defaultValue = "0%",
      description = "with --prune: unused space to tolerate in partly used packs (see prune); default ${DEFAULT-VALUE}")
  String maxUnused;

  @Parameters(arity = "0..*", paramLabel = "ID",
      description = "snapshots to remove (instead of a policy): ids or unique prefixes of at least 4 hex digits, in"
          + " either case; a damaged snapshot is removed too")
  List<String> ids = new ArrayList<>();

  /** @param env the surroundings */
  public ForgetCommand(CliEnv env) {
    super(env);
  }

  RetentionPolicy policy() {
    RetentionPolicy.Builder b = RetentionPolicy.builder().keepLast(keepLast).keepHourly(keepHourly)
        .keepDaily(keepDaily).keepWeekly(keepWeekly).keepMonthly(keepMonthly).keepYearly(keepYearly)
        .keepWithin(keepWithin);
    keepTags.forEach(b::keepTag);
    return b.build();
  }

  private Set<GroupBy> groupBy() {
    Set<GroupBy> out = EnumSet.noneOf(GroupBy.class);
    for (String g : groupBy) {
      String v = g.trim().toLowerCase(Locale.ROOT);
      switch (v) {
        case "" -> { }
        case "host" -> out.add(GroupBy.HOST);
        case "paths", "path" -> out.add(GroupBy.PATHS);
        case "tags", "tag" -> out.add(GroupBy.TAGS);
        default -> throw new CliFailure(USAGE, "--group-by: unknown field '" + g + "' (use host, paths, tags)");
      }
    }
    return out;
  }

  @Override
  int run() {
    PruneCommand.maxUnused(maxUnused); // bad usage is reported before anything is removed
    RetentionPolicy policy = policy();
    if (!ids.isEmpty()) {
      if (!policy.isKeepAll()) {
        throw new CliFailure(USAGE, "give either snapshot IDs or --keep-* options, not both");
      }
      return forgetIds();
    }
    if (policy.isKeepAll()) {
      throw new CliFailure(USAGE, "no policy given: refusing to forget without at least one --keep-* option"
          + " (or snapshot IDs); see 'drkit forget --help'");
    }
    Set<GroupBy> grouping = groupBy();
    PrintWriter out = env().out();
    try (Repository r = open()) {
      // refuses a damaged snapshot file, naming it and pointing at 'forget ID'
      RetentionPlan plan = r.planRetention(policy, RetentionPlanner.create(env().zone(), grouping));
      out.print(plan.render(8));
      out.flush();
      List<SnapshotGroup> emptied = plan.emptiedGroups();
      if (!emptied.isEmpty()) {
        throw new CliFailure(FAILED, "refusing to remove every snapshot of "
            + emptied.stream().map(SnapshotGroup::describe).collect(Collectors.joining("; "))
            + ": no snapshot there has a tag of " + policy.keepTags() + "; nothing was removed");
      }
      List<String> remove = plan.idsToRemove();
      if (dryRun) {
        out.println();
        out.println("dry run: " + remove.size() + " snapshot(s) would be removed; nothing was changed");
        out.flush();
        return OK;
      }
      if (!remove.isEmpty()) {
        List<String> removed = r.forget(remove);
        out.println();
        out.println("removed " + removed.size() + " snapshot(s)");
        out.flush();
      }
      if (prune) {
        if (remove.isEmpty()) {
          out.println("no snapshot was removed; nothing to prune");
        } else {
          PruneCommand.report(this, r.prune(PruneCommand.maxUnused(maxUnused), progress()));
        }
        out.flush();
      }
    }
    return OK;
  }

  private int forgetIds() {
    PrintWriter out = env().out();
    try (Repository r = open()) {
      if (dryRun) {
        for (String id : ids) {
          String full = r.snapshotId(id);
          try {
            out.println("would remove snapshot " + r.snapshot(full).id());
          } catch (IntegrityException e) {
            out.println("would remove damaged snapshot " + full + ": " + e.getMessage());
          }
        }
        out.flush();
        return OK;
      }
      java.util.Map<String, String> damaged = new java.util.HashMap<>();
      for (String id : r.forget(ids, (id, e) -> damaged.put(id, String.valueOf(e.getMessage())))) {
        out.println(damaged.containsKey(id) ? "removed damaged snapshot " + id + ": " + damaged.get(id)
            : "removed snapshot " + id);
      }
      out.flush();
      if (prune) {
        PruneCommand.report(this, r.prune(PruneCommand.maxUnused(maxUnused), progress()));
      }
    }
    return OK;
  }

}
