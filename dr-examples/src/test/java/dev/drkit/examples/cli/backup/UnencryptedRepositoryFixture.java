package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the command-line tests of a damaged or named snapshot start from: an unencrypted repository
 * made with {@code drkit init} and a source directory holding one file, {@code a.txt}.
 */
abstract class UnencryptedRepositoryFixture {
  @TempDir Path tmp;
  Path repo;
  Path src;
  final Cli cli = new Cli();

  @BeforeEach
  void repository() throws IOException {
    repo = tmp.resolve("repo");
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    ok("init", "--repo", repo.toString(), "--no-encryption");
  }

  /** Runs a command that must succeed (exit 0), naming its stderr when it does not. */
  final Cli.Result ok(String... args) {
    Cli.Result r = cli.run(args);
    assertThat(r.exitCode()).as("exit code of %s; stderr: %s", List.of(args), r.err()).isZero();
    return r;
  }

  /** @return the id of a new backup of {@link #src} */
  final String backup() {
    return ok("backup", "--repo", repo.toString(), src.toString()).out().trim();
  }
}
