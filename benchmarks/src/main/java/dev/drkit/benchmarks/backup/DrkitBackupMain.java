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
 * prints {@code round N full S cpu S alloc MB (START to END)} (wall seconds and the whole process's
 * CPU seconds, compiler and collector threads included, the heap allocated, and the wall-clock
 * times, all of the backup alone) and deletes the repository afterwards.
 *
 * <p>{@code backup} and {@code fulls} also print {@code alloc MB} per backup: the heap the backup
 * allocated, from the collector's notifications ({@link Allocation}).
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
          long a0 = Allocation.total();
          Snapshot s = repo.backup(BackupRequest.builder(FileTreeSource.of(Path.of(args[2]))).type(type).build());
          long a1 = Allocation.total();
          System.out.println("snapshot " + s.shortId() + " " + s.stats());
          System.out.printf(java.util.Locale.ROOT, "alloc %.1f MB%n", (a1 - a0) / 1e6);
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
        java.time.Instant started = java.time.Instant.now();
        long a0 = Allocation.total();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        repo.backup(BackupRequest.builder(FileTreeSource.of(data)).type(BackupType.FULL).build());
        long t1 = System.nanoTime();
        long c1 = os.getProcessCpuTime();
        long a1 = Allocation.total();
        System.out.printf(java.util.Locale.ROOT, "round %d full %.3f cpu %.3f alloc %.1f MB (%s to %s)%n", round,
            (t1 - t0) / 1e9, (c1 - c0) / 1e9, (a1 - a0) / 1e6, started, java.time.Instant.now());
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

  /**
   * Heap allocated since the JVM started, from the collectors' notifications: each collection adds
   * the heap in use before it minus the heap in use after the previous one, and {@link #total}
   * adds what is in use now beyond the last collection's result. Exact for a collector that reports
   * every collection (serial, parallel, G1's pauses); G1's concurrent cycles free a few regions
   * unreported, which makes it count slightly low.
   */
  static final class Allocation {
    private static final java.util.List<java.lang.management.MemoryPoolMXBean> HEAP = new java.util.ArrayList<>();
    private static final java.util.Set<String> HEAP_NAMES = new java.util.HashSet<>();
    private static long allocated;
    private static long lastAfter;
    private static long seen;

    static {
      for (java.lang.management.MemoryPoolMXBean p : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == java.lang.management.MemoryType.HEAP) {
          HEAP.add(p);
          HEAP_NAMES.add(p.getName());
        }
      }
      synchronized (Allocation.class) {
        seen = collections();
        lastAfter = used();
      }
      for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
        ((javax.management.NotificationEmitter) gc).addNotificationListener((n, h) -> {
          if (com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            com.sun.management.GcInfo info = com.sun.management.GarbageCollectionNotificationInfo
                .from((javax.management.openmbean.CompositeData) n.getUserData()).getGcInfo();
            collected(sum(info.getMemoryUsageBeforeGc()), sum(info.getMemoryUsageAfterGc()));
          }
        }, null, null);
      }
    }

    private Allocation() {}

    private static synchronized void collected(long before, long after) {
      allocated += Math.max(0, before - lastAfter);
      lastAfter = after;
      seen++;
      Allocation.class.notifyAll();
    }

    private static long sum(java.util.Map<String, java.lang.management.MemoryUsage> usage) {
      long s = 0;
      for (java.util.Map.Entry<String, java.lang.management.MemoryUsage> e : usage.entrySet()) {
        if (HEAP_NAMES.contains(e.getKey())) {
          s += e.getValue().getUsed();
        }
      }
      return s;
    }

    private static long used() {
      long s = 0;
      for (java.lang.management.MemoryPoolMXBean p : HEAP) {
        s += p.getUsage().getUsed();
      }
      return s;
    }

    private static long collections() {
      long c = 0;
      for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
        c += Math.max(0, gc.getCollectionCount());
      }
      return c;
    }

    /** @return bytes allocated so far, once the notifications of every collection so far arrived (5 s at most) */
    static synchronized long total() {
      long deadline = System.nanoTime() + 5_000_000_000L;
      try {
        while (seen < collections() && System.nanoTime() < deadline) {
          Allocation.class.wait(10);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return allocated + Math.max(0, used() - lastAfter);
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
