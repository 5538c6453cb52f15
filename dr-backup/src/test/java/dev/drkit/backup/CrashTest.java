package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a backing-up child JVM at random moments; after every kill the repository verifies
 * (read-data) and every earlier snapshot restores exactly; the next run completes, reusing packs.
 */
@Tag("integration")
class CrashTest {
  @TempDir Path tmp;

  @Test
  void killNineAtRandomMomentsLeavesEveryEarlierSnapshotRestorable() throws Exception {
    Path repoDir = tmp.resolve("repo");
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Files.writeString(src.resolve("base.txt"), "base");
    Random rnd = new Random(Long.getLong("drkit.test.seed", 7));
    int kills = Integer.getInteger("drkit.test.kills", 3);
    int target = kills + 2;
    for (int k = 0; k <= kills; k++) {
      boolean kill = k < kills;
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-Xshare:off", "-cp", System.getProperty("java.class.path"), BackupChild.class.getName(),
          repoDir.toString(), src.toString(), String.valueOf(target)).redirectErrorStream(true).start();
      int killAfter = 1 + rnd.nextInt(12);
      int lines = 0;
      List<String> seen = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          seen.add(line);
          if (line.startsWith("progress") || line.startsWith("writing") || line.startsWith("snapshot")) {
            lines++;
          }
          if (kill && lines >= killAfter) {
            child.destroyForcibly(); // SIGKILL
            break;
          }
        }
      }
      assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("child exits").isTrue();
      if (!kill) {
        assertThat(child.exitValue()).as("final run output %s", seen).isZero();
      }
      checkRepository(repoDir, src);
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(repoDir), null, RepositoryOptions.defaults())) {
      assertThat(repo.snapshots()).hasSize(target);
    }
  }

  private void checkRepository(Path repoDir, Path src) throws IOException {
    FileSystemBlobStore store = new FileSystemBlobStore(repoDir);
    if (!Repository.exists(store)) {
      return; // killed before init finished
    }
    try (Repository repo = Repository.open(store, null, RepositoryOptions.defaults())) {
      VerifyReport report = repo.verify(true, ProgressListener.NONE);
      assertThat(report.damage()).isEmpty();
      for (Snapshot s : repo.snapshots()) {
        int gen = Integer.parseInt(s.tags().iterator().next().substring(4));
        Path out = tmp.resolve("restore-" + s.id());
        repo.restore(s.id(), out);
        List<String> names;
        try (Stream<Path> l = Files.list(out)) {
          names = l.map(p -> p.getFileName().toString()).sorted().toList();
        }
        List<String> expected = new ArrayList<>();
        expected.add("base.txt");
        for (int i = 0; i <= gen; i++) {
          expected.add("gen-" + i);
        }
        expected.sort(null);
        assertThat(names).as("snapshot %s", s.tags()).isEqualTo(expected);
        for (int i = 0; i <= gen; i++) {
          assertThat(Files.readAllBytes(out.resolve("gen-" + i))).isEqualTo(BackupChild.content(i));
        }
        deleteTree(out);
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
