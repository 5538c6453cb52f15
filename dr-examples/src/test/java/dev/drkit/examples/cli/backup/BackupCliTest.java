package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every backup command of the {@code drkit} tool, run in-process on real temporary directories:
 * outputs, exit codes (0 success, 1 failure, 2 bad usage) and the messages of the failures a user
 * meets (missing repository, wrong passphrase, damaged data).
 */
class BackupCliTest {
  @TempDir
  Path tmp;
  Path repo;
  Path src;
  final Cli cli = new Cli();

  @BeforeEach
  void tree() throws IOException {
    repo = tmp.resolve("repo");
    src = tmp.resolve("src");
    Files.createDirectories(src.resolve("sub/empty"));
    Files.writeString(src.resolve("a.txt"), "alpha\n");
    Files.writeString(src.resolve("sub/b.txt"), "bravo ".repeat(1000));
    Files.createSymbolicLink(src.resolve("link"), Path.of("a.txt"));
  }

  private Cli.Result ok(String... args) {
    Cli.Result r = cli.run(args);
    assertThat(r.exitCode()).as("exit code of %s; stderr: %s", List.of(args), r.err()).isZero();
    return r;
  }

  private String backup(String... extra) {
    List<String> args = new ArrayList<>(List.of("backup", "--repo", repo.toString()));
    args.addAll(List.of(extra));
    args.add(src.toString());
    String id = ok(args.toArray(String[]::new)).out().trim();
    assertThat(id).matches("[0-9a-f]{64}");
    return id;
  }

  private static String tree(Path root) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.comparing(Path::toString)).toList()) {
        Path rel = root.relativize(p);
        if (Files.isSymbolicLink(p)) {
          sb.append(rel).append(" -> ").append(Files.readSymbolicLink(p)).append('\n');
        } else if (Files.isRegularFile(p)) {
          sb.append(rel).append(" = ").append(Files.readString(p).hashCode()).append('\n');
        } else {
          sb.append(rel).append("/\n");
        }
      }
    }
    return sb.toString();
  }

  @Test
  void backsUpListsRestoresVerifiesAndPrunesAnUnencryptedRepository() throws IOException {
    assertThat(ok("init", "--repo", repo.toString(), "--no-encryption").out()).contains("UNENCRYPTED repository");
    String first = backup("--type", "full", "--tag", "nightly", "--time", "2026-01-01T02:00:00Z");
    Files.writeString(src.resolve("a.txt"), "alpha changed\n");
    String second = backup("--time", "2026-01-02T02:00");

    Cli.Result list = ok("snapshots", "--repo", repo.toString());
    assertThat(list.out()).contains(first.substring(0, 8)).contains(second.substring(0, 8))
        .contains("2026-01-01 02:00:00").contains("nightly").contains("full").contains("incremental")
        .contains("2 snapshots");

    JsonNode json = new ObjectMapper().readTree(ok("snapshots", "--repo", repo.toString(), "--json").out());
    assertThat(json).hasSize(2);
    assertThat(json.get(0).get("id").asText()).isEqualTo(first);
    assertThat(json.get(0).get("time").asText()).isEqualTo("2026-01-01T02:00:00Z");
    assertThat(json.get(0).get("tags").get(0).asText()).isEqualTo("nightly");
    assertThat(json.get(1).get("type").asText()).isEqualTo("incremental");

    Path target = tmp.resolve("restored");
    assertThat(ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString()).out())
        .contains("restored snapshot " + second.substring(0, 8));
    assertThat(tree(target)).isEqualTo(tree(src));

    Path old = tmp.resolve("old");
    ok("restore", "--repo", repo.toString(), first.substring(0, 10), "--target", old.toString(), "--include", "a.txt");
    assertThat(Files.readString(old.resolve("a.txt"))).isEqualTo("alpha\n");
    assertThat(old.resolve("sub")).doesNotExist();

    assertThat(ok("verify", "--repo", repo.toString()).out()).contains("no errors were found");
    assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("all data read")
        .contains("no errors were found");

    assertThat(ok("forget", "--repo", repo.toString(), first).out()).contains("removed snapshot " + first);
    Cli.Result badLimit = cli.run("prune", "--repo", repo.toString(), "--max-unused", "150%");
    assertThat(badLimit.exitCode()).isEqualTo(2);
    assertThat(badLimit.err()).contains("--max-unused: '150%' is not a percentage from 0% to 100% or 'unlimited'");
    assertThat(ok("prune", "--repo", repo.toString(), "--max-unused", "unlimited").out())
        .contains("0 repacked, 0 written");
    assertThat(ok("prune", "--repo", repo.toString(), "--max-unused", "5%").out()).contains("pruned:");
    assertThat(ok("prune", "--repo", repo.toString()).out()).contains("pruned:");
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains("1 snapshot").doesNotContain(first.substring(0, 8));
    assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no errors were found");
  }

  @Test
  void forgetWithAPolicyListsWhatGoesAndWhyAndDryRunChangesNothing() {
    ok("init", "--repo", repo.toString(), "--no-encryption");
    List<String> ids = new ArrayList<>();
    for (String day : List.of("2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04")) {
      ids.add(backup("--time", day + "T10:00:00Z"));
      ids.add(backup("--time", day + "T20:00:00Z"));
    }
    String tagged = backup("--time", "2025-06-01T00:00:00Z", "--tag", "keep");

    Cli.Result dry = ok("forget", "--repo", repo.toString(), "--keep-daily", "2", "--keep-tag", "keep", "--dry-run");
    assertThat(dry.out()).contains("Applying policy: keep 2 daily snapshots and all snapshots with a tag of [keep]")
        .contains("keep 3 snapshots:").contains("remove 6 snapshots:")
        .contains(ids.get(7).substring(0, 8) + "  2026-01-04 20:00:00  daily snapshot 2026-01-04")
        .contains(tagged.substring(0, 8) + "  2025-06-01 00:00:00  has tag keep")
        .contains(ids.get(6).substring(0, 8) + "  2026-01-04 10:00:00  keep-tag: has none of [keep]; keep-daily: 2026-01-04 already kept by " + ids.get(7))
        .contains("dry run: 6 snapshot(s) would be removed; nothing was changed");
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains("9 snapshots");

    Cli.Result real = ok("forget", "--repo", repo.toString(), "--keep-daily", "2", "--keep-tag", "keep", "--prune");
    assertThat(real.out()).contains("removed 6 snapshot(s)").contains("pruned:");
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains("3 snapshots")
        .contains(ids.get(7).substring(0, 8)).contains(ids.get(5).substring(0, 8)).contains(tagged.substring(0, 8));
    assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no errors were found");
  }

  @Test
  void forgetRefusesToRunWithoutAPolicyAndToEmptyAGroupByTagsAlone() {
    ok("init", "--repo", repo.toString(), "--no-encryption");
    backup();
    Cli.Result none = cli.run("forget", "--repo", repo.toString());
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("drkit: no policy given: refusing to forget");

    Cli.Result zero = cli.run("forget", "--repo", repo.toString(), "--keep-last", "0");
    assertThat(zero.exitCode()).isEqualTo(2);

    Cli.Result tagOnly = cli.run("forget", "--repo", repo.toString(), "--keep-tag", "missing");
    assertThat(tagOnly.exitCode()).isEqualTo(1);
    assertThat(tagOnly.err()).contains("refusing to remove every snapshot of host").contains("nothing was removed");
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains("1 snapshot");
  }

  @Test
  void backsUpSeveralPathsIntoOneSnapshotAndForgetsPerSetOfPaths() throws IOException {
    ok("init", "--repo", repo.toString(), "--no-encryption");
    Path other = tmp.resolve("other");
    Files.createDirectories(other);
    Files.writeString(other.resolve("c.txt"), "charlie");
    List<String> ids = ok("backup", "--repo", repo.toString(), src.toString(), other.toString()).out().lines().toList();
    assertThat(ids).hasSize(1).allMatch(i -> i.matches("[0-9a-f]{64}"));
    Cli.Result second = ok("backup", "--repo", repo.toString(), other.toString(), src.toString());
    assertThat(second.err()).contains("(incremental): 3 files, 0 read, 3 unchanged");
    ok("backup", "--repo", repo.toString(), src.toString());

    JsonNode json = new ObjectMapper().readTree(ok("snapshots", "--repo", repo.toString(), "--json").out());
    assertThat(json.get(0).get("paths")).hasSize(2);
    assertThat(json.get(0).get("paths").get(0).asText()).isEqualTo(other.toAbsolutePath().toString());
    assertThat(json.get(2).get("paths")).hasSize(1);

    // each root comes back under its absolute path below the target
    Path target = tmp.resolve("restored");
    ok("restore", "--repo", repo.toString(), ids.get(0), "--target", target.toString());
    assertThat(tree(target.resolve(src.toAbsolutePath().toString().substring(1)))).isEqualTo(tree(src));
    assertThat(Files.readString(target.resolve(other.toAbsolutePath().toString().substring(1)).resolve("c.txt")))
        .isEqualTo("charlie");

    // grouped by host and paths: keep-last 1 keeps the newest of each set of paths
    Cli.Result grouped = ok("forget", "--repo", repo.toString(), "--keep-last", "1", "--dry-run");
    assertThat(grouped.out()).contains("paths [" + other.toAbsolutePath() + ", " + src.toAbsolutePath() + "]")
        .contains("paths [" + src.toAbsolutePath() + "]").contains("1 snapshot(s) would be removed");
    // one group for everything: keep-last 1 keeps one snapshot in all
    Cli.Result ungrouped = ok("forget", "--repo", repo.toString(), "--keep-last", "1", "--group-by", "", "--dry-run");
    assertThat(ungrouped.out()).contains("snapshots for all snapshots:").contains("2 snapshot(s) would be removed");
    Cli.Result bad = cli.run("forget", "--repo", repo.toString(), "--keep-last", "1", "--group-by", "colour");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--group-by: unknown field 'colour'");

    Cli.Result both = cli.run("forget", "--repo", repo.toString(), "--keep-last", "1", ids.get(0));
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("either snapshot IDs or --keep-* options");
    assertThat(ok("forget", "--repo", repo.toString(), "--dry-run", ids.get(0).substring(0, 6)).out())
        .isEqualTo("would remove snapshot " + ids.get(0) + "\n");
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains("3 snapshots");

    // latest filtered by path (restic's --path): the newest snapshot holding 'other' is the second two-root one
    Path filtered = tmp.resolve("filtered");
    assertThat(ok("restore", "--repo", repo.toString(), "latest", "--path", other.toString(), "--target",
        filtered.toString()).out()).contains("restored snapshot " + second.out().trim().substring(0, 8));
    assertThat(filtered.resolve(other.toAbsolutePath().toString().substring(1)).resolve("c.txt")).exists();
    assertThat(ok("snapshots", "--repo", repo.toString(), "--path", other.toString()).out()).contains("2 snapshots");
    assertThat(ok("snapshots", "--repo", repo.toString(), "--path", src.toString()).out()).contains("3 snapshots");
    Cli.Result noHost = cli.run("restore", "--repo", repo.toString(), "latest", "--host", "no-such-host", "--target",
        tmp.resolve("none").toString());
    assertThat(noHost.exitCode()).isEqualTo(1);
    assertThat(noHost.err()).contains("the repository has no snapshots of host no-such-host");
    assertThat(tmp.resolve("none")).doesNotExist();

    Cli.Result overlap = cli.run("backup", "--repo", repo.toString(), src.toString(), src.resolve("sub").toString());
    assertThat(overlap.exitCode()).isEqualTo(2);
    assertThat(overlap.err()).contains("overlap");
  }

  @Test
  void rejectsBadUsageWithExitCodeTwo() {
    assertThat(cli.run("backup", "--repo", repo.toString()).exitCode()).isEqualTo(2); // no PATH
    assertThat(cli.run("restore", "--repo", repo.toString(), "latest").exitCode()).isEqualTo(2); // no --target
    assertThat(cli.run("forget", "--repo", repo.toString(), "--keep-last", "many").exitCode()).isEqualTo(2);
    Cli.Result within = cli.run("forget", "--repo", repo.toString(), "--keep-within", "1y");
    assertThat(within.exitCode()).isEqualTo(2);
    assertThat(within.err()).contains("years and months have no fixed length");
    assertThat(cli.run("snapshots").exitCode()).isEqualTo(2); // no --repo
    // a bad --max-unused is bad usage before any snapshot is removed
    assertThat(cli.run("forget", "--repo", repo.toString(), "--keep-last", "1", "--prune", "--max-unused", "lots")
        .exitCode()).isEqualTo(2);
    assertThat(cli.run("key", "--repo", repo.toString()).exitCode()).isEqualTo(2);
    Cli.Result type = cli.run("backup", "--repo", repo.toString(), "--type", "weekly", src.toString());
    assertThat(type.exitCode()).isEqualTo(2);
    assertThat(type.err()).contains("type: must be one of full, incremental, differential but was 'weekly'");
    Cli.Result time = cli.run("backup", "--repo", repo.toString(), "--time", "yesterday", src.toString());
    assertThat(time.exitCode()).isEqualTo(2);
    assertThat(time.err()).contains("--time 'yesterday' is not an ISO-8601 time");
    assertThat(repo).doesNotExist();
  }

  @Test
  void aMissingRepositoryHasItsOwnMessageAndIsNotCreated() {
    for (String[] args : List.of(new String[] {"snapshots", "--repo", repo.toString()},
        new String[] {"backup", "--repo", repo.toString(), src.toString()},
        new String[] {"verify", "--repo", repo.toString()})) {
      Cli.Result r = cli.run(args);
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.err()).isEqualTo("drkit: no repository at " + repo + " (create one with 'drkit init --repo " + repo
          + "')\n");
    }
    assertThat(repo).doesNotExist();
    Cli.Result emptyDir = cli.run("snapshots", "--repo", tmp.toString());
    assertThat(emptyDir.err()).contains("no repository at " + tmp);
  }

  @Test
  void encryptedRepositoryNeedsTheRightPassphraseAndKeysCanBeAddedAndChanged() {
    cli.password("correct horse");
    ok("init", "--repo", repo.toString());
    String id = backup();

    Cli.Result wrong = new Cli().password("wrong").run("snapshots", "--repo", repo.toString());
    assertThat(wrong.exitCode()).isEqualTo(1);
    assertThat(wrong.err()).isEqualTo("drkit: wrong passphrase for repository " + repo + ": no key slot opens with it\n");

    Cli.Result none = new Cli().run("snapshots", "--repo", repo.toString());
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(none.err()).contains("is encrypted: set DRKIT_PASSWORD or run on a terminal");

    Cli prompted = new Cli();
    prompted.canPrompt = true;
    prompted.answers.add("correct horse");
    assertThat(prompted.run("snapshots", "--repo", repo.toString()).out()).contains(id.substring(0, 8));
    assertThat(prompted.answers).isEmpty();

    cli.env.put("DRKIT_NEW_PASSWORD", "battery staple");
    assertThat(ok("key", "add", "--repo", repo.toString()).out()).startsWith("added key slot ");
    assertThat(new Cli().password("battery staple").run("snapshots", "--repo", repo.toString()).exitCode()).isZero();
    assertThat(ok("key", "list", "--repo", repo.toString()).out().lines()).hasSize(2);

    cli.env.put("DRKIT_NEW_PASSWORD", "new secret");
    assertThat(ok("key", "passwd", "--repo", repo.toString()).out()).startsWith("changed the passphrase");
    assertThat(new Cli().password("correct horse").run("snapshots", "--repo", repo.toString()).exitCode()).isEqualTo(1);
    assertThat(new Cli().password("new secret").run("snapshots", "--repo", repo.toString()).exitCode()).isZero();
    assertThat(new Cli().password("battery staple").run("snapshots", "--repo", repo.toString()).exitCode()).isZero();
  }

  @Test
  void initWithChaCha20Poly1305BacksUpAndRestoresAndAnUnknownCipherIsBadUsage() throws IOException {
    cli.password("chacha pass");
    Cli.Result bad = cli.run("init", "--repo", repo.toString(), "--cipher", "rot13");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--cipher: unknown cipher 'rot13' (use aes-256-gcm or chacha20-poly1305)");
    assertThat(cli.run("init", "--repo", repo.toString(), "--cipher", "chacha20-poly1305", "--no-encryption")
        .exitCode()).isEqualTo(2);
    assertThat(repo).doesNotExist();
    assertThat(ok("init", "--repo", repo.toString(), "--cipher", "chacha20-poly1305").out())
        .contains("created encrypted repository").contains("(chacha20-poly1305)");
    assertThat(Files.readString(repo.resolve("config"))).contains("\"encryption\":\"chacha20-poly1305\"");
    String id = backup();
    ok("restore", "--repo", repo.toString(), id, "--target", tmp.resolve("out").toString());
    assertThat(tree(tmp.resolve("out"))).isEqualTo(tree(src));
    assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no errors were found");
    Cli.Result wrong = new Cli().password("wrong").run("snapshots", "--repo", repo.toString());
    assertThat(wrong.err()).contains("wrong passphrase");
  }

  @Test
  void keyPasswdAsksTwiceOnATerminalAndRefusesAMismatch() {
    Cli init = new Cli();
    init.canPrompt = true;
    init.answers.add("first");
    init.answers.add("second");
    Cli.Result mismatch = init.run("init", "--repo", repo.toString());
    assertThat(mismatch.exitCode()).isEqualTo(1);
    assertThat(mismatch.err()).contains("the passphrases do not match");
    init.answers.add("first");
    init.answers.add("first");
    assertThat(init.run("init", "--repo", repo.toString()).out()).contains("created encrypted repository");
    Cli t = new Cli().password("first");
    t.canPrompt = true;
    t.answers.add("one");
    t.answers.add("two");
    Cli.Result r = t.run("key", "passwd", "--repo", repo.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("the passphrases do not match");
    assertThat(new Cli().password("first").run("snapshots", "--repo", repo.toString()).exitCode()).isZero();
  }

  @Test
  void initWithoutAPassphraseFailsAndCreatesNothing() {
    Cli.Result r = new Cli().run("init", "--repo", repo.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("no passphrase: set DRKIT_PASSWORD");
    assertThat(repo).doesNotExist();
  }

  @Test
  void initRefusesAnExistingRepositoryAndLeavesItIntact() {
    ok("init", "--repo", repo.toString(), "--no-encryption");
    String id = backup();
    Cli.Result again = cli.run("init", "--repo", repo.toString(), "--no-encryption");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("a repository already exists at " + repo + "; nothing was changed");
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains(id.substring(0, 8));
  }

  @ParameterizedTest(name = "encrypted={0}")
  @ValueSource(booleans = {true, false})
  void aDamagedBlobIsNamedByVerifyAndRefusedByRestore(boolean encrypted) throws IOException {
    if (encrypted) {
      cli.password("pw");
      ok("init", "--repo", repo.toString());
    } else {
      ok("init", "--repo", repo.toString(), "--no-encryption");
    }
    backup();
    List<Path> packs;
    try (Stream<Path> s = Files.walk(repo)) {
      packs = s.filter(Files::isRegularFile).filter(p -> repo.relativize(p).toString().startsWith("packs")).toList();
    }
    assertThat(packs).isNotEmpty();
    for (Path p : packs) {
      try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
        f.seek(Math.min(40, f.length() - 1));
        int b = f.read();
        f.seek(Math.min(40, f.length() - 1));
        f.write(b ^ 0x5a);
      }
    }
    Cli.Result verify = cli.run("verify", "--repo", repo.toString(), "--read-data");
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err()).contains("drkit: repository " + repo + " is damaged:").contains("damaged blob ")
        .contains("breaks ").doesNotContain("Exception");
    assertThat(verify.err()).containsPattern("damaged blob [0-9a-f]{64} in packs/");

    Cli.Result restore = cli.run("restore", "--repo", repo.toString(), "latest", "--target", tmp.resolve("t").toString());
    assertThat(restore.exitCode()).isEqualTo(1);
    assertThat(restore.err()).contains("drkit: repository " + repo + " is damaged: ")
        .contains("run 'drkit verify --repo " + repo + " --read-data'").doesNotContain("Exception")
        .containsPattern("blob [0-9a-f]{64} .*pack packs/");
  }

  @Test
  void restoreOfAnUnknownSnapshotFailsClearly() {
    ok("init", "--repo", repo.toString(), "--no-encryption");
    backup();
    Cli.Result r = cli.run("restore", "--repo", repo.toString(), "ffffffff", "--target", tmp.resolve("t").toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("drkit: ").contains("ffffffff");
  }

  @Test
  void drawsAProgressBarOnlyOnATerminal() {
    ok("init", "--repo", repo.toString(), "--no-encryption");
    Cli.Result quiet = ok("backup", "--repo", repo.toString(), src.toString());
    assertThat(quiet.err()).doesNotContain("\r");
    cli.terminal = true;
    cli.canPrompt = true; // an unencrypted repository asks for no passphrase even on a terminal
    Cli.Result bar = ok("backup", "--repo", repo.toString(), "--type", "full", src.toString());
    assertThat(bar.err()).contains("\rbackup [").contains("100.0%");
    assertThat(bar.out().trim()).matches("[0-9a-f]{64}");
  }

  @Test
  void registersEveryCommandOnce() {
    List<String> names = new ArrayList<>();
    for (Object c : BackupCommands.commands(cliEnv())) {
      names.add(new picocli.CommandLine(c).getCommandName());
    }
    assertThat(names).containsExactly("init", "backup", "snapshots", "restore", "verify", "forget", "prune", "key");
  }

  private static CliEnv cliEnv() {
    java.io.PrintWriter w = new java.io.PrintWriter(new java.io.StringWriter());
    return new CliEnv(java.util.Map.of(), w, w, false, null, java.time.Clock.systemUTC(), java.time.ZoneOffset.UTC);
  }
}
