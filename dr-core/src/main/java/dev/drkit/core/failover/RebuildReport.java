package dev.drkit.core.failover;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.ServiceState;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a rebuild restored, read from the service's persisted state (so a process that resumed it,
 * or a tool that only reads the state store, reports the same): the snapshot, the log range
 * replayed, why the replay stopped, what it deliberately did not replay, and the RPO when the log
 * could not bring the data up to the last acknowledged write.
 *
 * @param service the name of the service that was rebuilt
 * @param state the state the rebuild left (PRIMARY_ACTIVE when it completed, FAILED or REBUILDING)
 * @param epoch the epoch the rebuilt site serves (or will serve) under
 * @param request what was asked
 * @param snapshotId the snapshot restored
 * @param snapshotTime when it was taken
 * @param snapshotBytes its size ({@code 0} when unknown)
 * @param fromOffset the log offset replay started at, or null when the snapshot recorded none
 * @param stop why the replay stopped: {@code end} (end of the log), {@code target} (the requested
 *     offset or time), {@code log-gone} (no log: stopped at the snapshot), {@code log-behind} (the log ends
 *     before the snapshot's position, so nothing after the snapshot survives in it: stopped at the
 *     snapshot), {@code no-position} (the
 *     snapshot has no log position: stopped at it), or null when the replay has not completed
 * @param applied records replayed
 * @param lastApplied the last offset replayed, or null
 * @param lastAppliedTime its commit time, or null
 * @param notReplayed records past the target that were deliberately not replayed
 * @param notReplayedFirst the commit time of the first of them, or null
 * @param notReplayedLast the commit time of the last of them, or null
 * @param notReplayedAtOrBeforeTarget of the records not replayed, those committed at or before the
 *     target time: they follow a record past it in the log (written under a clock ahead of theirs,
 *     clock skew between the sites); {@code 0} for other targets
 * @param rpo the measured gap between what was restored and the last acknowledged write, when the
 *     replay ran to the end of what survives and the host knows that write; otherwise null
 * @param loadDuration how long loading the snapshot took
 * @param replayDuration how long the replay took
 * @param error the error a failed rebuild stopped with (names the offset and what was recovered), or null
 */
public record RebuildReport(String service, FailoverState state, long epoch, RebuildRequest request, String snapshotId,
    Instant snapshotTime, long snapshotBytes, @Nullable Long fromOffset, @Nullable String stop, long applied,
    @Nullable Long lastApplied, @Nullable Instant lastAppliedTime, long notReplayed, @Nullable Instant notReplayedFirst,
    @Nullable Instant notReplayedLast, long notReplayedAtOrBeforeTarget, @Nullable Duration rpo, Duration loadDuration, Duration replayDuration,
    @Nullable String error) {
  /** Validates. */
  public RebuildReport {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(snapshotId, "snapshotId");
    Objects.requireNonNull(snapshotTime, "snapshotTime");
    Objects.requireNonNull(loadDuration, "loadDuration");
    Objects.requireNonNull(replayDuration, "replayDuration");
  }

  /**
   * @param s a persisted state
   * @return the report of the rebuild it records (in progress, completed or failed), or empty when
   *     it records none
   */
  public static Optional<RebuildReport> of(ServiceState s) {
    Map<String, String> a = s.attributes();
    String id = a.get(Replayer.ATTR_SNAPSHOT_ID);
    if (id == null) {
      return Optional.empty();
    }
    RebuildRequest req = RebuildRequest.parse(a.getOrDefault(Replayer.ATTR_SNAPSHOT_SPEC, "latest"),
        a.getOrDefault(Replayer.ATTR_TARGET_SPEC, "end"));
    String error = s.state() == FailoverState.FAILED
        && FailoverState.REBUILDING.name().equals(a.get(FailoverEngine.ATTR_FAILED_PHASE))
        ? a.get(FailoverEngine.ATTR_ERROR) : null;
    return Optional.of(new RebuildReport(s.service(), s.state(), s.epoch(), req, id,
        Instant.parse(a.get(Replayer.ATTR_SNAPSHOT_TIME)), num(a, Replayer.ATTR_SNAPSHOT_SIZE, 0L),
        opt(a, Replayer.ATTR_FROM_OFFSET), a.get(Replayer.ATTR_STOP), num(a, Replayer.ATTR_APPLIED, 0L),
        opt(a, Replayer.ATTR_LAST_APPLIED), time(a, Replayer.ATTR_LAST_APPLIED_TIME),
        num(a, Replayer.ATTR_SKIPPED, 0L), time(a, Replayer.ATTR_SKIPPED_FIRST), time(a, Replayer.ATTR_SKIPPED_LAST),
        num(a, Replayer.ATTR_SKIPPED_AT_OR_BEFORE, 0L),
        a.containsKey(Replayer.ATTR_RPO_MILLIS) ? Duration.ofMillis(num(a, Replayer.ATTR_RPO_MILLIS, 0L)) : null,
        Duration.ofMillis(num(a, Replayer.ATTR_LOAD_MILLIS, 0L)),
        Duration.ofMillis(num(a, Replayer.ATTR_REPLAY_MILLIS, 0L)), error));
  }

  /** @return records replayed per second ({@code 0} when nothing was replayed or no time was measured) */
  public double replayRate() {
    long ms = replayDuration.toMillis();
    return applied == 0 || ms == 0 ? 0 : applied * 1000.0 / ms;
  }

  /** @return one paragraph for an operator */
  public String summary() {
    StringBuilder b = new StringBuilder();
    b.append("rebuild of '").append(service).append("' (").append(request).append("): ").append(state)
        .append(" at epoch ").append(epoch).append("; snapshot ").append(snapshotId, 0, Math.min(12,
        snapshotId.length())).append(" taken ").append(snapshotTime);
    if (fromOffset != null) {
      b.append(", log from offset ").append(fromOffset);
    }
    if (stop != null) {
      b.append("; replayed ").append(applied).append(" records");
      if (lastApplied != null) {
        b.append(" up to offset ").append(lastApplied).append(" (committed ").append(lastAppliedTime).append(')');
      }
      b.append(", stopped at ").append(stop);
      if (notReplayed > 0) {
        b.append("; NOT replayed: ").append(notReplayed).append(" records committed ").append(notReplayedFirst)
            .append(" .. ").append(notReplayedLast);
        if (notReplayedAtOrBeforeTarget > 0) {
          b.append(" (").append(notReplayedAtOrBeforeTarget).append(" of them committed at or before the target,"
              + " after a record past it in the log: clock skew)");
        }
      }
    }
    if (rpo != null) {
      b.append("; RPO (gap to the last acknowledged write) ").append(rpo.toMillis()).append(" ms");
    }
    if (error != null) {
      b.append("; error: ").append(error);
    }
    return b.toString();
  }

  private static long num(Map<String, String> a, String k, long dflt) {
    String v = a.get(k);
    return v == null || v.isEmpty() ? dflt : Long.parseLong(v);
  }

  private static @Nullable Long opt(Map<String, String> a, String k) {
    String v = a.get(k);
    return v == null || v.isEmpty() ? null : Long.valueOf(v);
  }

  private static @Nullable Instant time(Map<String, String> a, String k) {
    String v = a.get(k);
    return v == null || v.isEmpty() ? null : Instant.parse(v);
  }
}
