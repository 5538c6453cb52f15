package dev.drkit.examples.cli.rebuild;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.FailoverState;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.examples.cli.CliRun;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.Versioned;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code drkit rebuild} on real files: the data directory a real {@code drkit drill --scenario pitr
 * --keep} leaves (two H2 sites' databases, their replication logs, the engine's state store and
 * the scheduled backups' repository), rebuilt by the real command in-process.
 */
@Tag("integration")
class RebuildCommandTest {
  @TempDir static Path tmp;
  static Path data;
  static Path plan;
  static List<Snapshot> snapshots;

  @BeforeAll
  static void keepADrilledService() throws Exception {
    Path reports = tmp.resolve("drill");
    CliRun drill = CliRun.of("drill", "--scenario", "pitr", "--keep", "--report-dir", reports.toString());
    assertThat(drill.exitCode()).as(drill.out() + drill.err()).isIn(0, 1);
    data = reports.resolve("work");
    plan = tmp.resolve("plan.yaml");
    try (InputStream in = Objects.requireNonNull(RebuildCommandTest.class.getResourceAsStream("/drill/orders-plan.yaml"))) {
      Files.copy(in, plan);
    }
    try (Repository r = Repository.open(new FileSystemBlobStore(data.resolve("backup-repo")), null,
        RepositoryOptions.defaults())) {
      snapshots = r.snapshots().stream().sorted(Comparator.comparing(Snapshot::time)).toList();
    }
    assertThat(snapshots).isNotEmpty().allSatisfy(s -> assertThat(s.logPosition()).isNotNull());
  }

  private static CliRun rebuild(String... more) {
    return rebuildIn(data, more);
  }

  private static CliRun rebuildIn(Path dir, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("rebuild", "--plan", plan.toString(), "--service", "orders",
        "--data", dir.toString()));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static ServiceState state() {
    return versioned(data).value();
  }

  private static Versioned<ServiceState> versioned(Path dir) {
    try (FileStateStore store = FileStateStore.open(dir.resolve("state"))) {
      return store.load("orders").orElseThrow();
    }
  }

  /** @return a copy of the drilled service's data directory, for a test that changes its state */
  private static Path copyOfData(String name) throws IOException {
    Path copy = tmp.resolve(name);
    try (Stream<Path> files = Files.walk(data)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = copy.resolve(data.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    return copy;
  }

  /**
   * Leaves the service of {@code dir} as a rebuild from the oldest snapshot to offset {@code to},
   * started by an earlier run, leaves it: {@code REBUILDING} (interrupted: the process died) or
   * {@code FAILED} in its REBUILDING phase. The attributes are those the engine persists when the
   * rebuild starts.
   */
  private static Versioned<ServiceState> interruptedRebuild(Path dir, FailoverState left, long to) {
    Snapshot oldest = snapshots.get(0);
    LogPosition pos = Objects.requireNonNull(oldest.logPosition());
    try (FileStateStore store = FileStateStore.open(dir.resolve("state"))) {
      Versioned<ServiceState> cur = store.load("orders").orElseThrow();
      Map<String, String> a = new TreeMap<>(Map.of("mode", "manual", "by", "drkit rebuild", "why", "an earlier run",
          "rebuildSnapshot", "latest", "rebuildTo", "offset:" + to, "rebuildSnapshotId", oldest.id(),
          "rebuildSnapshotTime", oldest.time().toString(), "rebuildFromOffset", Long.toString(pos.offset()),
          "rebuildFromEpoch", Long.toString(pos.epoch()), "rebuildFrom", "PRIMARY"));
      if (left == FailoverState.FAILED) {
        a.put("failedPhase", "REBUILDING");
        a.put("error", "validation of the rebuilt site failed");
        a.put("servingSite", "NONE");
      }
      ServiceState s = new ServiceState("orders", left, cur.value().epoch() + 1, Site.PRIMARY, Instant.now(),
          "an earlier drkit rebuild", a);
      long version = store.compareAndSet("orders", cur.version(), s);
      return new Versioned<>(s, version);
    }
  }

  private static void assertNoStackTrace(CliRun r) {
    assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception in");
  }

  @Test
  void anInterruptedRebuildAskedForAnotherTargetIsRefusedNamingItsOwnAndAbandonReplacesIt() throws IOException {
    Path dir = copyOfData("interrupted-other-target");
    long from = Objects.requireNonNull(snapshots.get(0).logPosition()).offset();
    Versioned<ServiceState> left = interruptedRebuild(dir, FailoverState.REBUILDING, from + 1);

    CliRun other = rebuildIn(dir, "--to-offset", Long.toString(from + 3));
    assertThat(other.exitCode()).as(other.out() + other.err()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(other.err()).contains("refused, nothing changed")
        .contains("still in progress with snapshot latest, replay to offset:" + (from + 1))
        .contains("snapshot " + snapshots.get(0).id()).contains("--abandon");
    assertNoStackTrace(other);
    assertThat(versioned(dir).version()).as("nothing persisted").isEqualTo(left.version());
    // Another snapshot than the one it chose (the drill may have taken only one: an id no snapshot has).
    CliRun otherSnapshot = rebuildIn(dir, "--snapshot", "ffffffffffff", "--to-offset", Long.toString(from + 1));
    assertThat(otherSnapshot.exitCode()).as(otherSnapshot.out() + otherSnapshot.err())
        .isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(otherSnapshot.err()).contains("still in progress with snapshot latest, replay to offset:" + (from + 1));
    assertThat(versioned(dir).version()).isEqualTo(left.version());

    CliRun abandoned = rebuildIn(dir, "--abandon", "--to-offset", Long.toString(from + 3));
    assertThat(abandoned.exitCode()).as(abandoned.out() + abandoned.err()).isZero();
    assertThat(abandoned.out()).contains("abandoning the rebuild of 'orders' interrupted at epoch "
            + left.value().epoch() + " (snapshot latest, replay to offset:" + (from + 1) + ")")
        .contains("asked         snapshot latest, replay to offset:" + (from + 3))
        .contains("up to offset " + (from + 3) + ",");
    assertThat(versioned(dir).value().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
  }

  @Test
  void anInterruptedRebuildResumesWithItsOwnRequestWhenRunAgainWithoutOrWithTheSameOptions() throws IOException {
    long from = Objects.requireNonNull(snapshots.get(0).logPosition()).offset();
    for (List<String> options : List.of(List.<String>of(), List.of("--to-offset", Long.toString(from + 1)),
        List.of("--snapshot", snapshots.get(0).id().substring(0, 8), "--to-offset", Long.toString(from + 1)))) {
      Path dir = copyOfData("interrupted-resumed-" + options.size());
      Versioned<ServiceState> left = interruptedRebuild(dir, FailoverState.REBUILDING, from + 1);

      CliRun r = rebuildIn(dir, options.toArray(String[]::new));

      assertThat(r.exitCode()).as(options + r.out() + r.err()).isZero();
      assertThat(r.out()).as(options.toString()).contains("resuming the rebuild of 'orders' interrupted at epoch "
              + left.value().epoch() + " with the request it was started with (snapshot latest, replay to offset:"
              + (from + 1))
          .contains("replayed      2 records up to offset " + (from + 1));
      assertThat(versioned(dir).value().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    }
  }

  @Test
  void aFailedRebuildRunAgainWithoutOptionsIsRetriedToItsOwnTargetNotToTheEndOfTheLog() throws IOException {
    Path dir = copyOfData("failed-rebuild");
    long from = Objects.requireNonNull(snapshots.get(0).logPosition()).offset();
    Versioned<ServiceState> left = interruptedRebuild(dir, FailoverState.FAILED, from + 1);

    CliRun r = rebuildIn(dir);

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("retrying the rebuild of 'orders' that failed at epoch " + left.value().epoch())
        .contains("asked         snapshot latest, replay to offset:" + (from + 1))
        .contains("replayed      2 records up to offset " + (from + 1))
        .containsPattern("NOT replayed  \\d+ records");
    assertThat(versioned(dir).value().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
  }

  @Test
  void aRebuildWhileAFailoverIsInProgressIsRefusedInOneLine() throws IOException {
    Path dir = copyOfData("failing-over");
    Versioned<ServiceState> failingOver;
    try (FileStateStore store = FileStateStore.open(dir.resolve("state"))) {
      Versioned<ServiceState> cur = store.load("orders").orElseThrow();
      ServiceState s = new ServiceState("orders", FailoverState.FAILING_OVER, cur.value().epoch() + 1, Site.BACKUP,
          Instant.now(), "manual failover by bob", Map.of("mode", "manual", "by", "bob"));
      failingOver = new Versioned<>(s, store.compareAndSet("orders", cur.version(), s));
    }

    CliRun r = rebuildIn(dir);

    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(r.err()).contains("FAILING_OVER").contains("orders");
    assertNoStackTrace(r);
    assertThat(versioned(dir).version()).isEqualTo(failingOver.version());
  }

  @Test
  void aSecondRebuildWhileTheStateIsHeldIsRefusedInOneLineAndChangesNothing() throws IOException {
    Path dir = copyOfData("held");
    long version = versioned(dir).version();
    CliRun r;
    try (FileStateStore held = FileStateStore.open(dir.resolve("state"))) {
      r = rebuildIn(dir);
      assertThat(held.load("orders")).isPresent();
    }
    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(r.err()).contains("refused, nothing changed").contains("in use")
        .contains("another drkit rebuild, or the service itself, is running on " + dir);
    assertNoStackTrace(r);
    assertThat(versioned(dir).version()).isEqualTo(version);
  }

  @Test
  void aTargetOffsetBeyondTheEndOfTheLogReplaysItAllAndSaysTheTargetWasNotReached() throws IOException {
    Path dir = copyOfData("beyond-the-end");
    CliRun r = rebuildIn(dir, "--to-offset", "99999999");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("stopped at end (the end of the log)").contains("NOT replayed  nothing")
        .containsPattern("NOTE          the log ended before the target offset 99999999 was reached: every record it"
            + " holds was replayed \\(the last: offset \\d+, committed ");
  }

  @Test
  void withThePrimarysLogLostTheReplicasCopyOfItIsReplayed() throws IOException {
    Path dir = copyOfData("primary-log-lost");
    Snapshot oldest = snapshots.get(0);
    LogPosition pos = Objects.requireNonNull(oldest.logPosition());
    Path primaryLog = dir.resolve("primary").resolve("replog").resolve("e" + pos.epoch());
    Path replicaCopy = dir.resolve("backup").resolve("replog").resolve("e" + pos.epoch() + "-replica");
    assertThat(replicaCopy).isDirectory();
    dev.drkit.examples.FileTrees.deleteTree(primaryLog);

    CliRun r = rebuildIn(dir, "--snapshot", oldest.id(), "--to-offset", Long.toString(pos.offset() + 1));

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("replaying the replication log in " + replicaCopy)
        .contains("replayed      2 records up to offset " + (pos.offset() + 1)).doesNotContain("the log is gone");
  }

  @Test
  void withJsonStandardOutputHoldsTheReportAloneWithWhatWasAndWasNotReplayed() throws IOException {
    Path dir = copyOfData("json");
    Snapshot oldest = snapshots.get(0);
    long from = Objects.requireNonNull(oldest.logPosition()).offset();

    CliRun r = rebuildIn(dir, "--json", "--snapshot", oldest.id(), "--to-offset", Long.toString(from + 1));

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.err()).contains("replaying the replication log in");
    com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertThat(j.get("state").asText()).isEqualTo("PRIMARY_ACTIVE");
    assertThat(j.at("/request/to_offset").asLong()).isEqualTo(from + 1);
    assertThat(j.at("/request/to_time").isNull()).isTrue();
    assertThat(j.at("/snapshot/id").asText()).isEqualTo(oldest.id());
    assertThat(j.at("/snapshot/log_offset").asLong()).isEqualTo(from);
    assertThat(j.get("stop").asText()).isEqualTo("target");
    assertThat(j.get("target_reached").asBoolean()).isTrue();
    assertThat(j.at("/replayed/records").asLong()).isEqualTo(2);
    assertThat(j.at("/replayed/first_offset").asLong()).isEqualTo(from);
    assertThat(j.at("/replayed/last_offset").asLong()).isEqualTo(from + 1);
    assertThat(Instant.parse(j.at("/replayed/last_time").asText())).isNotNull();
    assertThat(j.at("/not_replayed/records").asLong()).isPositive();
    assertThat(Instant.parse(j.at("/not_replayed/first_time").asText()))
        .isBeforeOrEqualTo(Instant.parse(j.at("/not_replayed/last_time").asText()));
    assertThat(j.at("/not_replayed/at_or_before_target").asLong()).isZero();
    assertThat(j.get("error").isNull()).isTrue();
  }

  @Test
  void aTargetBeforeTheOldestSnapshotIsRefusedNamingItAndChangesNothing() {
    ServiceState before = state();
    CliRun r = rebuild("--to", "2020-01-01T00:00:00Z");

    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(r.err()).contains("refused").contains("before the oldest snapshot")
        .contains(snapshots.get(0).id().substring(0, 12));
    assertThat(state().epoch()).isEqualTo(before.epoch());
    assertThat(state().state()).isEqualTo(before.state());
  }

  @Test
  void anUnknownSnapshotIsRefusedAndBothTargetsAreInvalid() {
    CliRun unknown = rebuild("--snapshot", "ffffffffffff");
    assertThat(unknown.exitCode()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(unknown.err()).contains("no snapshot 'ffffffffffff'");

    CliRun both = rebuild("--to", "2026-01-01T00:00:00Z", "--to-offset", "3");
    assertThat(both.exitCode()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(both.err()).contains("--to TIME or --to-offset N, not both");

    CliRun badTime = rebuild("--to", "yesterday");
    assertThat(badTime.exitCode()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(badTime.err()).contains("--to 'yesterday' is not an ISO-8601 time");

    CliRun service = CliRun.of("rebuild", "--plan", plan.toString(), "--service", "nope", "--data", data.toString());
    assertThat(service.exitCode()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(service.err()).contains("no service named 'nope'");

    long version = versioned(data).version();
    CliRun other = CliRun.of("rebuild", "--plan", plan.toString(), "--service", "inventory", "--data",
        data.toString());
    assertThat(other.exitCode()).as("a service of the plan whose data this is not").isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(other.err()).contains("holds no state of service 'inventory' (its state store holds orders)");
    assertNoStackTrace(other);
    assertThat(versioned(data).version()).isEqualTo(version);
    try (FileStateStore store = FileStateStore.open(data.resolve("state"))) {
      assertThat(store.services()).containsExactly("orders");
    }
  }

  @Test
  void rebuildsFromAChosenSnapshotToAnOffsetAndListsWhatItDidNotReplay() {
    Snapshot oldest = snapshots.get(0);
    long from = Objects.requireNonNull(oldest.logPosition()).offset();
    long epochBefore = state().epoch();

    // in upper case, as pasted from a ticket
    CliRun r = rebuild("--snapshot", oldest.id().substring(0, 10).toUpperCase(java.util.Locale.ROOT), "--to-offset",
        Long.toString(from + 1));

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("REBUILD of 'orders': PRIMARY_ACTIVE at epoch " + (epochBefore + 1))
        .contains("snapshot " + oldest.id()).contains("consistent with log offset " + from)
        .contains("replayed      2 records up to offset " + (from + 1)).contains("stopped at target")
        .containsPattern("NOT replayed  \\d+ records committed .* what this rebuild undid");
    assertThat(state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(state().epoch()).isEqualTo(epochBefore + 1);
  }

  @Test
  void withoutALogTheRebuildStopsAtTheSnapshotAndReportsTheRpo() throws IOException {
    Snapshot newest = snapshots.get(snapshots.size() - 1);
    String lastAck = newest.time().plusSeconds(3).toString();

    CliRun typo = rebuild("--log", tmp.resolve("lost-log").toString(), "--last-acknowledged", lastAck);
    assertThat(typo.exitCode()).as("a --log that does not exist is a typo until said otherwise")
        .isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(typo.err()).contains("--log " + tmp.resolve("lost-log") + " does not exist").contains("--log none");
    assertNoStackTrace(typo);
    assertThat(typo.out()).doesNotContain("rebuilding");

    Path unmeasured = copyOfData("log-gone-unmeasured");
    CliRun blind = rebuildIn(unmeasured, "--log", "none");
    assertThat(blind.exitCode()).as(blind.out() + blind.err()).isZero();
    assertThat(blind.out()).contains("stopped at log-gone")
        .contains("RPO           UNKNOWN: everything written after the snapshot (" + newest.time() + ") is lost; give"
            + " --last-acknowledged TIME to measure how much");

    CliRun r = rebuild("--log", "none", "--last-acknowledged", lastAck);

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("the log is gone").contains("snapshot " + newest.id())
        .contains("replayed      0 records; stopped at log-gone")
        .containsPattern("RPO           \\d+ ms between what was restored and the last acknowledged write");
  }
}
