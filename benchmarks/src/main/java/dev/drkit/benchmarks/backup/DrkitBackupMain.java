package dev.drkit.benchmarks.backup;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import java.nio.file.Path;

/**
 * A minimal command line for {@code benchmarks/peers/compare-backup.sh}: {@code init REPO},
 * {@code backup REPO DIR [full|incremental]}, {@code restore REPO TARGET}; the passphrase comes from
 * {@code DRKIT_PASSWORD}. Prints one line of statistics per command.
 *
 * <p>{@code embedded WORKDIR DIR ROUNDS} measures drkit as a library in one long-lived JVM (run it
 * with the heap a host would give it, e.g. {@code -Xmx256m}): each round initializes a fresh
 * repository {@code WORKDIR/embedded-repo-N}, backs {@code DIR} up in full, backs it up again with
 * no change, and restores the latest snapshot into a fresh {@code WORKDIR/embedded-restore-N}; it
 * prints {@code round N full S nochange S restore S} (seconds of each operation alone). Before each
 * operation it runs {@code sync}, untimed, so that no operation pays for writing back the previous
 * one's files; and it deletes nothing: on an ext4 file system without a journal, inodes freed in
 * the last minute are skipped (and their inode-table blocks looked up) when new files are created,
 * so a restore that follows the deletion of a previous round's 4,000 files measures the file
 * system's bookkeeping rather than the restore. The caller deletes {@code WORKDIR}.
 *
 * <p>{@code fulls WORKDIR DIR ROUNDS} profiles only the embedded full backup: each round
 * initializes a fresh repository {@code WORKDIR/fulls-repo-N} and backs {@code DIR} up in full; it
 * prints {@code round N full S cpu S} (wall seconds and the whole process's CPU seconds, compiler
 * and collector threads included, of the backup alone) and deletes the repository afterwards.
 */
public final class DrkitBackupMain {
  private DrkitBackupMain() {}

  /**
   * @param args the command
   */
  public static void main(String[] args) {
    String pw = System.getenv("DRKIT_PASSWORD");
    char[] pass = pw == null ? null : pw.toCharArray();
    RepositoryOptions opts = RepositoryOptions.defaults();
    FileSystemBlobStore store = new FileSystemBlobStore(Path.of(args[1]));
    switch (args[0]) {
      case "init":
        Repository.init(store, pass == null ? EncryptionConfig.none() : EncryptionConfig.aes256Gcm("env:DRKIT_PASSWORD"),
            pass, opts).close();
        System.out.println("initialized " + args[1]);
        break;
      case "backup": {
        try (Repository repo = Repository.open(store, pass, opts)) {
          BackupType type = args.length > 3 ? BackupType.parse(args[3]) : BackupType.INCREMENTAL;
          Snapshot s = repo.backup(BackupRequest.builder(FileTreeSource.of(Path.of(args[2]))).type(type).build());
          System.out.println("snapshot " + s.shortId() + " " + s.stats());
        }
        break;
      }
      case "restore": {
        try (Repository repo = Repository.open(store, pass, opts)) {
          RestoreResult r = repo.restore("latest", Path.of(args[2]));
          System.out.println("restored " + r);
        }
        break;
      }
      case "fulls":
        fulls(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]), pass);
        break;
      case "embedded":
        embedded(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]), pass);
        break;
      default:
        System.err.println("usage: init REPO | backup REPO DIR [full|incremental] | restore REPO TARGET"
            + " | embedded WORKDIR DIR ROUNDS");
        System.exit(2);
    }
  }

  private static void fulls(Path work, Path data, int rounds, char[] pass) {
    RepositoryOptions opts = RepositoryOptions.defaults();
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    for (int round = 1; round <= rounds; round++) {
      Path repoDir = work.resolve("fulls-repo-" + round);
      FileSystemBlobStore store = new FileSystemBlobStore(repoDir);
      Repository.init(store, pass == null ? EncryptionConfig.none() : EncryptionConfig.aes256Gcm("env:DRKIT_PASSWORD"),
          pass, opts).close();
      try (Repository repo = Repository.open(store, pass, opts)) {
        java.util.Map<String, Long> before = threadTicks();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        repo.backup(BackupRequest.builder(FileTreeSource.of(data)).type(BackupType.FULL).build());
        long t1 = System.nanoTime();
        long c1 = os.getProcessCpuTime();
        System.out.printf(java.util.Locale.ROOT, "round %d full %.3f cpu %.3f%n", round, (t1 - t0) / 1e9,
            (c1 - c0) / 1e9);
        if (Boolean.getBoolean("fulls.threads")) {
          java.util.Map<String, Long> after = threadTicks();
          for (java.util.Map.Entry<String, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d > 0) {
              System.out.printf(java.util.Locale.ROOT, "  thread %s cpu %.2f%n", e.getKey(), d / 100.0);
            }
          }
        }
      }
      delete(repoDir);
    }
  }

  /** CPU ticks (user + system, 1/100 s) of the live threads, summed by name without digits, from /proc. */
  private static java.util.Map<String, Long> threadTicks() {
    java.util.Map<String, Long> m = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = java.nio.file.Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]", "");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
        } catch (java.io.IOException | RuntimeException e) {
          // a thread that ended meanwhile
        }
      }
    } catch (java.io.IOException e) {
      return m;
    }
    return m;
  }

  private static void embedded(Path work, Path data, int rounds, char[] pass) {
    RepositoryOptions opts = RepositoryOptions.defaults();
    for (int round = 1; round <= rounds; round++) {
      Path repoDir = work.resolve("embedded-repo-" + round);
      Path target = work.resolve("embedded-restore-" + round);
      FileSystemBlobStore store = new FileSystemBlobStore(repoDir);
      Repository.init(store, pass == null ? EncryptionConfig.none() : EncryptionConfig.aes256Gcm("env:DRKIT_PASSWORD"),
          pass, opts).close();
      try (Repository repo = Repository.open(store, pass, opts)) {
        sync();
        long t0 = System.nanoTime();
        repo.backup(BackupRequest.builder(FileTreeSource.of(data)).type(BackupType.FULL).build());
        long full = System.nanoTime() - t0;
        sync();
        t0 = System.nanoTime();
        repo.backup(BackupRequest.builder(FileTreeSource.of(data)).type(BackupType.INCREMENTAL).build());
        long nochange = System.nanoTime() - t0;
        sync();
        t0 = System.nanoTime();
        repo.restore("latest", target);
        long restore = System.nanoTime() - t0;
        System.out.printf(java.util.Locale.ROOT, "round %d full %.3f nochange %.3f restore %.3f%n", round,
            full / 1e9, nochange / 1e9, restore / 1e9);
      }
    }
  }

  /** Writes back every dirty page of the machine ({@code sync(1)}), so that the next timed step starts clean. */
  private static void sync() {
    try {
      Process p = new ProcessBuilder("sync").inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("sync exited with " + p.exitValue());
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while syncing", e);
    }
  }

  private static void delete(Path root) {
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
        java.nio.file.Files.delete(p);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
