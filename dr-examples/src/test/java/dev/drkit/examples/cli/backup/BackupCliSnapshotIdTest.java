package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Snapshot ids on the command line: {@code restore} and {@code forget} take an id or prefix in
 * either case, say "no snapshot matches" naming what was typed (exit 1), refuse what is not hex as
 * invalid input (exit 2, escaped), and {@code forget ID} removes a damaged snapshot that a
 * {@code forget --keep-*} and a prune refuse to guess about.
 */
class BackupCliSnapshotIdTest extends UnencryptedRepositoryFixture {
  private static String upper(String s) {
    return s.toUpperCase(Locale.ROOT);
  }

  @Test
  void restoreAndForgetTakeAnUpperCaseIdOrPrefix() throws IOException {
    String older = backup();
    Files.writeString(src.resolve("b.txt"), "bravo");
    String newer = backup();
    Path target = tmp.resolve("t");
    ok("restore", "--repo", repo.toString(), upper(newer.substring(0, 10)), "--target", target.toString());
    assertThat(Files.readString(target.resolve("b.txt"))).isEqualTo("bravo");

    Cli.Result dry = ok("forget", "--repo", repo.toString(), "--dry-run", upper(older));
    assertThat(dry.out()).contains("would remove snapshot " + older);
    Cli.Result forget = ok("forget", "--repo", repo.toString(), upper(older.substring(0, 8)));
    assertThat(forget.out()).contains("removed snapshot " + older);
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains(newer.substring(0, 8))
        .doesNotContain(older.substring(0, 8));
  }

  @Test
  void anIdNoSnapshotHasFailsNamingWhatWasTypedAndWhatIsNotHexIsInvalidInput() {
    String id = backup();
    String missing = id.startsWith("abcd") ? "ABCE" : "ABCD";
    for (List<String> args : List.of(List.of("restore", missing, "--target", tmp.resolve("t").toString()),
        List.of("forget", missing))) {
      Cli.Result r = run(args);
      assertThat(r.exitCode()).as("%s: %s", args, r.err()).isEqualTo(1);
      assertThat(r.err()).contains("no snapshot matches id '" + missing + "'").doesNotContain("Exception");
    }
    String hostile = id.substring(0, 8) + "\u001b[2J";
    for (List<String> args : List.of(List.of("restore", hostile, "--target", tmp.resolve("t").toString()),
        List.of("forget", hostile), List.of("forget", "--dry-run", "xyz1"))) {
      Cli.Result r = run(args);
      assertThat(r.exitCode()).as("%s: %s", args, r.err()).isEqualTo(2);
      assertThat(r.err()).contains("is not a snapshot id").contains("is not a hex digit").doesNotContain("\u001b")
          .doesNotContain("Exception");
    }
    assertThat(run(List.of("forget", hostile)).err()).contains("\\u001b[2J");
    assertThat(tmp.resolve("t")).doesNotExist();
    assertThat(ok("snapshots", "--repo", repo.toString()).out()).contains(id.substring(0, 8));
  }

  private Cli.Result run(List<String> args) {
    List<String> all = new java.util.ArrayList<>(args);
    all.add(1, "--repo");
    all.add(2, repo.toString());
    return cli.run(all.toArray(new String[0]));
  }

  @Test
  void forgetOfADamagedSnapshotByIdRemovesItSaysSoAndLetsPolicyAndPruneRunAgain() throws IOException {
    String older = backup();
    Files.writeString(src.resolve("b.txt"), "bravo");
    String newer = backup();
    Path file = repo.resolve("snapshots~").resolve(older);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(f.length() / 2); // truncated
    }

    Cli.Result policy = cli.run("forget", "--repo", repo.toString(), "--keep-last", "1");
    assertThat(policy.exitCode()).isEqualTo(1);
    assertThat(policy.err()).contains("snapshots/" + older).contains("forget " + older);
    Cli.Result prune = cli.run("prune", "--repo", repo.toString());
    assertThat(prune.exitCode()).isEqualTo(1);
    assertThat(prune.err()).contains("forget " + older).contains("nothing was deleted");
    assertThat(file).exists();

    Cli.Result dry = ok("forget", "--repo", repo.toString(), "--dry-run", upper(older.substring(0, 8)));
    assertThat(dry.out()).contains("would remove damaged snapshot " + older + ": snapshot file snapshots/" + older);
    assertThat(file).exists();
    Cli.Result forget = ok("forget", "--repo", repo.toString(), older.substring(0, 8));
    assertThat(forget.out()).contains("removed damaged snapshot " + older + ": snapshot file snapshots/" + older);
    assertThat(file).doesNotExist();

    ok("prune", "--repo", repo.toString());
    ok("forget", "--repo", repo.toString(), "--keep-last", "1");
    assertThat(ok("verify", "--repo", repo.toString(), "--read-data").exitCode()).isZero();
    Path target = tmp.resolve("t");
    ok("restore", "--repo", repo.toString(), newer, "--target", target.toString());
    assertThat(Files.readString(target.resolve("b.txt"))).isEqualTo("bravo");
  }
}
