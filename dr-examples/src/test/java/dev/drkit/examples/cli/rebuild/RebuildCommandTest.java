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
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
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
    List<String> args = new java.util.ArrayList<>(List.of("rebuild", "--plan", plan.toString(), "--service", "orders",
        "--data", data.toString()));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static ServiceState state() {
    try (FileStateStore store = FileStateStore.open(data.resolve("state"))) {
      return store.load("orders").orElseThrow().value();
    }
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
  }

  @Test
  void rebuildsFromAChosenSnapshotToAnOffsetAndListsWhatItDidNotReplay() {
    Snapshot oldest = snapshots.get(0);
    long from = Objects.requireNonNull(oldest.logPosition()).offset();
    long epochBefore = state().epoch();

    CliRun r = rebuild("--snapshot", oldest.id().substring(0, 10), "--to-offset", Long.toString(from + 1));

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("REBUILD of 'orders': PRIMARY_ACTIVE at epoch " + (epochBefore + 1))
        .contains("snapshot " + oldest.id()).contains("consistent with log offset " + from)
        .contains("replayed      2 records up to offset " + (from + 1)).contains("stopped at target")
        .containsPattern("NOT replayed  \\d+ records committed .* what this rebuild undid");
    assertThat(state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(state().epoch()).isEqualTo(epochBefore + 1);
  }

  @Test
  void withoutALogTheRebuildStopsAtTheSnapshotAndReportsTheRpo() {
    Snapshot newest = snapshots.get(snapshots.size() - 1);
    String lastAck = newest.time().plusSeconds(3).toString();

    CliRun r = rebuild("--log", tmp.resolve("lost-log").toString(), "--last-acknowledged", lastAck);

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("the log is gone").contains("snapshot " + newest.id())
        .contains("replayed      0 records; stopped at log-gone")
        .containsPattern("RPO           \\d+ ms between what was restored and the last acknowledged write");
  }
}
