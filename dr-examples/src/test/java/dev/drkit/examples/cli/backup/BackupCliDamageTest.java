package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The operator's worst day with the {@code drkit} tool: a damaged snapshot, index or config file, an
 * incomplete snapshot restored. Each failure is one clear line naming the file and an exit code, the
 * intact data stays reachable, and nothing says "success" for less than the whole.
 */
class BackupCliDamageTest extends UnencryptedRepositoryFixture {
  private List<Path> files(String dir) throws IOException {
    try (Stream<Path> s = Files.walk(repo.resolve(dir + "~"))) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static void flipByte(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x10);
    }
  }

  @Test
  void aDamagedSnapshotFileIsNamedButTheOthersAreListedAndRestoredById() throws IOException {
    String older = backup();
    Files.writeString(src.resolve("b.txt"), "bravo");
    String newer = backup();
    Path damaged = repo.resolve("snapshots~").resolve(older);
    flipByte(damaged);

    Cli.Result list = cli.run("snapshots", "--repo", repo.toString());
    assertThat(list.exitCode()).isEqualTo(1);
    assertThat(list.out()).contains(newer.substring(0, 8)).doesNotContain(older.substring(0, 8)).contains("1 snapshot");
    assertThat(list.err()).contains("snapshots/" + older).contains("damaged").contains("left out of the list")
        .doesNotContain("Exception");

    Path target = tmp.resolve("t");
    ok("restore", "--repo", repo.toString(), newer.substring(0, 8), "--target", target.toString());
    assertThat(Files.readString(target.resolve("b.txt"))).isEqualTo("bravo");

    Cli.Result latest = cli.run("restore", "--repo", repo.toString(), "latest", "--target",
        tmp.resolve("t2").toString());
    assertThat(latest.exitCode()).isEqualTo(1);
    assertThat(latest.err()).contains("cannot tell which snapshot is the latest").contains("snapshots/" + older)
        .contains("by its id");
    assertThat(tmp.resolve("t2")).doesNotExist();
  }

  @Test
  void aDamagedIndexFileIsNamedByVerifyAndRestoreStillGetsTheDataFromThePackHeaders() throws IOException {
    backup();
    Path index = files("index").get(0);
    flipByte(index);

    Cli.Result verify = cli.run("verify", "--repo", repo.toString());
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err()).contains("damaged index/" + index.getFileName()).doesNotContain("(none)")
        .doesNotContain("run 'drkit verify");

    Path target = tmp.resolve("t");
    ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString());
    assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("alpha");

    Cli.Result prune = cli.run("prune", "--repo", repo.toString());
    assertThat(prune.exitCode()).isEqualTo(1);
    assertThat(prune.err()).contains("index/" + index.getFileName());
    assertThat(index).exists();
  }

  @Test
  void aDamagedConfigIsNamedWithoutSendingTheOperatorToAVerifyThatCannotOpenItEither() throws IOException {
    backup();
    Files.writeString(repo.resolve("config"), "{\"version\":1}\nnot a checksum\n");
    for (String command : List.of("verify", "snapshots", "prune")) {
      Cli.Result r = cli.run(command, "--repo", repo.toString());
      assertThat(r.exitCode()).as(command).isEqualTo(1);
      assertThat(r.err()).as(command).startsWith("drkit: repository " + repo + " is damaged: repository config")
          .doesNotContain("run 'drkit verify").doesNotContain("Exception");
    }
  }

  @Test
  void restoringAnIncompleteSnapshotListsWhatItsBackupLeftOut() throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", src.resolve("pipe").toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).isZero();
    Cli.Result b = cli.run("backup", "--repo", repo.toString(), src.toString());
    assertThat(b.exitCode()).isEqualTo(3);

    Path target = tmp.resolve("t");
    Cli.Result r = ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString());
    assertThat(r.out()).contains("restored snapshot");
    assertThat(r.err()).contains("not in snapshot").contains("pipe").contains("special file")
        .contains("is incomplete: 1 entry listed above could not be backed up and cannot be restored");
    assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("alpha");
    assertThat(target.resolve("pipe")).doesNotExist();
  }

  @Test
  void aRestoreBlockedInsideItsTargetSaysWhatBlocksItRatherThanClaimingAnEscape() throws IOException {
    backup();
    Path target = Files.createDirectories(tmp.resolve("t").resolve("a.txt")); // a directory where the file goes
    Cli.Result r = cli.run("restore", "--repo", repo.toString(), "latest", "--target", target.getParent().toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("drkit: restore refused: refusing to replace directory " + target)
        .doesNotContain("refused to restore outside");
    assertThat(target).isEmptyDirectory();

    Path file = Files.writeString(tmp.resolve("file"), "not a directory");
    Cli.Result f = cli.run("restore", "--repo", repo.toString(), "latest", "--target", file.toString());
    assertThat(f.exitCode()).isEqualTo(1);
    assertThat(f.err()).startsWith("drkit: cannot create restore target " + file + ": " + file
        + " exists and is not a directory").doesNotContain("Exception");
    assertThat(Files.readString(file)).isEqualTo("not a directory");
  }

  @Test
  void aDamagedKeySlotIsListedAsSuchAndTheOthersStillShow() throws IOException {
    Path encrypted = tmp.resolve("encrypted");
    cli.password("pw");
    ok("init", "--repo", encrypted.toString());
    cli.env.put("DRKIT_NEW_PASSWORD", "second");
    String added = ok("key", "add", "--repo", encrypted.toString()).out();
    Path slot;
    try (Stream<Path> s = Files.list(encrypted.resolve("keys~"))) {
      slot = s.filter(p -> added.contains(p.getFileName().toString())).findFirst().orElseThrow();
    }
    flipByte(slot);

    Cli.Result list = cli.run("key", "list", "--repo", encrypted.toString());
    assertThat(list.exitCode()).isEqualTo(1);
    assertThat(list.out()).startsWith("* ").doesNotContain(slot.getFileName().toString());
    assertThat(list.err()).contains("key slot keys/" + slot.getFileName() + " does not match its name (damaged)");
    Cli.Result verify = cli.run("verify", "--repo", encrypted.toString());
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err()).contains("damaged keys/" + slot.getFileName());
  }

  @Test
  void theHelpOfEveryCommandThatCanMeetDamageStatesItsExitCodes() {
    for (String command : List.of("backup", "restore", "verify", "snapshots", "prune")) {
      Cli.Result r = ok(command, "--help");
      assertThat(r.out()).as(command).contains("Exit codes: 0 ").contains("1 ");
    }
  }
}
