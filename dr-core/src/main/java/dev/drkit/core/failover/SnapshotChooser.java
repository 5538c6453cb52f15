package dev.drkit.core.failover;

import dev.drkit.core.spi.LogPosition;
import dev.drkit.core.spi.SnapshotRef;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Picks the snapshot a rebuild starts from and refuses a request whose target lies before it.
 * Pure; the {@link FailoverEngine} calls it before the REBUILDING transition, so a refusal changes
 * nothing.
 */
final class SnapshotChooser {
  private SnapshotChooser() {}

  /**
   * The snapshots an operator's id names: the one with exactly that id; else the one whose id equals
   * it in another case (ids are hex, typed or pasted in upper case); else every one whose id starts
   * with it, in any case. An exact id always wins over longer ids it is a prefix of.
   */
  private static List<SnapshotRef> byId(List<SnapshotRef> sorted, String id) {
    List<SnapshotRef> exact = sorted.stream().filter(s -> s.id().equals(id)).toList();
    if (!exact.isEmpty()) {
      return exact;
    }
    List<SnapshotRef> anyCase = sorted.stream().filter(s -> s.id().equalsIgnoreCase(id)).toList();
    if (anyCase.size() == 1) {
      return anyCase;
    }
    return sorted.stream().filter(s -> s.id().regionMatches(true, 0, id, 0, id.length())).toList();
  }

  /**
   * @param service the service (for messages)
   * @param all the catalogue's snapshots
   * @param r the request
   * @return the snapshot to start from
   * @throws RebuildRefusedException naming the snapshot to use instead when none fits
   */
  static SnapshotRef choose(String service, List<SnapshotRef> all, RebuildRequest r) {
    List<SnapshotRef> sorted = all.stream().sorted(Comparator.comparing(SnapshotRef::time)).toList();
    if (sorted.isEmpty()) {
      throw new RebuildRefusedException("rebuild of '" + service + "' refused: the catalogue holds no snapshot of it");
    }
    SnapshotRef oldest = sorted.get(0);
    List<SnapshotRef> reaching = sorted.stream().filter(s -> reaches(s, r)).toList();
    if (reaching.isEmpty()) {
      throw new RebuildRefusedException("rebuild of '" + service + "' refused: the target " + target(r)
          + " is before the oldest snapshot " + describe(oldest) + ", so no snapshot can reach it");
    }
    SnapshotRef usable = reaching.get(reaching.size() - 1);
    SnapshotRef chosen;
    if (r.snapshotId() != null) {
      String id = r.snapshotId();
      List<SnapshotRef> m = byId(sorted, id);
      if (m.isEmpty()) {
        throw new RebuildRefusedException("rebuild of '" + service + "' refused: no snapshot '" + id + "' (oldest is "
            + describe(oldest) + ", newest " + describe(sorted.get(sorted.size() - 1)) + ")");
      }
      if (m.size() > 1) {
        throw new RebuildRefusedException("rebuild of '" + service + "' refused: snapshot prefix '" + id
            + "' is ambiguous: " + m.size() + " snapshots match ("
            + m.stream().limit(5).map(SnapshotChooser::describe).collect(Collectors.joining(", "))
            + (m.size() > 5 ? ", ..." : "") + "); give more of the id");
      }
      chosen = m.get(0);
    } else if (r.snapshotBefore() != null) {
      Instant before = r.snapshotBefore();
      List<SnapshotRef> m = sorted.stream().filter(s -> !s.time().isAfter(before)).toList();
      if (m.isEmpty()) {
        throw new RebuildRefusedException("rebuild of '" + service + "' refused: no snapshot was taken at or before "
            + before + "; the oldest is " + describe(oldest));
      }
      chosen = m.get(m.size() - 1);
    } else {
      return usable;
    }
    if (!reaches(chosen, r)) {
      throw new RebuildRefusedException("rebuild of '" + service + "' refused: the target " + target(r)
          + " is before snapshot " + describe(chosen) + "; the newest snapshot usable for it is " + describe(usable));
    }
    return chosen;
  }

  /** Whether replaying from {@code s} can stop at the request's target (the target is not before it). */
  private static boolean reaches(SnapshotRef s, RebuildRequest r) {
    if (r.toTime() != null && s.time().isAfter(r.toTime())) {
      return false;
    }
    Long start = startOffset(s);
    return r.toOffset() == null || start == null || start <= r.toOffset() + 1;
  }

  private static String target(RebuildRequest r) {
    return r.toTime() != null ? "time " + r.toTime() : r.toOffset() != null ? "offset " + r.toOffset() : "end of the log";
  }

  static @Nullable Long startOffset(SnapshotRef s) {
    LogPosition p = s.logPosition();
    return p == null ? null : p.offset();
  }

  static String describe(SnapshotRef s) {
    LogPosition p = s.logPosition();
    return s.id().substring(0, Math.min(12, s.id().length())) + " (taken " + s.time()
        + (p == null ? ", no log position" : ", log offset " + p.offset()) + ")";
  }
}
