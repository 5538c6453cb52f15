package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drkit.backup.internal.Json;
import dev.drkit.backup.internal.Locks;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding 1 with a real process: a backup in a child JVM is SIGSTOPped just before its snapshot
 * write until its lease has lapsed, the parent forgets the earlier snapshot and prunes, then the
 * child is SIGCONTed: it must fail cleanly (no snapshot, exit 1, a message saying so) and the
 * repository must stay fully restorable.
 */
@Tag("integration")
class PausedBackupProcessTest {
  // long enough that a child JVM starved on a loaded machine still starts its backup within it; the
  // test waits (real time) for it to lapse only once the child is stopped at its snapshot write
  private static final Duration LEASE = Duration.ofSeconds(20);
  @TempDir Path tmp;

  private static void signal(long pid, String sig) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kill -%s %d", sig, pid).isZero();
  }

  private static Instant latestLockExpiry(FileSystemBlobStore store) {
    Instant latest = Instant.EPOCH;
    for (BlobInfo i : store.list("locks/")) {
      Locks.LockFile f = Json.read(store.get(i.key()), Locks.LockFile.class, i.key());
      Instant e = Instant.parse(f.expires());
      latest = e.isAfter(latest) ? e : latest;
    }
    return latest;
  }

  @Test
  void backupStoppedPastItsLeaseWhilePruneRanFailsCleanlyAndTheRepositoryStaysRestorable() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("d"));
    byte[] a = new byte[300_000];
    new Random(1).nextBytes(a);
    Files.write(src.resolve("d/a.bin"), a);
    Files.writeString(src.resolve("b.txt"), "bee");
    Path repoDir = tmp.resolve("repo");
    FileSystemBlobStore store = new FileSystemBlobStore(repoDir);
    RepositoryOptions opts = RepositoryOptions.builder().lockLease(LEASE).build();
    Snapshot first;
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, opts)) {
      first = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    }
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Xshare:off", "-cp", System.getProperty("java.class.path"), PausedBackupChild.class.getName(),
        repoDir.toString(), src.toString(), Long.toString(LEASE.toSeconds())).redirectErrorStream(true).start();
    List<String> output = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        OutputStream stdin = child.getOutputStream()) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("at-commit")) {
        output.add(line);
      }
      assertThat(line).as("child reached its snapshot write; output %s", output).isEqualTo("at-commit");
      signal(child.pid(), "STOP");
      // the stopped child refreshes nothing: wait (real time) until its lease has lapsed for everyone
      Instant lapse = latestLockExpiry(store).plus(Locks.margin(LEASE));
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> Instant.now().isAfter(lapse));
      try (Repository repo = Repository.open(store, null, opts)) {
        repo.forget(List.of(first.id()));
        assertThat(repo.prune(ProgressListener.NONE).packsDeleted()).isPositive();
      }
      signal(child.pid(), "CONT");
      stdin.write('\n');
      stdin.flush();
      while ((line = out.readLine()) != null) {
        output.add(line);
      }
    }
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as("child output %s", output).isEqualTo(1);
    assertThat(output).anySatisfy(l -> assertThat(l).startsWith("failed " + LeaseExpiredException.class.getName())
        .contains("expired at").contains("snapshot not written; run the backup again"));
    try (Repository repo = Repository.open(store, null, opts)) {
      assertThat(repo.snapshots()).as("the refused backup left no snapshot").isEmpty();
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      Snapshot again = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      repo.restore(again.id(), tmp.resolve("out"));
      assertThat(Files.readAllBytes(tmp.resolve("out/d/a.bin"))).isEqualTo(a);
      assertThat(Files.readString(tmp.resolve("out/b.txt"))).isEqualTo("bee");
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
    }
  }
}
