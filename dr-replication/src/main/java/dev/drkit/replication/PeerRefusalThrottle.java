package dev.drkit.replication;

import dev.drkit.core.spi.DrEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Keeps a flood of refused connections from turning the event bus into an amplifier: per window of
 * the injected clock, at most {@code perPeer} {@value PeerRefusal#TYPE} events per remote host
 * (its IP address, whatever port it connects from) and at most {@code total} in all; every refusal
 * beyond either bound is counted instead and reported in one {@value PeerRefusal#SUPPRESSED_TYPE}
 * event when the window ends. Every refusal is therefore in exactly one event: its own or a
 * window's summary. At most {@value #MAX_TRACKED_PEERS} hosts are counted one by one per window;
 * refusals from further hosts are suppressed and counted as untracked, so memory stays bounded
 * whatever the number of source addresses. Thread-safe; it only decides, and the caller publishes
 * the events it returns outside the lock.
 */
final class PeerRefusalThrottle {
  /** The most remote hosts counted one by one in a window. */
  static final int MAX_TRACKED_PEERS = 1024;
  /** The most hosts a summary names (the ones with the most suppressed refusals). */
  static final int SUMMARY_PEERS = 10;

  private final Clock clock;
  private final int perPeer;
  private final int total;
  private final Duration window;
  private final Supplier<String> local;
  private final Map<String, Counts> peers = new HashMap<>();
  private final EnumMap<PeerRefusal.Reason, Long> suppressedByReason = new EnumMap<>(PeerRefusal.Reason.class);
  private Instant windowStart;
  private int published;
  private long suppressed;
  private long untracked;

  /** What one host did in the current window. */
  private static final class Counts {
    int published;
    long suppressed;
  }

  /**
   * @param clock the clock that times the windows
   * @param perPeer the most refusal events per remote host and window (0: only summaries)
   * @param total the most refusal events per window, all hosts together
   * @param window the length of a window
   * @param local names the listening address, for the summary
   */
  PeerRefusalThrottle(Clock clock, int perPeer, int total, Duration window, Supplier<String> local) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.perPeer = perPeer;
    this.total = total;
    this.window = Objects.requireNonNull(window, "window");
    this.local = Objects.requireNonNull(local, "local");
    this.windowStart = clock.instant();
  }

  /**
   * @param refusal a refused connection
   * @param event its {@value PeerRefusal#TYPE} event; its time is the moment of the refusal
   * @return what to publish, in order: the summary of a window that ended before the refusal (if
   *     it suppressed anything), then {@code event} unless this refusal is suppressed
   */
  synchronized List<DrEvent> offer(PeerRefusal refusal, DrEvent event) {
    List<DrEvent> out = new ArrayList<>(2);
    Instant now = event.time();
    if (!now.isBefore(windowStart.plus(window))) {
      summary(now, windowStart.plus(window)).ifPresent(out::add);
      reset(now);
    }
    Counts c = peers.get(refusal.remoteHost());
    if (c == null && peers.size() < MAX_TRACKED_PEERS) {
      c = new Counts();
      peers.put(refusal.remoteHost(), c);
    }
    if (c != null && c.published < perPeer && published < total) {
      c.published++;
      published++;
      out.add(event);
    } else {
      suppressed++;
      suppressedByReason.merge(refusal.reason(), 1L, Long::sum);
      if (c != null) {
        c.suppressed++;
      } else {
        untracked++;
      }
    }
    return out;
  }

  /**
   * Ends the current window if the clock says it is over (called periodically, so that the count
   * of a flood that stopped is published without waiting for the next refusal).
   *
   * @return the window's summary, if it ended and suppressed anything
   */
  synchronized Optional<DrEvent> sweep() {
    Instant now = clock.instant();
    if (now.isBefore(windowStart.plus(window))) {
      return Optional.empty();
    }
    Optional<DrEvent> s = summary(now, windowStart.plus(window));
    reset(now);
    return s;
  }

  /**
   * Ends the current window now, over or not (the transport closes).
   *
   * @return its summary, if it suppressed anything
   */
  synchronized Optional<DrEvent> flush() {
    Instant now = clock.instant();
    Optional<DrEvent> s = summary(now, now);
    reset(now);
    return s;
  }

  private void reset(Instant now) {
    windowStart = now;
    peers.clear();
    suppressedByReason.clear();
    published = 0;
    suppressed = 0;
    untracked = 0;
  }

  private Optional<DrEvent> summary(Instant now, Instant end) {
    if (suppressed == 0) {
      return Optional.empty();
    }
    List<Map.Entry<String, Counts>> top = peers.entrySet().stream().filter(e -> e.getValue().suppressed > 0)
        .sorted(Comparator.comparingLong((Map.Entry<String, Counts> e) -> e.getValue().suppressed).reversed()
            .thenComparing(Map.Entry::getKey))
        .toList();
    String byPeer = top.stream().limit(SUMMARY_PEERS).map(e -> e.getKey() + "=" + e.getValue().suppressed)
        .collect(Collectors.joining(", "));
    String byReason = suppressedByReason.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", "));
    Instant to = end.isAfter(now) ? now : end;
    Map<String, String> a = new LinkedHashMap<>();
    a.put("suppressed", Long.toString(suppressed));
    a.put("peers", Integer.toString(top.size()));
    a.put("untracked", Long.toString(untracked));
    a.put("byPeer", byPeer);
    a.put("byReason", byReason);
    a.put("windowStart", windowStart.toString());
    a.put("windowEnd", to.toString());
    a.put("perPeerLimit", Integer.toString(perPeer));
    a.put("totalLimit", Integer.toString(total));
    a.put("window", window.toString());
    a.put("local", local.get());
    String message = suppressed + " more refused replication peer connection" + (suppressed == 1 ? "" : "s")
        + " on " + local.get() + " between " + windowStart + " and " + to + " were not published one by one (at most "
        + perPeer + " events per peer and " + total + " in all per " + window + "): by peer "
        + (byPeer.isEmpty() ? "(none counted one by one)" : byPeer)
        + (top.size() > SUMMARY_PEERS ? " and " + (top.size() - SUMMARY_PEERS) + " more peers" : "")
        + (untracked > 0 ? ", " + untracked + " from peers beyond the " + MAX_TRACKED_PEERS + " counted one by one"
            : "")
        + "; by reason " + byReason;
    return Optional.of(new DrEvent(now, PeerRefusal.SUPPRESSED_TYPE, DrEvent.Severity.WARN, null, 0, message, a));
  }
}
