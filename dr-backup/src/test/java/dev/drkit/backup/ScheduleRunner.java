package dev.drkit.backup;

import dev.drkit.testkit.FakeClock;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.DrException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.IntegrityException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Seeded randomized schedules on one repository through the public API: backups, forgets, prunes,
 * restores and verifies, each run as its own "process" (a {@link Repository} handle over a
 * {@link ControlledStore} on the shared store, all on one {@link FakeClock}), some of them paused
 * at a random store operation while time passes beyond the lease and another operation runs,
 * then resumed or killed, others with a dropped write or a lost acknowledgement. After every step
 * every listed snapshot must restore byte-identical to what its backup was given, every snapshot a
 * backup reported stored must still be listed unless a forget named it, a forget that succeeded
 * must have removed its snapshots, a restore that succeeded must have restored the right bytes,
 * and verify must find no damage. Any breach is a finding naming the seed and the step.
 */
final class ScheduleRunner {
  static final Duration LEASE = Duration.ofSeconds(10);

  /** What the schedules did and found. */
  static final class Stats {
    long schedules;
    long steps;
    long pauses;
    long pausesPastLease;
    long kills;
    long drops;
    long lostAcks;
    long refusedAfterLapse;
    long lockConflicts;
    long checkNanos;
    long opNanos;
    final Map<String, Long> outcomes = new TreeMap<>();
    final List<String> findings = new ArrayList<>();

    final Map<String, String> firstSeen = new TreeMap<>();

    void outcome(String op, Object result, long seed, String detail) {
      outcomes.merge(op + " -> " + result, 1L, Long::sum);
      firstSeen.putIfAbsent(op + " -> " + result, "seed " + seed + ": " + detail);
    }

    String summary() {
      StringBuilder sb = new StringBuilder();
      sb.append(schedules).append(" schedules, ").append(steps).append(" steps; ").append(pauses).append(" pauses (")
          .append(pausesPastLease).append(" past the lease), ").append(kills).append(" kills, ").append(drops)
          .append(" dropped writes, ").append(lostAcks).append(" lost acknowledgements; ").append(refusedAfterLapse)
          .append(" operations refused after their lease lapsed, ").append(lockConflicts)
          .append(" lock conflicts; ").append(opNanos / 1_000_000).append(" ms in operations, ")
          .append(checkNanos / 1_000_000).append(" ms in checks; findings: ").append(findings.size())
          .append(" in ").append(findings.stream().map(f -> f.substring(0, f.indexOf(' ', 5))).distinct().count())
          .append(" schedules").append('\n');
      outcomes.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
      if (Boolean.getBoolean("drkit.schedules.trace")) {
        firstSeen.forEach((k, v) -> sb.append("  first ").append(k).append(": ").append(v).append('\n'));
      }
      for (String f : findings.subList(0, Math.min(20, findings.size()))) {
        sb.append("  FINDING ").append(f).append('\n');
      }
      return sb.toString();
    }
  }

  private enum Op { BACKUP, FORGET, PRUNE, FORGET_PRUNE, RESTORE, VERIFY }

  private final Path work;
  private final Stats stats = new Stats();
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "schedule-op");
    t.setDaemon(true);
    return t;
  });

  ScheduleRunner(Path work) {
    this.work = work;
  }

  Stats stats() {
    return stats;
  }

  void close() {
    pool.shutdownNow();
  }

  /** Runs schedules {@code first .. first+count-1}. */
  Stats run(long first, int count) {
    int repeat = Integer.getInteger("drkit.schedules.repeat", 1); // to chase a finding that depends on timing
    for (long seed = first; seed < first + count; seed++) {
      for (int r = 0; r < repeat; r++) {
        try {
          new Schedule(seed).run();
        } catch (Exception | AssertionError e) {
          stats.findings.add("seed " + seed + ": schedule aborted: " + e);
        }
        stats.schedules++;
      }
    }
    return stats;
  }

  /** One schedule: its repository, clock, model and random choices. */
  private final class Schedule {
    final long seed;
    final Random rnd;
    final FakeClock clock;
    final InMemoryBlobStore shared = new InMemoryBlobStore();
    final RepositoryOptions options;
    final Path dir;
    /** attempt tag -> the tree that backup was given. */
    final Map<String, Map<String, byte[]>> given = new HashMap<>();
    /** snapshot id -> tag, for snapshots a backup reported stored. */
    final Map<String, String> reported = new LinkedHashMap<>();
    /** snapshots some forget named (successful or not). */
    final Set<String> named = new HashSet<>();
    final byte[][] contents;
    int attempts;
    int step;
    final List<String> log = new ArrayList<>();
    boolean logged;

    Schedule(long seed) {
      this.seed = seed;
      this.rnd = new Random(seed);
      this.clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seed * 1000));
      this.options = RepositoryOptions.builder().clock(clock).lockLease(LEASE).chunkSizes(256, 1024, 4096)
          .parallelism(1 + rnd.nextInt(2)).host("h").build();
      this.dir = work.resolve("s" + seed);
      contents = new byte[8][];
      for (int i = 0; i < contents.length; i++) {
        contents[i] = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(64) : rnd.nextInt(12_000)];
        rnd.nextBytes(contents[i]);
      }
    }

    void finding(String what) {
      String f = "seed " + seed + " step " + step + ": " + what;
      if (!logged && Boolean.getBoolean("drkit.schedules.trace")) {
        f += "\n    trace:\n      " + String.join("\n      ", log);
      }
      logged = true;
      stats.findings.add(f);
    }

    void run() throws Exception {
      Repository.init(shared, EncryptionConfig.none(), null, options).close();
      int steps = 5 + rnd.nextInt(8);
      try {
        for (step = 1; step <= steps; step++) {
          stats.steps++;
          disturbedStep();
          check(false);
        }
        step++;
        clock.advance(LEASE.multipliedBy(3)); // killed processes' locks lapse
        Object r = attempt(Op.PRUNE, new ControlledStore(shared), null);
        if (!(r instanceof PruneResult)) {
          finding("final prune on a quiet repository failed: " + r);
        }
        check(true);
      } finally {
        deleteTree(dir);
      }
    }

    Op pick() {
      int r = rnd.nextInt(100);
      return r < 35 ? Op.BACKUP : r < 45 ? Op.FORGET : r < 60 ? Op.PRUNE : r < 70 ? Op.FORGET_PRUNE
          : r < 88 ? Op.RESTORE : Op.VERIFY;
    }

    void disturbedStep() throws Exception {
      if (rnd.nextInt(12) == 0) {
        clock.advance(LEASE.multipliedBy(2)); // time passes
      }
      Op op = pick();
      ControlledStore store = new ControlledStore(shared);
      int kind = rnd.nextInt(10);
      if (kind >= 6) {
        log.add("step " + step + ": " + op);
        attempt(op, store, null);
        return;
      }
      int at = 1 + rnd.nextInt(40);
      log.add("step " + step + ": " + op + " fault kind " + kind + " at op " + at);
      if (kind == 4) {
        stats.drops++;
        store.faultAt(at, ControlledStore.Fault.DROP);
        attempt(op, store, null);
        return;
      }
      if (kind == 5) {
        stats.lostAcks++;
        store.faultAt(at, ControlledStore.Fault.LOSE_ACK);
        attempt(op, store, null);
        return;
      }
      store.faultAt(at, ControlledStore.Fault.PAUSE);
      boolean kill = kind == 3;
      attempt(op, store, () -> {
        log.add("  paused at " + store.pausedAt());
        stats.pauses++;
        boolean pastLease = rnd.nextInt(10) < 7;
        clock.advance(pastLease ? LEASE.multipliedBy(2) : LEASE.dividedBy(4));
        if (pastLease) {
          stats.pausesPastLease++;
        }
        log.add("  clock now " + clock.instant() + (kill ? ", then kill" : ", then resume"));
        Op other = pick();
        attempt(other, new ControlledStore(shared), null);
        if (kill) {
          stats.kills++;
          store.kill();
        } else {
          store.resume();
        }
      });
    }

    /**
     * Runs {@code op} as a process over {@code store}; when the store pauses it, runs
     * {@code interlude} (which resumes or kills it) and waits for the end.
     *
     * @return the operation's result, or the exception it ended with
     */
    Object attempt(Op op, ControlledStore store, ThrowingRunnable interlude) throws Exception {
      Plan plan = plan(op);
      long t0 = System.nanoTime();
      Future<Object> f = pool.submit(() -> {
        try (Repository repo = Repository.open(store, null, options)) {
          return plan.run(repo);
        } catch (RuntimeException e) {
          return e;
        } finally {
          store.operationEnded();
        }
      });
      if (interlude != null) {
        if (!store.awaitPaused(60)) {
          finding(op + " neither paused nor ended within 60 s (hang)");
        }
        if (store.isPaused()) {
          interlude.run();
        }
      }
      Object result;
      try {
        result = f.get(60, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        finding(op + " did not end within 60 s after " + (store.isPaused() ? "a pause" : "it started") + " (hang)");
        store.kill();
        result = f.get(60, TimeUnit.SECONDS);
      }
      stats.opNanos += System.nanoTime() - t0;
      log.add("  " + plan.name + " -> " + (result instanceof Throwable t ? t.toString() : String.valueOf(result))
          + (store.injected() ? " (injected)" : ""));
      if (Boolean.getBoolean("drkit.schedules.trace")) {
        StringBuilder keys = new StringBuilder("    store:");
        for (dev.drkit.core.spi.BlobInfo i : shared.list("")) {
          if (!i.key().startsWith("keys/") && !i.key().equals("config")) {
            String k = i.key();
            keys.append(' ').append(k.substring(0, Math.min(k.length(), k.startsWith("packs/") ? 14 : 16)));
          }
        }
        log.add(keys.toString());
      }
      plan.judge(result, store);
      stats.outcome(plan.name, result instanceof Throwable t ? t.getClass().getSimpleName() : "ok", seed,
          String.valueOf(result));
      if (result instanceof LeaseExpiredException) {
        stats.refusedAfterLapse++;
      } else if (result instanceof RepositoryLockedException) {
        stats.lockConflicts++;
      }
      return result;
    }

    Plan plan(Op op) throws IOException {
      List<String> listed = new ArrayList<>();
      for (Snapshot s : quietSnapshots()) {
        listed.add(s.id());
      }
      switch (op) {
        case BACKUP: {
          String tag = "attempt-" + (++attempts);
          Map<String, byte[]> files = new TreeMap<>();
          int n = rnd.nextInt(6);
          for (int i = 0; i < n; i++) {
            files.put((i % 2 == 0 ? "d/" : "") + "f" + rnd.nextInt(6), contents[rnd.nextInt(contents.length)]);
          }
          files.put("always", contents[rnd.nextInt(contents.length)]);
          Path src = dir.resolve("src-" + tag);
          for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Files.createDirectories(src.resolve(e.getKey()).getParent());
            Files.write(src.resolve(e.getKey()), e.getValue());
          }
          given.put(tag, files);
          BackupType type = BackupType.values()[rnd.nextInt(BackupType.values().length)];
          return new Plan("backup", repo -> repo.backup(BackupRequest.builder(FileTreeSource.of(src)).tag(tag)
              .type(type).build()), (result, store) -> {
                if (result instanceof Snapshot s) {
                  reported.put(s.id(), tag);
                }
              });
        }
        case FORGET:
        case FORGET_PRUNE: {
          if (listed.isEmpty()) {
            return new Plan("forget", repo -> List.of(), (r, s) -> {});
          }
          List<String> targets = new ArrayList<>();
          for (String id : listed) {
            if (rnd.nextInt(3) == 0) {
              targets.add(id);
            }
          }
          if (targets.isEmpty()) {
            targets.add(listed.get(rnd.nextInt(listed.size())));
          }
          named.addAll(targets);
          boolean andPrune = op == Op.FORGET_PRUNE;
          return new Plan(andPrune ? "forget+prune" : "forget", repo -> {
            List<String> removed = repo.forget(targets);
            return andPrune ? repo.prune(ProgressListener.NONE) : removed;
          }, (result, store) -> {
            if (!(result instanceof Throwable)) {
              for (Snapshot s : quietSnapshots()) {
                if (targets.contains(s.id())) {
                  finding("forget returned success but snapshot " + s.shortId() + " is still listed");
                }
              }
            }
          });
        }
        case PRUNE:
          return new Plan("prune", repo -> repo.prune(rnd.nextInt(3) == 0 ? 0.3 : 0.0, ProgressListener.NONE),
              (r, s) -> {});
        case RESTORE: {
          if (listed.isEmpty()) {
            return new Plan("restore", repo -> List.of(), (r, s) -> {});
          }
          String id = listed.get(rnd.nextInt(listed.size()));
          Path out = dir.resolve("restore-" + step + "-" + System.nanoTime());
          return new Plan("restore", repo -> repo.restore(id, out), (result, store) -> {
            if (result instanceof RestoreResult) {
              String tag = tagOf(id);
              if (tag != null && !same(out, given.get(tag))) {
                finding("restore of " + id.substring(0, 8) + " returned success with wrong content");
              }
            } else if (result instanceof IntegrityException e && store.operations() > 0 && !injected(store)) {
              finding("restore of " + id.substring(0, 8) + " reported damage: " + e.getMessage());
            }
            deleteTree(out);
          });
        }
        case VERIFY:
        default:
          boolean readData = rnd.nextBoolean();
          return new Plan("verify", repo -> repo.verify(readData, ProgressListener.NONE), (result, store) -> {
            if (result instanceof VerifyReport v && !v.ok()) {
              finding("verify (readData " + readData + ") reported damage: " + v.damage());
            }
          });
      }
    }

    boolean injected(ControlledStore store) {
      return store.injected();
    }

    String tagOf(String snapshotId) {
      for (Snapshot s : quietSnapshots()) {
        if (s.id().equals(snapshotId)) {
          return s.tags().stream().filter(t -> t.startsWith("attempt-")).findFirst().orElse(null);
        }
      }
      return reported.get(snapshotId);
    }

    List<Snapshot> quietSnapshots() {
      try (Repository repo = Repository.open(shared, null, options)) {
        return repo.snapshots();
      }
    }

    /** The invariants, checked by a quiet process with nothing injected. */
    void check(boolean readData) {
      long t0 = System.nanoTime();
      try {
        checkNow(readData);
      } finally {
        stats.checkNanos += System.nanoTime() - t0;
      }
    }

    /** The store's keys and sizes but the locks: restores and verify depend on nothing else. */
    String fingerprint() {
      StringBuilder sb = new StringBuilder();
      for (dev.drkit.core.spi.BlobInfo i : shared.list("")) {
        if (!i.key().startsWith("locks/")) {
          sb.append(i.key()).append(':').append(i.size()).append(';');
        }
      }
      return sb.toString();
    }

    /** The fingerprint under which the last check passed (the checks' outcome is a function of it). */
    String checked = "";

    void checkNow(boolean readData) {
      clockPastLiveLocksIfNeeded();
      String fp = fingerprint();
      if (!readData && fp.equals(checked)) {
        return; // nothing a restore or verify reads has changed since the last check passed
      }
      int before = stats.findings.size();
      checkNowUncached(readData);
      checked = stats.findings.size() == before ? fp : "";
    }

    void checkNowUncached(boolean readData) {
      try (Repository repo = Repository.open(shared, null, options)) {
        List<Snapshot> all = repo.snapshots();
        Set<String> ids = new HashSet<>();
        for (Snapshot s : all) {
          ids.add(s.id());
          String tag = s.tags().stream().filter(t -> t.startsWith("attempt-")).findFirst().orElse(null);
          if (tag == null || !given.containsKey(tag)) {
            finding("snapshot " + s.shortId() + " of no backup attempt is listed");
            continue;
          }
          Path out = dir.resolve("check-" + s.id());
          try {
            repo.restore(s.id(), out);
            if (!same(out, given.get(tag))) {
              finding("listed snapshot " + s.shortId() + " (" + tag + ") restores with different content");
            }
          } catch (DrException e) {
            finding("listed snapshot " + s.shortId() + " (" + tag + ") does not restore: " + e);
          } finally {
            deleteTree(out);
          }
        }
        for (Map.Entry<String, String> e : reported.entrySet()) {
          if (!ids.contains(e.getKey()) && !named.contains(e.getKey())) {
            finding("snapshot " + e.getKey().substring(0, 8) + " (" + e.getValue() + ") was reported stored but is"
                + " gone although no forget named it");
          }
        }
        VerifyReport v = repo.verify(readData, ProgressListener.NONE);
        if (!v.ok()) {
          finding("verify (readData " + readData + ") found damage: " + v.damage());
        }
      }
    }

    /** A killed prune or forget leaves an exclusive lock; the checks wait (in fake time) for it to lapse. */
    void clockPastLiveLocksIfNeeded() {
      if (!shared.list("locks/").isEmpty()) {
        clock.advance(LEASE.multipliedBy(2));
      }
    }
  }

  /** An operation, and how to judge what it returned. */
  private static final class Plan {
    final String name;
    final Body body;
    final Judge judge;

    Plan(String name, Body body, Judge judge) {
      this.name = name;
      this.body = body;
      this.judge = judge;
    }

    Object run(Repository repo) {
      return body.run(repo);
    }

    void judge(Object result, ControlledStore store) {
      judge.judge(result, store);
    }
  }

  @FunctionalInterface
  private interface Body {
    Object run(Repository repo);
  }

  @FunctionalInterface
  private interface Judge {
    void judge(Object result, ControlledStore store);
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  static boolean same(Path root, Map<String, byte[]> files) {
    Map<String, byte[]> found = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        found.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
    } catch (IOException e) {
      return false;
    }
    if (!found.keySet().equals(files.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      if (!Arrays.equals(e.getValue(), found.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
