package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.Excludes;
import dev.drkit.examples.cli.DrkitCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code drkit} tool's exit codes and messages for partial snapshots (3), excludes, a restore
 * include that matches nothing (1), non-ASCII symlink targets, and clean {@code --help} output of
 * every command.
 */
class BackupCliPartialAndExcludesTest {
  @TempDir Path tmp;
  Path repo;
  Path src;
  final Cli cli = new Cli();

  @BeforeEach
  void tree() throws IOException {
    repo = tmp.resolve("repo");
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    assertThat(cli.run("init", "--repo", repo.toString(), "--no-encryption").exitCode()).isZero();
  }

  private static void sh(Path dir, String script) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  @Test
  void aBackupWithSkippedEntriesWritesItsSnapshotListsThemAndExitsThree() throws Exception {
    sh(src, "mkfifo pipe");
    Cli.Result r = cli.run("backup", "--repo", repo.toString(), src.toString());
    assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
    assertThat(r.out().trim()).matches("[0-9a-f]{64}");
    assertThat(r.err()).contains("drkit: skipped pipe: special file (a FIFO is not a regular file")
        .contains("is incomplete: 1 entries could not be backed up");
    assertThat(cli.run("snapshots", "--repo", repo.toString()).out()).contains("1 snapshot")
        .contains("(incomplete: 1 skipped)");
    assertThat(cli.run("snapshots", "--repo", repo.toString(), "--json").out())
        .contains("\"skipped\" : [ {").contains("\"path\" : \"pipe\"").contains("\"reason\" : \"SPECIAL_FILE\"");
    Path out = tmp.resolve("out");
    assertThat(cli.run("restore", "--repo", repo.toString(), "latest", "--target", out.toString()).exitCode()).isZero();
    assertThat(Files.readString(out.resolve("a.txt"))).isEqualTo("alpha");
  }

  @Test
  void excludeOptionsLeaveOutWhatTheyName() throws Exception {
    Files.writeString(src.resolve("junk.tmp"), "j");
    Files.createDirectories(src.resolve("build"));
    Files.writeString(src.resolve("build/out.bin"), "b");
    Files.createDirectories(src.resolve("private"));
    Files.writeString(src.resolve("private/.nobackup"), "");
    Files.writeString(src.resolve("private/secret"), "s");
    Files.createDirectories(src.resolve("cache"));
    Files.writeString(src.resolve("cache/CACHEDIR.TAG"), Excludes.CACHEDIR_SIGNATURE + "\n");
    Files.writeString(src.resolve("cache/blob"), "c");
    Path patterns = Files.writeString(tmp.resolve("patterns"), "# generated\n/**/build\n");
    Cli.Result r = cli.run("backup", "--repo", repo.toString(), "--exclude", "*.tmp", "--exclude-file",
        patterns.toString(), "--exclude-if-present", ".nobackup", "--exclude-caches", "--one-file-system",
        src.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    Path out = tmp.resolve("out");
    assertThat(cli.run("restore", "--repo", repo.toString(), "latest", "--target", out.toString()).exitCode()).isZero();
    assertThat(list(out)).containsExactly("a.txt", "cache", "cache/CACHEDIR.TAG", "private", "private/.nobackup");
  }

  @Test
  void malformedOrUnreadableExcludesAreInvalidInput() {
    Cli.Result bad = cli.run("backup", "--repo", repo.toString(), "--exclude", "[oops", src.toString());
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("exclude pattern '[oops'");
    Cli.Result missing = cli.run("backup", "--repo", repo.toString(), "--exclude-file",
        tmp.resolve("absent").toString(), src.toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--exclude-file").contains("absent");
    assertThat(cli.run("snapshots", "--repo", repo.toString()).out()).contains("0 snapshots");
  }

  @Test
  void aPathArgumentTheJvmCouldNotDecodeIsRefusedInsteadOfAltered() throws IOException {
    // what the JVM makes of an argument byte its file-name encoding cannot decode
    Path undecodable = Path.of(src + "/x\uFFFD");
    Files.createDirectories(undecodable); // exists, so only the check can refuse it
    Cli.Result r = cli.run("backup", "--repo", repo.toString(), undecodable.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("not valid in the JVM's file-name encoding").contains("LC_ALL=C.UTF-8");
  }

  @Test
  void restoreIncludeThatMatchesNothingFailsWithAMessageAndWritesNothing() {
    assertThat(cli.run("backup", "--repo", repo.toString(), src.toString()).exitCode()).isZero();
    Path out = tmp.resolve("out");
    Cli.Result r = cli.run("restore", "--repo", repo.toString(), "latest", "--target", out.toString(), "--include",
        "a.txt", "--include", "no/such");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("matches include 'no/such'").contains("nothing was restored")
        .doesNotContain("'a.txt'");
    assertThat(out.resolve("a.txt")).doesNotExist();
  }

  @Test
  void relativeNonAsciiSymlinkTargetsComeBackExactly() throws Exception {
    Files.createDirectories(src.resolve("d/e"));
    Files.createSymbolicLink(src.resolve("d/e/up1"), Path.of("../données/x"));
    Files.createSymbolicLink(src.resolve("d/e/up2"), Path.of("../../données/x"));
    assertThat(cli.run("backup", "--repo", repo.toString(), src.toString()).exitCode()).isZero();
    Path out = tmp.resolve("out");
    assertThat(cli.run("restore", "--repo", repo.toString(), "latest", "--target", out.toString()).exitCode()).isZero();
    assertThat(Files.readSymbolicLink(out.resolve("d/e/up1")).toString()).isEqualTo("../données/x");
    assertThat(Files.readSymbolicLink(out.resolve("d/e/up2")).toString()).isEqualTo("../../données/x");
  }

  @Test
  void everyCommandsHelpIsCleanWithoutPicocliWarningsOrDoubledPercent() {
    List<List<String>> commands = new ArrayList<>();
    collect(DrkitCli.commandLine(), new ArrayList<>(), commands);
    assertThat(commands).hasSizeGreaterThan(8);
    for (List<String> cmd : commands) {
      List<String> args = new ArrayList<>(cmd);
      args.add("--help");
      ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
      PrintStream old = System.err;
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code;
      System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
      try {
        CommandLine cl = DrkitCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        code = cl.execute(args.toArray(String[]::new));
      } finally {
        System.setErr(old);
      }
      assertThat(code).as("exit code of %s", args).isZero();
      assertThat(err.toString() + sysErr.toString(StandardCharsets.UTF_8)).as("stderr of %s", args).isEmpty();
      assertThat(out.toString()).as("help of %s", args).contains("Usage:").doesNotContain("%%");
    }
  }

  private static void collect(CommandLine cl, List<String> path, List<List<String>> into) {
    into.add(path);
    for (var e : cl.getSubcommands().entrySet()) {
      if (e.getValue().getCommandName().equals(e.getKey())) {
        List<String> p = new ArrayList<>(path);
        p.add(e.getKey());
        collect(e.getValue(), p, into);
      }
    }
  }

  private static List<String> list(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return new TreeSet<>(s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).toList())
          .stream().toList();
    }
  }
}
