package dev.drkit.examples.cli.rebuild;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.RepositorySnapshotCatalog;
import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.IllegalTransitionException;
import dev.drkit.core.StorageException;
import dev.drkit.core.VersionConflictException;
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
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code drkit rebuild --plan FILE --service NAME --data DIR [--snapshot ID|latest] [--to TIME |
 * --to-offset N] [--abandon] [--json]}: rebuilds the example orders service from a backup snapshot and its replication
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
 * <p>Run again on a service an interrupted run left REBUILDING, or whose rebuild FAILED, the command
 * resumes or retries that rebuild with the request it was started with; options asking for another
 * snapshot or target are refused (exit code 2, naming the persisted request) unless {@code
 * --abandon} replaces an interrupted rebuild, or the rebuild had FAILED (then the options given start
 * a new one). With {@code --json} the report is printed as one JSON object on standard output.
 *
 * <p>Exit codes: {@code 0} rebuilt and validated; {@code 1} the rebuild failed (the message says at
 * which offset and what was recovered; the state is FAILED and a rerun retries it); {@code 2}
 * invalid input or a refused request (nothing changed).
 */
@Command(name = "rebuild", mixinStandardHelpOptions = true,
    description = {"Rebuild the example orders service from a backup snapshot and its replication log: restore the"
        + " snapshot, replay the log to its end or to a chosen moment, validate, promote at a new epoch.",
        "Use it when both sites are lost, or to go back to just before bad writes (a bulk delete, a bad deployment)."},
    footer = {"", "TIME is ISO-8601: 2026-01-31T02:00:00Z, 2026-01-31T03:00:00+01:00, or 2026-01-31T02:00 in the local",
        "zone (a space may replace the T). Records are compared by their commit time, read from the clock of the",
        "primary that wrote them (see docs/failover.md).",
        "", "Run again, an interrupted or failed rebuild is resumed or retried with the request it was started with;",
        "other --snapshot/--to/--to-offset options are refused unless --abandon is given.",
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

  @Option(names = "--log", paramLabel = "DIR|none",
      description = "The replication log to replay (default: the log of the snapshot's epoch under the data directory,"
          + " <site>/replog/e<EPOCH>, else the replica's copy <site>/replog/e<EPOCH>-replica). 'none': the log is"
          + " gone, the rebuild stops at the snapshot. A DIR that does not exist is refused.")
  @Nullable Path log;

  @Option(names = "--json", description = "Print the report as one JSON object on standard output (what the rebuild"
      + " is doing goes to standard error).")
  boolean json;

  @Option(names = "--abandon",
      description = "Abandon the rebuild an interrupted run left in progress (REBUILDING, sites fenced) and start"
          + " this one instead. Without it an interrupted rebuild is resumed with the request it was started with,"
          + " and options asking for another snapshot or target are refused.")
  boolean abandon;

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
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = json ? err : stdout; // with --json standard output holds the report alone
    RebuildRequest request;
    RecoveryConfig config;
    Optional<Instant> lastAck;
    Clock clock = Clock.systemUTC();
    try {
      request = request(clock.instant(), ZoneId.systemDefault());
      lastAck = lastAcknowledged == null ? Optional.empty()
          : Optional.of(parseTime("--last-acknowledged", lastAcknowledged, ZoneId.systemDefault()));
      RecoveryPlan p = PlanLoader.withCheckValidator(DrillPlanChecks.validator()).load(plan);
      config = p.service(service);
      Path logDir = log;
      if (logDir != null && !logGone(logDir) && !Files.isDirectory(logDir)) {
        throw new IllegalArgumentException("--log " + logDir + (Files.exists(logDir) ? " is not a directory"
            : " does not exist") + ": give the directory of a replication log, or --log none to rebuild without"
            + " the log (stopping at the snapshot)");
      }
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
    boolean explicit = spec.commandLine().getParseResult().hasMatchedOption("--snapshot") || to != null
        || toOffset != null;
    EventBus bus = new EventBus();
    Path repoDir = data.resolve("backup-repo");
    Supplier<Repository> repository = () -> Repository.open(new FileSystemBlobStore(repoDir), null,
        RepositoryOptions.builder().host("drkit-rebuild").clock(clock).build());
    OrderSite primary = new OrderSite("primary", Site.PRIMARY, data.resolve("primary"), clock);
    OrderSite backup = new OrderSite("backup", Site.BACKUP, data.resolve("backup"), clock);
    SnapshotCatalog catalog = new RepositorySnapshotCatalog(repository, (svc, s) -> true);
    FileStateStore store;
    try {
      store = FileStateStore.open(data.resolve("state"));
    } catch (StorageException e) {
      err.println("drkit rebuild: refused, nothing changed: the service's state cannot be taken (" + e.getMessage()
          + "); another drkit rebuild, or the service itself, is running on " + data);
      err.flush();
      return EXIT_INVALID;
    }
    Set<String> held = store.services();
    if (!held.contains(config.name())) {
      store.close();
      err.println("drkit rebuild: refused, nothing changed: --data " + data + " holds no state of service '"
          + config.name() + "' (its state store holds " + (held.isEmpty() ? "none" : String.join(", ", new TreeSet<>(held)))
          + "): give the service whose data directory this is");
      err.flush();
      return EXIT_INVALID;
    }
    try (store;
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
      Optional<RebuildReport> previous = RebuildReport.of(before);
      boolean failedRebuild = before.state() == FailoverState.FAILED
          && FailoverState.REBUILDING.name().equals(before.attributes().get(FailoverEngine.ATTR_FAILED_PHASE));
      ServiceState after;
      try {
        if (before.state() == FailoverState.REBUILDING && abandon) {
          out.println("abandoning the rebuild of '" + config.name() + "' interrupted at epoch " + before.epoch() + " ("
              + previous.map(p -> p.request().toString()).orElse("its request unknown") + ")");
          engine.abort(BY, "abandoned for a new rebuild (" + request + ")");
          after = rebuild(engine, request, before, out);
        } else if (before.state() == FailoverState.REBUILDING || (failedRebuild && previous.isPresent()
            && (!explicit || sameRequest(previous.get(), request)))) {
          Optional<String> conflict = previous.filter(p -> explicit && !sameRequest(p, request)).map(p ->
              "refused, nothing changed: the rebuild of '" + config.name() + "' interrupted at epoch " + before.epoch()
                  + " is still in progress with " + p.request() + " (snapshot " + p.snapshotId() + "), not the "
                  + request + " asked now. Run the command without --snapshot, --to and --to-offset (or with the"
                  + " same ones) to finish it, or add --abandon to abandon it and rebuild with the options given");
          if (conflict.isPresent()) {
            err.println("drkit rebuild: " + conflict.get());
            err.flush();
            return EXIT_INVALID;
          }
          String with = previous.map(p -> p.request() + ", snapshot " + p.snapshotId()).orElse("its request");
          if (before.state() == FailoverState.REBUILDING) {
            out.println("resuming the rebuild of '" + config.name() + "' interrupted at epoch " + before.epoch()
                + " with the request it was started with (" + with + ")");
            after = engine.resume();
          } else {
            out.println("retrying the rebuild of '" + config.name() + "' that failed at epoch " + before.epoch()
                + " with the request it was started with (" + with + ")");
            after = engine.retry(BY, "drkit rebuild: retry of the failed rebuild");
          }
        } else {
          if (failedRebuild) {
            out.println("the rebuild that failed at epoch " + before.epoch() + " ("
                + previous.map(p -> p.request().toString()).orElse("its request unknown")
                + ") is replaced by a new one with the options given");
          }
          after = rebuild(engine, request, before, out);
        }
      } catch (RebuildRefusedException | IllegalTransitionException | VersionConflictException e) {
        err.println("drkit rebuild: " + e.getMessage());
        err.flush();
        return EXIT_INVALID;
      }
      Optional<RebuildReport> report = RebuildReport.of(after);
      if (report.isPresent() && json) {
        stdout.println(json(report.get()));
      } else if (report.isPresent()) {
        print(out, report.get());
      }
      stdout.flush();
      out.flush();
      if (after.state() != FailoverState.PRIMARY_ACTIVE) {
        err.println("drkit rebuild: the rebuild of '" + config.name() + "' did not complete: " + after.state() + " ("
            + after.reason() + "); run the command again to resume it");
        err.flush();
        return EXIT_FAILED;
      }
      return 0;
    } catch (RuntimeException e) {
      err.println("drkit rebuild: the rebuild of '" + config.name() + "' stopped: " + e.getMessage()
          + " (" + e.getClass().getSimpleName() + "); run the command again to resume it");
      err.flush();
      return EXIT_FAILED;
    } finally {
      primary.stop();
      backup.stop();
    }
  }

  private ServiceState rebuild(FailoverEngine engine, RebuildRequest request, ServiceState before, PrintWriter out) {
    out.println("rebuilding '" + before.service() + "' (" + request + ") from " + data.resolve("backup-repo")
        + "; the service is " + engine.state().state() + " at epoch " + engine.state().epoch());
    out.flush();
    return engine.rebuild(request, BY, "drkit rebuild " + request);
  }

  /**
   * Whether the options given now ask for what a persisted rebuild was started with: the same target,
   * and the same snapshot choice (a prefix of the snapshot it chose counts as the same).
   */
  static boolean sameRequest(RebuildReport persisted, RebuildRequest now) {
    RebuildRequest was = persisted.request();
    if (!Objects.equals(was.toOffset(), now.toOffset()) || !Objects.equals(was.toTime(), now.toTime())) {
      return false;
    }
    String id = now.snapshotId();
    if (id != null) {
      return persisted.snapshotId().startsWith(id);
    }
    return now.snapshotBefore() == null && was.snapshotId() == null && was.snapshotBefore() == null;
  }

  private RebuildRequest request(Instant now, ZoneId zone) {
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
      for (int i = 0; i < id.length(); i++) {
        char c = id.charAt(i);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
          // what was typed is not echoed: it may hold control characters
          throw new IllegalArgumentException("--snapshot: character " + (i + 1) + " is not a hex digit; give a"
              + " snapshot id, a unique prefix of at least 4 of its hex digits (in either case), or 'latest'");
        }
      }
      r = r.withSnapshot(id.toLowerCase(java.util.Locale.ROOT)); // ids are written in lower case
    }
    if (to != null) {
      Instant t = parseTime("--to", to, zone);
      if (t.isAfter(now)) {
        throw new IllegalArgumentException("--to '" + to + "' (" + t + ") is in the future: it is " + now
            + " on this machine; leave --to out to replay the whole log");
      }
      r = r.withTargetTime(t);
    }
    if (toOffset != null) {
      if (toOffset < 0) {
        throw new IllegalArgumentException("--to-offset must be >= 0 but was " + toOffset);
      }
      r = r.withTargetOffset(toOffset);
    }
    return r;
  }

  /**
   * Reads an operator's time: ISO-8601 with an offset or {@code Z} ({@code 2026-01-31T02:00:00Z},
   * {@code 2026-01-31T03:00:00+01:00}), or a local date and time in {@code zone} ({@code
   * 2026-01-31T02:00}); a space may stand for the {@code T}. A date alone, a number (a Unix time?),
   * and a local time that a daylight-saving change skips or repeats are refused with a message saying
   * what to write instead.
   *
   * @throws IllegalArgumentException naming the option and the value when it is not such a time
   */
  static Instant parseTime(String option, String value, ZoneId zone) {
    String v = value.strip();
    if (v.matches("\\d{4}-\\d{2}-\\d{2} \\d.*")) {
      v = v.substring(0, 10) + "T" + v.substring(11);
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      // not with an offset: a local time, or not a time at all
    }
    LocalDateTime local;
    try {
      local = LocalDateTime.parse(v);
    } catch (DateTimeParseException e) {
      String hint;
      if (v.matches("\\d{4}-\\d{2}-\\d{2}")) {
        hint = " is a date without a time of day; give the moment, e.g. " + v + "T00:00:00Z for the start of that day";
      } else if (v.matches("-?\\d{1,12}")) {
        hint = " is a number, not a time; if it is a Unix time in seconds, write it as "
            + Instant.ofEpochSecond(Long.parseLong(v)) + "";
      } else {
        hint = " is not an ISO-8601 time such as 2026-01-31T02:00:00Z or 2026-01-31T02:00 (local time)";
      }
      throw new IllegalArgumentException(option + " '" + value + "'" + hint);
    }
    List<ZoneOffset> offsets = zone.getRules().getValidOffsets(local);
    if (offsets.size() == 1) {
      return local.atOffset(offsets.get(0)).toInstant();
    }
    if (offsets.isEmpty()) {
      throw new IllegalArgumentException(option + " '" + value + "' does not exist in the local zone " + zone
          + " (a daylight-saving change skips it); give the time with its offset, e.g. "
          + local.atZone(zone).toOffsetDateTime());
    }
    throw new IllegalArgumentException(option + " '" + value + "' happens twice in the local zone " + zone
        + " (a daylight-saving change repeats it): give the offset, " + local.atOffset(offsets.get(0)) + " or "
        + local.atOffset(offsets.get(1)));
  }

  /** Whether {@code --log} says the log is gone ({@code none}, unless a directory of that name exists). */
  private static boolean logGone(Path dir) {
    return dir.toString().equals("none") && !Files.isDirectory(dir);
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
      // The log the primary wrote, else the copy its replica received (same offsets and epochs).
      for (boolean replicaCopy : new boolean[] {false, true}) {
        for (String site : List.of("primary", "backup")) {
          Path siteDir = data.resolve(site);
          Path candidate = replicaCopy ? LogShippingReplication.replicaLogDir(siteDir, epoch)
              : LogShippingReplication.primaryLogDir(siteDir, epoch);
          if (dir == null && Files.isDirectory(candidate)) {
            dir = candidate;
          }
        }
      }
      if (dir == null) {
        out.println("no replication log of epoch " + epoch + " under " + data + " (primary/ or backup/replog/e" + epoch
            + " or e" + epoch + "-replica): the log is gone, the rebuild stops at the snapshot");
        return Optional.empty();
      }
    } else if (logGone(dir)) {
      out.println("--log none: the log is gone, the rebuild stops at the snapshot");
      return Optional.empty();
    }
    out.println("replaying the replication log in " + dir);
    out.flush();
    return Optional.of(ReplicationLog.open(dir, LogConfig.builder("rebuild-" + svc).eventBus(bus).clock(clock).build()));
  }

  /**
   * The report as JSON, for scripts: the same facts as {@link #print}, with full ids, UTC times,
   * and null for what does not apply.
   */
  static String json(RebuildReport r) throws JsonProcessingException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("service", r.service());
    m.put("state", r.state().name());
    m.put("epoch", r.epoch());
    RebuildRequest asked = r.request();
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("snapshot", asked.snapshotId() != null ? asked.snapshotId() : "latest");
    request.put("to_offset", asked.toOffset());
    request.put("to_time", asked.toTime() == null ? null : asked.toTime().toString());
    m.put("request", request);
    Map<String, Object> snapshot = new LinkedHashMap<>();
    snapshot.put("id", r.snapshotId());
    snapshot.put("time", r.snapshotTime().toString());
    snapshot.put("bytes", r.snapshotBytes());
    snapshot.put("log_offset", r.fromOffset());
    m.put("snapshot", snapshot);
    m.put("stop", r.stop());
    boolean targeted = asked.toOffset() != null || asked.toTime() != null;
    m.put("target_reached", r.stop() == null || !targeted ? null : r.stop().equals("target"));
    Map<String, Object> replayed = new LinkedHashMap<>();
    replayed.put("records", r.applied());
    replayed.put("first_offset", r.applied() == 0 ? null : r.fromOffset());
    replayed.put("last_offset", r.lastApplied());
    replayed.put("last_time", r.lastAppliedTime() == null ? null : r.lastAppliedTime().toString());
    m.put("replayed", replayed);
    Map<String, Object> notReplayed = new LinkedHashMap<>();
    notReplayed.put("records", r.notReplayed());
    notReplayed.put("first_time", r.notReplayedFirst() == null ? null : r.notReplayedFirst().toString());
    notReplayed.put("last_time", r.notReplayedLast() == null ? null : r.notReplayedLast().toString());
    notReplayed.put("at_or_before_target", r.notReplayedAtOrBeforeTarget());
    m.put("not_replayed", notReplayed);
    m.put("rpo_ms", r.rpo() == null ? null : r.rpo().toMillis());
    m.put("load_ms", r.loadDuration().toMillis());
    m.put("replay_ms", r.replayDuration().toMillis());
    m.put("records_per_second", Math.round(r.replayRate()));
    m.put("error", r.error());
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
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
            case "log-behind" -> "the log ends before the snapshot's log position: nothing written after the"
                + " snapshot survives in it";
            case "no-position" -> "the snapshot records no log position";
            default -> r.stop();
          }));
      if (r.notReplayed() > 0) {
        out.println(String.format(Locale.ROOT, "  NOT replayed  %d records committed %s .. %s: what this rebuild undid",
            r.notReplayed(), r.notReplayedFirst(), r.notReplayedLast()));
        if (r.notReplayedAtOrBeforeTarget() > 0) {
          out.println(String.format(Locale.ROOT, "                %d of them committed at or before the target time,"
              + " but after a record past it in the log (clock skew between the sites: docs/failover.md, 'Which"
              + " clock')", r.notReplayedAtOrBeforeTarget()));
        }
      } else {
        out.println("  NOT replayed  nothing");
      }
      RebuildRequest asked = r.request();
      if (r.stop().equals("end") && (asked.toOffset() != null || asked.toTime() != null)) {
        out.println("  NOTE          the log ended before the target "
            + (asked.toOffset() != null ? "offset " + asked.toOffset() : "time " + asked.toTime())
            + " was reached: every record it holds was replayed"
            + (r.lastApplied() == null ? "" : " (the last: offset " + r.lastApplied() + ", committed "
                + r.lastAppliedTime() + ")"));
      }
    }
    Duration rpo = r.rpo();
    boolean atSnapshot = "log-gone".equals(r.stop()) || "log-behind".equals(r.stop())
        || "no-position".equals(r.stop());
    out.println("  RPO           " + (rpo != null ? rpo.toMillis() + " ms between what was restored and the last"
        + " acknowledged write" : atSnapshot ? "UNKNOWN: everything written after the snapshot (" + r.snapshotTime()
        + ") is lost; give --last-acknowledged TIME to measure how much" : "not measured (the log was replayed, or"
        + " the last acknowledged write is unknown: --last-acknowledged)"));
    out.println(String.format(Locale.ROOT, "  time          load %d ms, replay %d ms (%.0f records/s)",
        r.loadDuration().toMillis(), r.replayDuration().toMillis(), r.replayRate()));
    if (r.error() != null) {
      out.println("  error         " + r.error());
    }
  }
}
