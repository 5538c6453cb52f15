package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.testing.CrashableDisk;
import dev.drkit.replication.testing.FaultyTransport;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.testkit.FakeClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random schedules (fixed seeds) of appends, shipping, dropped / duplicated /
 * reordered / delayed / corrupted frames, disconnects, crashes of either side with torn tails, sink
 * failures, failovers (with and without fencing the old primary) and failback resyncs, over the
 * real log, primary and applier. Raise the count with {@code -Ddrkit.sim.schedules=N}.
 *
 * <p>Half of the schedules ship before the primary's own force
 * ({@link ReplicationPrimary.Builder#shipBeforeDurable}): there the primary may also lose power in
 * the middle of a force, after the records being forced were shipped and perhaps stored, acked and
 * applied by the backup; it then restarts at a new epoch, the backup is reported diverged and
 * resynced (its copy of the lost records quarantined).
 *
 * <p>Invariants checked after every step: the backup's applied sequence is a prefix of the
 * primary's committed sequence (or, until the backup is resynced, of the sequence the primary had
 * written before it lost an unforced tail); no record from a fenced epoch is applied past its fence
 * point; a crash never loses a committed record; in synchronous mode no acknowledged record is
 * lost across a failover; after a failback resync and catch-up both sites hold the same sequence.
 */
class ReplicationSimulationTest {
  static final int SCHEDULES = Integer.getInteger("drkit.sim.schedules", 1000);
  static final String SVC = "orders";
  Path root;

  @BeforeEach
  void root() throws IOException {
    Path shm = Path.of("/dev/shm");
    root = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "drkit-sim")
        : Files.createTempDirectory("drkit-sim");
  }

  @AfterEach
  void cleanup() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void randomSchedulesKeepReplicationInvariants() throws Exception {
    Totals totals = new Totals();
    for (int seed = 0; seed < SCHEDULES; seed++) {
      Path dir = root.resolve("s" + seed);
      try {
        new Schedule(seed, dir, seed % 2 == 0, seed % 4 >= 2, totals).run(70);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("schedule with seed " + seed + " failed: " + e.getMessage(), e);
      }
    }
    assertThat(totals.failovers).isGreaterThan(SCHEDULES / 2);
    assertThat(totals.resyncs).isGreaterThan(SCHEDULES / 4);
    assertThat(totals.quarantined).isGreaterThan(0);
    assertThat(totals.crashes).isGreaterThan(SCHEDULES / 2);
    assertThat(totals.faults).isGreaterThan(SCHEDULES / 2);
    assertThat(totals.staleRefused).isGreaterThan(0);
    assertThat(totals.crashesMidForce).isGreaterThan(SCHEDULES / 10);
    assertThat(totals.lostTailsHeldByBackup).as("the backup held records the primary lost").isGreaterThan(0);
    assertThat(totals.divergedResyncs).isGreaterThan(0);
  }

  static final class Totals {
    long failovers, resyncs, quarantined, crashes, faults, staleRefused, crashesMidForce, lostTailsHeldByBackup,
        divergedResyncs;
  }

  /** Thrown from inside a force to model a power loss while it runs. */
  static final class PowerLoss extends Error {
    private static final long serialVersionUID = 1L;

    PowerLoss() {
      super("power lost during a force", null, false, false);
    }
  }

  record Rec(long epoch, long offset, String payload) {}

  final class SiteState {
    final String name;
    final Path dir;
    final CrashableDisk disk = new CrashableDisk();
    final ListSink sink = new ListSink();
    ReplicationLog log;
    @Nullable ReplicaApplier applier;
    @Nullable ReplicationPrimary primary;

    SiteState(String name, Path dir) {
      this.name = name;
      this.dir = dir;
      this.log = open();
    }

    ReplicationLog open() {
      return ReplicationLog.open(dir, LogConfig.builder(SVC + "-" + name).segmentBytes(1024).channelFactory(disk)
          .clock(clock).eventBus(events).build());
    }

    void crash(Random r) {
      if (primary != null) {
        primary.close();
      }
      log.close();
      disk.crash(r);
      log = open();
    }
  }

  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(1_700_000_000_000L));
  final EventBus events = new EventBus();

  final class Schedule {
    final Random r;
    final boolean sync;
    final boolean early;
    final Totals totals;
    /** Records the primary wrote, possibly shipped, and lost in a crash, which the backup may hold until resynced. */
    final java.util.Set<Rec> lost = new java.util.HashSet<>();
    final FaultyTransport net;
    SiteState active;
    SiteState other;
    /** What the active primary has committed, by offset (the authoritative sequence). */
    final List<Rec> committed = new ArrayList<>();
    /** Epoch -> the offset at which it was fenced (its writes from there on are not authoritative). */
    final Map<Long, Long> fencedAt = new HashMap<>();
    long epoch = 1;
    long counter;
    long clientAcked = -1;
    boolean otherIsReplica = true;
    int failovers;
    @Nullable AutoCloseable serving;

    Schedule(int seed, Path dir, boolean sync, boolean early, Totals totals) throws IOException {
      this.r = new Random(seed);
      this.sync = sync;
      this.early = early;
      this.totals = totals;
      this.net = new FaultyTransport(r);
      Files.createDirectories(dir);
      active = new SiteState("a", dir.resolve("a"));
      other = new SiteState("b", dir.resolve("b"));
      startPrimary();
      startReplica();
    }

    void startPrimary() {
      active.primary = ReplicationPrimary.builder(SVC, active.log, net).epoch(epoch).clock(clock).eventBus(events)
          .maxBatchBytes(1024).heartbeatInterval(Duration.ofDays(1)).shipBeforeDurable(early).build();
    }

    void startReplica() {
      closeServing();
      other.applier = new ReplicaApplier(SVC, other.log, other.sink, events, clock);
      serving = net.serve(SVC, other.applier);
    }

    void closeServing() {
      if (serving != null) {
        try {
          serving.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      net.backupDown();
    }

    void run(int steps) throws Exception {
      for (int i = 0; i < steps; i++) {
        step();
        checkInvariants();
      }
      settle();
      totals.faults += net.drops + net.duplicates + net.reorders + net.corruptions;
      active.log.close();
      other.log.close();
    }

    void step() throws Exception {
      int roll = r.nextInt(100);
      if (roll < 30) {
        if (early && r.nextInt(6) == 0) {
          appendDuringForce();
        } else {
          append(1 + r.nextInt(4));
        }
      } else if (roll < 50) {
        active.primary.pump();
      } else if (roll < 78) {
        net.deliverOne(true);
      } else if (roll < 81) {
        net.disconnectAll();
      } else if (roll < 85) {
        crashPrimary();
      } else if (roll < 89) {
        if (otherIsReplica) {
          crashReplica();
        }
      } else if (roll < 91) {
        if (otherIsReplica) {
          other.sink.failNext(1 + r.nextInt(2));
        }
      } else if (roll < 95) {
        if (otherIsReplica && failovers < 3) {
          failover();
        }
      } else {
        if (!otherIsReplica) {
          failbackResync();
        } else if (other.applier != null) {
          other.applier.retryApply();
        }
      }
      if (early && otherIsReplica && active.primary.needsResync()) {
        resyncDivergedBackup();
      }
      clock.advance(Duration.ofMillis(r.nextInt(5)));
      ReplicationPrimary p = active.primary;
      if (p != null && !p.stopped()) {
        clientAcked = Math.max(clientAcked, Math.min(p.ackedOffset(), committed.size() - 1));
      }
    }

    void append(int n) throws InterruptedException {
      for (int i = 0; i < n; i++) {
        String payload = "e" + epoch + "-" + (counter++);
        long off = active.primary.append(payload.getBytes(StandardCharsets.UTF_8));
        assertThat(off).isEqualTo(committed.size());
        Rec rec = new Rec(epoch, off, payload);
        committed.add(rec);
        active.sink.local(new ListSink.Entry(epoch, off, payload));
      }
    }

    void crashPrimary() {
      totals.crashes++;
      active.crash(r);
      // every append returned after a group-commit force: nothing committed may be lost
      assertThat(records(active.log)).as("primary log after crash").isEqualTo(committed);
      restartPrimary();
    }

    /** A primary that ships before its force restarts at a new epoch (as its coordinator would hand it). */
    void restartPrimary() {
      if (early) {
        epoch++;
      }
      startPrimary();
    }

    /**
     * One append whose group-commit force first ships what it is about to force (the backup may
     * store, acknowledge and apply it) and then, half the time, loses power before the force takes
     * effect: the record was never committed, the primary may lose it, the backup may hold it.
     */
    void appendDuringForce() throws InterruptedException {
      String payload = "e" + epoch + "-" + (counter++);
      Rec rec = new Rec(epoch, committed.size(), payload);
      boolean crash = r.nextBoolean();
      active.disk.beforeNextForce(() -> {
        try {
          for (int i = 0; i < 3; i++) {
            active.primary.pump();
            while (!net.idle()) {
              net.deliverOne(false);
            }
          }
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        if (crash) {
          active.disk.freeze();
          throw new PowerLoss();
        }
      });
      long off;
      try {
        off = active.primary.append(payload.getBytes(StandardCharsets.UTF_8));
      } catch (PowerLoss e) {
        crashedDuringForce(rec);
        return;
      } finally {
        active.disk.beforeNextForce(null);
      }
      assertThat(off).isEqualTo(rec.offset());
      committed.add(rec);
      active.sink.local(new ListSink.Entry(epoch, off, payload));
    }

    void crashedDuringForce(Rec inFlight) {
      totals.crashes++;
      totals.crashesMidForce++;
      boolean backupHasIt = otherIsReplica && other.log.nextOffset() > inFlight.offset()
          && records(other.log).contains(inFlight);
      active.crash(r);
      List<Rec> survived = records(active.log);
      List<Rec> written = new ArrayList<>(committed);
      written.add(inFlight);
      // nothing committed is lost; the record being forced may or may not have survived
      assertThat(survived.size()).as("primary log after a crash during a force").isBetween(committed.size(),
          written.size());
      assertThat(survived).isEqualTo(written.subList(0, survived.size()));
      if (survived.size() == committed.size()) {
        lost.add(inFlight);
        if (backupHasIt) {
          totals.lostTailsHeldByBackup++;
        }
      } else {
        committed.add(inFlight); // it reached the disk after all: it is part of the log now
        active.sink.local(new ListSink.Entry(inFlight.epoch(), inFlight.offset(), inFlight.payload()));
      }
      restartPrimary();
    }

    /**
     * The primary found the backup holding records beyond its own history (a tail the primary lost):
     * the backup is resynced from the primary, which sets those records aside in quarantine.
     */
    void resyncDivergedBackup() {
      totals.divergedResyncs++;
      long before = other.log.nextOffset();
      ResyncResult res = Resync.run(SVC, other.log, other.sink, active.log, null, events, clock, off -> {});
      if (res.quarantined() != null) {
        totals.quarantined++;
        List<LogRecord> q = ReplicationLog.readQuarantine(res.quarantined().path());
        assertThat(q).hasSize((int) (before - res.divergenceOffset()));
        for (LogRecord lr : q) {
          Rec set = new Rec(lr.epoch(), lr.offset(), new String(lr.payload(), StandardCharsets.UTF_8));
          assertThat(lost).as("only records the primary lost are set aside").contains(set);
        }
      }
      assertThat(records(other.log)).isEqualTo(records(active.log).subList(0, (int) other.log.nextOffset()));
      lost.clear();
      active.primary.resynced();
      startReplica();
    }

    void crashReplica() {
      totals.crashes++;
      other.crash(r);
      startReplica();
    }

    void failover() throws InterruptedException {
      failovers++;
      totals.failovers++;
      long newEpoch = epoch + 1;
      SiteState old = active;
      boolean fenceOld = r.nextBoolean();
      if (fenceOld) {
        old.primary.fence(newEpoch);
      }
      long promotedAt = -1;
      for (int attempt = 0; promotedAt < 0; attempt++) {
        try {
          promotedAt = other.applier.promote(newEpoch);
        } catch (ReplicationException e) {
          assertThat(attempt).as("promotion retried past sink failures").isLessThan(5);
        }
      }
      List<Rec> promoted = records(other.log);
      // the new primary's history is a prefix of what the old primary committed, or wrote and lost
      for (Rec p : promoted) {
        boolean wasCommitted = p.offset() < committed.size() && committed.get((int) p.offset()).equals(p);
        if (!wasCommitted && !lost.contains(p)) {
          throw new AssertionError("promoted " + p + " was neither committed nor written by the old primary");
        }
      }
      if (sync) {
        assertThat(promoted.size() - 1L).as("sync mode loses no acknowledged record").isGreaterThanOrEqualTo(clientAcked);
      }
      fencedAt.put(epoch, promotedAt);
      // the unfenced old primary may keep writing locally (the lost writes) and keeps shipping:
      // whatever it sends, or had in flight, the promoted replica refuses
      if (!fenceOld) {
        for (int i = r.nextInt(4); i > 0; i--) {
          String payload = "e" + epoch + "-" + (counter++);
          long off = old.primary.append(payload.getBytes(StandardCharsets.UTF_8));
          old.sink.local(new ListSink.Entry(epoch, off, payload));
        }
        for (int i = 0; i < 5 && !old.primary.stopped(); i++) {
          old.primary.pump();
          while (!net.idle()) {
            net.deliverOne(false);
          }
        }
        if (old.primary.stopped()) {
          totals.staleRefused++;
        }
      }
      closeServing();
      old.primary.close();
      committed.clear();
      committed.addAll(promoted); // records the old primary lost but the backup held are back
      lost.clear();
      clientAcked = promoted.size() - 1L;
      epoch = newEpoch;
      active = other;
      other = old;
      active.applier = null;
      otherIsReplica = false;
      startPrimary();
    }

    void failbackResync() {
      totals.resyncs++;
      long before = other.log.nextOffset();
      ResyncResult res = Resync.run(SVC, other.log, other.sink, active.log, null, events, clock, off -> {});
      if (res.quarantined() != null) {
        totals.quarantined++;
        assertThat(ReplicationLog.readQuarantine(res.quarantined().path())).hasSize((int) (before - res.divergenceOffset()));
      }
      assertThat(records(other.log)).isEqualTo(records(active.log));
      other.primary = null;
      otherIsReplica = true;
      startReplica();
    }

    void settle() throws Exception {
      if (!otherIsReplica) {
        failbackResync();
      }
      other.applier.retryApply();
      for (int i = 0; i < 10_000; i++) {
        if (active.primary.needsResync()) {
          resyncDivergedBackup();
        }
        boolean progressed = active.primary.pump();
        while (!net.idle()) {
          net.deliverOne(false);
          progressed = true;
        }
        if (!progressed && active.primary.ackedOffset() == active.log.nextOffset() - 1) {
          break;
        }
        if (active.primary.stopped()) {
          throw new AssertionError("active primary stopped: " + active.primary);
        }
      }
      for (int i = 0; i < 5 && other.applier.appliedOffset() < other.log.durableOffset(); i++) {
        other.applier.retryApply();
      }
      assertThat(records(other.log)).as("after catch-up both sites hold the same sequence")
          .isEqualTo(records(active.log));
      assertThat(records(active.log)).isEqualTo(committed);
      assertThat(other.sink.entries()).hasSize(committed.size());
      checkInvariants();
    }

    void checkInvariants() {
      if (!otherIsReplica) {
        return;
      }
      List<ListSink.Entry> applied = other.sink.entries();
      for (ListSink.Entry e : applied) {
        Rec a = new Rec(e.epoch(), e.offset(), e.payload());
        if (lost.contains(a)) {
          continue; // written and shipped by the primary, lost in its crash: set aside when the backup is resynced
        }
        if (e.offset() >= committed.size()) {
          throw new AssertionError("backup applied " + a + " beyond the primary's committed " + committed.size());
        }
        Rec c = committed.get((int) e.offset());
        if (!a.equals(c)) {
          throw new AssertionError("applied " + e + " is not the committed " + c + " (not a prefix)");
        }
        Long fence = fencedAt.get(e.epoch());
        if (fence != null && e.offset() >= fence) {
          throw new AssertionError("applied " + e + " from epoch " + e.epoch() + " fenced at offset " + fence);
        }
      }
    }
  }

  static List<Rec> records(ReplicationLog log) {
    log.sync();
    List<Rec> out = new ArrayList<>();
    for (LogRecord lr : log.read(log.startOffset(), Integer.MAX_VALUE)) {
      out.add(new Rec(lr.epoch(), lr.offset(), new String(lr.payload(), StandardCharsets.UTF_8)));
    }
    return out;
  }

  @Test
  void staleEpochPrimaryCannotOpenSessionOnPromotedReplica() throws Exception {
    Path dir = root.resolve("stale");
    SiteState a = new SiteState("a", dir.resolve("a"));
    SiteState b = new SiteState("b", dir.resolve("b"));
    InProcessTransport t = new InProcessTransport();
    ReplicaApplier applier = new ReplicaApplier(SVC, b.log, b.sink, events, clock);
    t.serve(SVC, applier);
    ReplicationPrimary p = ReplicationPrimary.builder(SVC, a.log, t).epoch(1).clock(clock).build();
    p.append("x".getBytes(StandardCharsets.UTF_8));
    assertThat(p.pump()).isTrue();
    assertThat(p.pump()).isTrue();
    assertThat(applier.appliedOffset()).isEqualTo(0);
    applier.promote(2);
    b.log.append(2, "y".getBytes(StandardCharsets.UTF_8));
    applier.demote();
    // the old primary (epoch 1) reconnects: the replica has seen epoch 2 and refuses
    p.close();
    ReplicationPrimary again = ReplicationPrimary.builder(SVC, a.log, t).epoch(1).clock(clock).build();
    again.append("z".getBytes(StandardCharsets.UTF_8));
    again.pump();
    assertThat(again.stopped()).isTrue();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> again.append("w".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(StaleEpochException.class);
    assertThat(b.sink.entries()).hasSize(1);
    a.log.close();
    b.log.close();
  }
}
