package dev.drkit.core.failover;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayLog;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotCatalog;
import dev.drkit.core.spi.SnapshotRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A key-value service for rebuild tests: a log of {@code put k v} / {@code del k} records with
 * commit times one second apart from {@link #T0}, snapshots of its state at chosen offsets, and the
 * rebuilt store. Checks that every apply continues exactly where the snapshot or the previous
 * apply stopped (no gap, no duplicate) and records violations.
 */
final class FakeRebuild implements SnapshotCatalog, ReplayLog, RebuildTarget {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final List<ReplayRecord> log = new ArrayList<>();
  final List<SnapshotRef> snapshots = new ArrayList<>();
  final Map<String, Map<String, String>> snapshotData = new HashMap<>();
  final Map<String, String> store = new TreeMap<>();
  final List<String> violations = new ArrayList<>();
  final List<String> calls = new ArrayList<>();
  boolean logAvailable = true;
  long firstOffset;
  /** Offsets skipped by {@link #read} (a gap) or failing their checksum. */
  long gapAt = -1;
  long damagedAt = -1;
  Instant lastAck;
  /** May throw a {@link SimulatedCrash} or an exception: called with "load" / "apply" before and "loaded" / "applied" after. */
  volatile java.util.function.Consumer<String> hook = s -> {};
  /** Called with the first offset of every {@link #read}, on the thread reading (may throw). */
  volatile java.util.function.LongConsumer readHook = offset -> {};
  private long expectNext = -1;

  /** Appends {@code n} puts {@code k<i> = v<i>}. */
  FakeRebuild puts(int n) {
    for (int i = 0; i < n; i++) {
      add("put k" + log.size() + " v" + log.size());
    }
    return this;
  }

  FakeRebuild add(String op) {
    return add(op, T0.plusSeconds(log.size()), 1);
  }

  /** Appends {@code op} committed at {@code time} under {@code epoch}. */
  FakeRebuild add(String op, Instant time, long epoch) {
    log.add(new ReplayRecord(log.size(), epoch, time, op.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  /** Takes a snapshot consistent with offset {@code pos} (every record below it), taken at {@code time}. */
  FakeRebuild snapshot(String id, long pos, Instant time) {
    return snapshot(id, pos, time, 1);
  }

  /** Takes a snapshot consistent with offset {@code pos}, taken at {@code time} under {@code epoch}. */
  FakeRebuild snapshot(String id, long pos, Instant time, long epoch) {
    Map<String, String> data = new TreeMap<>();
    for (int i = 0; i < pos; i++) {
      applyTo(data, log.get(i));
    }
    snapshots.add(new SnapshotRef(id, time, new LogPosition(pos, epoch), 100 * pos));
    snapshotData.put(id, data);
    return this;
  }

  /** @return the state of the service after applying the log up to and including {@code last} */
  Map<String, String> expectedUpTo(long last) {
    Map<String, String> data = new TreeMap<>();
    for (int i = 0; i <= last && i < log.size(); i++) {
      applyTo(data, log.get(i));
    }
    return data;
  }

  private static void applyTo(Map<String, String> data, ReplayRecord r) {
    String[] p = new String(r.payload(), StandardCharsets.UTF_8).split(" ");
    if (p[0].equals("put")) {
      data.put(p[1], p[2]);
    } else {
      data.remove(p[1]);
    }
  }

  @Override
  public List<SnapshotRef> snapshots(String service) {
    return List.copyOf(snapshots);
  }

  @Override
  public boolean available(String service) {
    return logAvailable;
  }

  @Override
  public long firstOffset(String service) {
    return firstOffset;
  }

  @Override
  public long endOffset(String service) {
    return log.size();
  }

  @Override
  public List<ReplayRecord> read(String service, long fromOffset, int maxRecords) {
    readHook.accept(fromOffset);
    List<ReplayRecord> out = new ArrayList<>();
    for (long o = fromOffset; o < log.size() && out.size() < maxRecords; o++) {
      if (o == damagedAt) {
        if (out.isEmpty()) {
          throw new IntegrityException("log orders: record at offset " + o + " fails its checksum");
        }
        break;
      }
      if (o == gapAt) {
        continue;
      }
      out.add(log.get((int) o));
    }
    return out;
  }

  @Override
  public synchronized void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) {
    hook.accept("load");
    calls.add("load " + snapshot.id() + " into " + site + " @" + epoch);
    store.clear();
    store.putAll(snapshotData.get(snapshot.id()));
    expectNext = snapshot.logPosition() == null ? -1 : snapshot.logPosition().offset();
    hook.accept("loaded");
  }

  @Override
  public synchronized void apply(String service, Site site, List<ReplayRecord> records, long epoch) {
    hook.accept("apply");
    calls.add("apply " + records.get(0).offset() + ".." + records.get(records.size() - 1).offset() + " @" + epoch);
    for (ReplayRecord r : records) {
      if (r.offset() != expectNext) {
        violations.add("applied offset " + r.offset() + " but expected " + expectNext);
      }
      expectNext = r.offset() + 1;
      applyTo(store, r);
    }
    hook.accept("applied");
  }

  @Override
  public Optional<Instant> lastAcknowledgedWrite(String service) {
    return Optional.ofNullable(lastAck);
  }
}
