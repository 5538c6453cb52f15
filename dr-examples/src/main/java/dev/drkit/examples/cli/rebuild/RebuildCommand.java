package dev.drkit.examples.cli.rebuild;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.RepositorySnapshotCatalog;
import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.RebuildRefusedException;
import dev.drkit.core.failover.RebuildReport;
import dev.drkit.core.failover.RebuildRequest;
import dev.drkit.core.failover.RebuildSources;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.examples.drill.DrillPlanChecks;
import dev.drkit.examples.drill.OrdersDrill;
import dev.drkit.examples.orders.Ledger;
import dev.drkit.examples.orders.LogShippingReplication;
import dev.drkit.examples.orders.OrderDeletesRebuildTarget;
import dev.drkit.examples.orders.OrderFailoverActions;
import dev.drkit.examples.orders.OrderRebuildTarget;
import dev.drkit.examples.orders.OrderSite;
import dev.drkit.examples.orders.OrderTopology;
import dev.drkit.examples.orders.Router;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationLogReplay;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotCatalog;
import dev.drkit.core.spi.SnapshotRef;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.Validator;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code drkit rebuild --plan FILE --service NAME --data DIR [--snapshot ID|latest] [--to TIME |
 * --to-offset N]}: rebuilds the example orders service from a backup snapshot and its replication
 * log with the failover engine's rebuild command ({@link FailoverEngine#rebuild}), and prints what
 * was restored, what was replayed and what was deliberately not replayed.
 *
 * <p>The service's data is found in {@code --data DIR}, laid out as the example keeps it (and as
 * {@code drkit drill --keep} leaves it in {@code REPORT_DIR/work}): {@code primary/} and
 * {@code backup/} (each site's H2 database, with its replication logs in {@code replog/e<EPOCH>}),
 * {@code state/} (the failover engine's state store) and {@code backup-repo/} (the dr-backup
 * repository the scheduled backups write to). The service must be stopped: the command starts the
 * rebuilt site, validates it with the plan's checks, promotes it at a new epoch and stops it again.
 *
 * <p>Exit codes: {@code 0} rebuilt and validated; {@code 1} the rebuild failed (the message says at
 * which offset and what was recovered; the state is FAILED and a rerun resumes it); {@code 2}
 * invalid input or a refused request (nothing changed).
 */
@Command(name = "rebuild", mixinStandardHelpOptions = true,
    description = {"Rebuild the example orders service from a backup snapshot and its replication log: restore the"
        + " snapshot, replay the log to its end or to a chosen moment, validate, promote at a new epoch.",
        "Use it when both sites are lost, or to go back to just before bad writes (a bulk delete, a bad deployment)."},
    footer = {"", "TIME is ISO-8601: 2026-01-31T02:00:00Z, or 2026-01-31T02:00 in the local zone. Records are compared by",
        "their commit time, read from the clock of the primary that wrote them (see docs/failover.md).",
        "", "Exit codes: 0 rebuilt and validated, 1 rebuild failed (resumable: run the command again),",
        "2 invalid input or request refused (nothing changed)."})
public final class RebuildCommand implements Callable<Integer> {
  /** Exit code of a rebuild that failed after it started. */
  public static final int EXIT_FAILED = 1;
  /** Exit code of invalid input or a refused request. */
  public static final int EXIT_INVALID = 2;
  private static final String BY = "drkit rebuild";

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--plan", paramLabel = "FILE", required = true, description = "Recovery plan (YAML or JSON).")
  Path plan = Path.of("");

  @Option(names = "--service", paramLabel = "NAME", required = true, description = "The service of the plan to rebuild.")
  String service = "";

  @Option(names = "--data", paramLabel = "DIR", required = true,
      description = "The service's data directory (primary/, backup/, state/, backup-repo/), e.g. the 'work' folder"
          + " 'drkit drill --keep' leaves in its report directory.")
  Path data = Path.of("");

  @Option(names = "--snapshot", paramLabel = "ID|latest", defaultValue = "latest",
      description = "Start from this snapshot (an id or a unique prefix of at least 4 characters), or the latest one"
          + " usable for the target (default ${DEFAULT-VALUE}).")
  String snapshot = "latest";

  @Option(names = "--to", paramLabel = "TIME",
      description = "Replay every record committed at or before TIME, and nothing after (default: the end of the log).")
  @Nullable String to;

  @Option(names = "--to-offset", paramLabel = "N",
      description = "Replay up to and including log offset N (default: the end of the log).")
  @Nullable Long toOffset;

  @Option(names = "--log", paramLabel = "DIR",
      description = "The replication log to replay (default: the log of the snapshot's epoch under the data directory,"
          + " <site>/replog/e<EPOCH>). A directory that does not exist means the log is gone: the rebuild stops at"
          + " the snapshot.")
  @Nullable Path log;

  @Option(names = "--last-acknowledged", paramLabel = "TIME",
      description = "When the last write acknowledged to a client was made (from the front end's logs): with it the"
          + " report gives the RPO of a rebuild the log cannot bring up to date.")
  @Nullable String lastAcknowledged;

  /** Used by picocli. */
  public RebuildCommand() {}

  /** @return the top-level commands of this group: {@code rebuild} */
  public static List<Object> commands() {
    return List.of(new RebuildCommand());
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RebuildRequest request;
    RecoveryConfig config;
    Optional<Instant> lastAck;
    try {
      request = request();
      lastAck = lastAcknowledged == null ? Optional.empty()
          : Optional.of(parseTime("--last-acknowledged", lastAcknowledged));
      RecoveryPlan p = PlanLoader.withCheckValidator(DrillPlanChecks.validator()).load(plan);
      config = p.service(service);
      for (String dir : List.of("backup-repo", "state")) {
        if (!Files.isDirectory(data.resolve(dir))) {
          throw new IllegalArgumentException("--data " + data + " holds no " + dir + "/ directory: it is not the orders"
              + " service's data directory (see drkit rebuild --help)");
        }
      }
    } catch (ConfigException e) {
      for (ConfigException.Problem pr : e.problems()) {
        err.println(pr);
      }
      err.println("drkit rebuild: invalid plan: " + e.problems().size() + " problem(s)");
      err.flush();
      return EXIT_INVALID;
    } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
      err.println("drkit rebuild: " + e.getMessage());
      err.flush();
      return EXIT_INVALID;
    }
    Clock clock = Clock.systemUTC();
    EventBus bus = new EventBus();
    Path repoDir = data.resolve("backup-repo");
    Supplier<Repository> repository = () -> Repository.open(new FileSystemBlobStore(repoDir), null,
        RepositoryOptions.builder().host("drkit-rebuild").clock(clock).build());
    OrderSite primary = new OrderSite("primary", Site.PRIMARY, data.resolve("primary"), clock);
    OrderSite backup = new OrderSite("backup", Site.BACKUP, data.resolve("backup"), clock);
    SnapshotCatalog catalog = new RepositorySnapshotCatalog(repository, (svc, s) -> true);
    try (FileStateStore store = FileStateStore.open(data.resolve("state"));
        Router router = new Router(clock, Duration.ofSeconds(2));
        LogShippingReplication replication = new LogShippingReplication(config.name(), true, bus, clock);
        ReplicationLogReplay replay = new ReplicationLogReplay(config.name(),
            () -> openLog(store, catalog, config.name(), bus, clock, out))) {
      OrderTopology topology = new OrderTopology() {
        @Override
        public OrderSite site(Site s) {
          return s == Site.PRIMARY ? primary : backup;
        }

        @Override
        public Router router() {
          return router;
        }
      };
      // No client ledger here: the integrity check has nothing to compare with and passes; the
      // rebuild's own report says what was restored.
      CheckRegistry registry = OrdersDrill.register(CheckRegistry.withBuiltIns(), topology, new Ledger(), 0,
          config.rpo(), clock::instant);
      OrderFailoverActions actions = new OrderFailoverActions(primary, backup, router, replication, bus, clock,
          config.rto(), config.rto());
      LocalCoordinator coordinator = new LocalCoordinator();
      coordinator.awaitLeadership(Duration.ofSeconds(5));
      FailoverEngine engine = FailoverEngine.builder(config).stateStore(store).actions(actions).coordinator(coordinator)
          .validator(Validator.builder(registry).eventBus(bus).clock(clock).build()).eventBus(bus).clock(clock)
          .rebuildSources(new RebuildSources(catalog, replay, new OrderDeletesRebuildTarget(
              new OrderRebuildTarget(primary, backup, repository, data.resolve("rebuild-staging"), () -> lastAck),
              primary, backup)))
          .build();
      ServiceState before = engine.state();
      ServiceState after;
      if (before.state() == FailoverState.REBUILDING) {
        out.println("resuming the rebuild of '" + config.name() + "' interrupted at epoch " + before.epoch()
            + " (the request it was started with applies; the options given now are not used)");
        after = engine.resume();
      } else {
        out.println("rebuilding '" + config.name() + "' (" + request + ") from " + repoDir + "; the service is "
            + before.state() + " at epoch " + before.epoch());
        out.flush();
        try {
          after = engine.rebuild(request, BY, "drkit rebuild " + request);
        } catch (RebuildRefusedException e) {
          err.println("drkit rebuild: " + e.getMessage());
          err.flush();
          return EXIT_INVALID;
        }
      }
      Optional<RebuildReport> report = RebuildReport.of(after);
      report.ifPresent(r -> print(out, r));
      out.flush();
      if (after.state() != FailoverState.PRIMARY_ACTIVE) {
        err.println("drkit rebuild: the rebuild of '" + config.name() + "' did not complete: " + after.state() + " ("
            + after.reason() + "); run the command again to resume it");
        err.flush();
        return EXIT_FAILED;
      }
      return 0;
    } finally {
      primary.stop();
      backup.stop();
    }
  }

  private RebuildRequest request() {
    if (to != null && toOffset != null) {
      throw new IllegalArgumentException("give --to TIME or --to-offset N, not both");
    }
    RebuildRequest r = RebuildRequest.latest();
    String id = snapshot.strip();
    if (!id.equalsIgnoreCase("latest")) {
      if (id.length() < 4) {
        throw new IllegalArgumentException("--snapshot '" + snapshot + "' is shorter than 4 characters; give an id, a"
            + " unique prefix of at least 4 characters, or 'latest'");
      }
      r = r.withSnapshot(id);
    }
    if (to != null) {
      r = r.withTargetTime(parseTime("--to", to));
    }
    if (toOffset != null) {
      if (toOffset < 0) {
        throw new IllegalArgumentException("--to-offset must be >= 0 but was " + toOffset);
      }
      r = r.withTargetOffset(toOffset);
    }
    return r;
  }

  private static Instant parseTime(String option, String value) {
    try {
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(value).atZone(ZoneId.systemDefault()).toInstant();
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(option + " '" + value
            + "' is not an ISO-8601 time such as 2026-01-31T02:00:00Z or 2026-01-31T02:00");
      }
    }
  }

  /**
   * Opens the log the rebuild replays, once the engine has chosen (and persisted) the snapshot: the
   * {@code --log} directory, or the log of the snapshot's epoch under the data directory.
   */
  private Optional<ReplicationLog> openLog(FileStateStore store, SnapshotCatalog catalog, String svc, EventBus bus,
      Clock clock, PrintWriter out) {
    Path dir = log;
    if (dir == null) {
      Long epoch = null;
      try {
        Optional<RebuildReport> r = store.load(svc).flatMap(v -> RebuildReport.of(v.value()));
        if (r.isPresent()) {
          for (SnapshotRef s : catalog.snapshots(svc)) {
            LogPosition pos = s.logPosition();
            if (s.id().equals(r.get().snapshotId()) && pos != null) {
              epoch = pos.epoch();
            }
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException("cannot find the snapshot the rebuild chose: " + e.getMessage(), e);
      }
      if (epoch == null) {
        out.println("the snapshot records no log position: the rebuild stops at the snapshot");
        return Optional.empty();
      }
      for (String site : List.of("primary", "backup")) {
        Path candidate = data.resolve(site).resolve("replog").resolve("e" + epoch);
        if (Files.isDirectory(candidate)) {
          dir = candidate;
          break;
        }
      }
      if (dir == null) {
        out.println("no replication log of epoch " + epoch + " under " + data + " (primary/ or backup/replog/e" + epoch
            + "): the log is gone, the rebuild stops at the snapshot");
        return Optional.empty();
      }
    } else if (!Files.isDirectory(dir)) {
      out.println("--log " + dir + " does not exist: the log is gone, the rebuild stops at the snapshot");
      return Optional.empty();
    }
    out.println("replaying the replication log in " + dir);
    out.flush();
    return Optional.of(ReplicationLog.open(dir, LogConfig.builder("rebuild-" + svc).eventBus(bus).clock(clock).build()));
  }

  /** Prints the report an operator reads. */
  static void print(PrintWriter out, RebuildReport r) {
    out.println();
    out.println("REBUILD of '" + r.service() + "': " + r.state() + " at epoch " + r.epoch());
    out.println(String.format(Locale.ROOT, "  restored      snapshot %s taken %s (%d bytes)%s", r.snapshotId(),
        r.snapshotTime(), r.snapshotBytes(), r.fromOffset() == null ? ", no log position recorded"
            : ", consistent with log offset " + r.fromOffset()));
    out.println("  asked         " + r.request());
    if (r.stop() == null) {
      out.println("  replay        not completed");
    } else {
      out.println(String.format(Locale.ROOT, "  replayed      %d records%s; stopped at %s (%s)", r.applied(),
          r.lastApplied() == null ? "" : " up to offset " + r.lastApplied() + ", last committed " + r.lastAppliedTime(),
          r.stop(), switch (r.stop()) {
            case "end" -> "the end of the log";
            case "target" -> "the requested target";
            case "log-gone" -> "no replication log survives";
            case "no-position" -> "the snapshot records no log position";
            default -> r.stop();
          }));
      if (r.notReplayed() > 0) {
        out.println(String.format(Locale.ROOT, "  NOT replayed  %d records committed %s .. %s: what this rebuild undid",
            r.notReplayed(), r.notReplayedFirst(), r.notReplayedLast()));
      } else {
        out.println("  NOT replayed  nothing");
      }
    }
    Duration rpo = r.rpo();
    out.println("  RPO           " + (rpo != null ? rpo.toMillis() + " ms between what was restored and the last"
        + " acknowledged write" : "not measured (the log was replayed, or the last acknowledged write is unknown:"
        + " --last-acknowledged)"));
    out.println(String.format(Locale.ROOT, "  time          load %d ms, replay %d ms (%.0f records/s)",
        r.loadDuration().toMillis(), r.replayDuration().toMillis(), r.replayRate()));
    if (r.error() != null) {
      out.println("  error         " + r.error());
    }
  }
}
