package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.DrEvent;
import dev.drkit.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bound on {@value PeerRefusal#TYPE} events, driven by a fake clock: at most N per peer and M
 * in all per window, the rest counted in one summary per window, every refusal in exactly one event.
 */
class PeerRefusalThrottleTest {
  static final Duration WINDOW = Duration.ofMinutes(1);
  final FakeClock clock = new FakeClock();

  PeerRefusalThrottle throttle(int perPeer, int total) {
    return new PeerRefusalThrottle(clock, perPeer, total, WINDOW, () -> "127.0.0.1:7000");
  }

  static PeerRefusal refusal(String host, int port, PeerRefusal.Reason reason) {
    return new PeerRefusal(host, port, reason, "detail of " + port, null, false, 0);
  }

  List<DrEvent> offer(PeerRefusalThrottle t, String host, int port, PeerRefusal.Reason reason) {
    PeerRefusal r = refusal(host, port, reason);
    return t.offer(r, r.toEvent(clock.instant()));
  }

  static List<DrEvent> ofType(List<DrEvent> events, String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  @Test
  void aFloodFromOneHostPublishesThePerPeerLimitThenOneSummaryWhenTheWindowEnds() {
    PeerRefusalThrottle t = throttle(3, 50);
    List<DrEvent> out = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      out.addAll(offer(t, "192.0.2.7", 40000 + i, PeerRefusal.Reason.AUTHENTICATION_FAILED));
      clock.advance(Duration.ofMillis(50)); // 1000 refusals in 50 s: one window
    }
    assertThat(out).hasSize(3).allSatisfy(e -> assertThat(e.type()).isEqualTo(PeerRefusal.TYPE));
    assertThat(out).extracting(e -> e.attributes().get("remotePort")).containsExactly("40000", "40001", "40002");
    assertThat(t.sweep()).as("the window is not over yet").isEmpty();

    clock.advance(Duration.ofSeconds(10));
    DrEvent summary = t.sweep().orElseThrow();
    assertThat(summary.type()).isEqualTo(PeerRefusal.SUPPRESSED_TYPE);
    assertThat(summary.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(summary.attributes()).containsEntry("suppressed", "997").containsEntry("peers", "1")
        .containsEntry("byPeer", "192.0.2.7=997").containsEntry("byReason", "AUTHENTICATION_FAILED=997")
        .containsEntry("windowStart", FakeClock.DEFAULT_START.toString())
        .containsEntry("windowEnd", FakeClock.DEFAULT_START.plus(WINDOW).toString())
        .containsEntry("local", "127.0.0.1:7000").containsEntry("perPeerLimit", "3");
    assertThat(summary.message()).contains("997 more refused replication peer connections on 127.0.0.1:7000")
        .contains("192.0.2.7=997");
    assertThat(t.sweep()).as("a window is summarised once").isEmpty();

    // the next window publishes again
    assertThat(offer(t, "192.0.2.7", 50000, PeerRefusal.Reason.TIMEOUT)).singleElement()
        .satisfies(e -> assertThat(e.attributes()).containsEntry("reason", "TIMEOUT"));
  }

  @Test
  void theRefusalThatOpensANewWindowCarriesTheLastWindowsSummaryFirst() {
    PeerRefusalThrottle t = throttle(1, 50);
    offer(t, "192.0.2.7", 1, PeerRefusal.Reason.PROTOCOL_VIOLATION);
    offer(t, "192.0.2.7", 2, PeerRefusal.Reason.PROTOCOL_VIOLATION);
    offer(t, "192.0.2.7", 3, PeerRefusal.Reason.CONNECTION_LIMIT);
    clock.advance(WINDOW);
    List<DrEvent> out = offer(t, "192.0.2.7", 4, PeerRefusal.Reason.PROTOCOL_VIOLATION);
    assertThat(out).extracting(DrEvent::type).containsExactly(PeerRefusal.SUPPRESSED_TYPE, PeerRefusal.TYPE);
    assertThat(out.get(0).attributes()).containsEntry("suppressed", "2")
        .containsEntry("byReason", "CONNECTION_LIMIT=1, PROTOCOL_VIOLATION=1");
  }

  @Test
  void theTotalLimitBoundsEventsAcrossHostsAndTheSummaryNamesTheTopPeers() {
    PeerRefusalThrottle t = throttle(2, 5);
    List<DrEvent> out = new ArrayList<>();
    for (int h = 1; h <= 20; h++) {
      for (int i = 0; i < h; i++) {
        out.addAll(offer(t, "198.51.100." + h, 1000 + i, PeerRefusal.Reason.AUTHENTICATION_FAILED));
      }
    }
    assertThat(out).hasSize(5);
    DrEvent summary = t.flush().orElseThrow();
    long all = 20 * 21 / 2;
    assertThat(summary.attributes()).containsEntry("suppressed", Long.toString(all - 5)).containsEntry("peers", "18");
    assertThat(summary.attributes().get("byPeer")).startsWith("198.51.100.20=20, 198.51.100.19=19")
        .contains("198.51.100.11=11").doesNotContain("198.51.100.10=");
    assertThat(summary.message()).contains("and 8 more peers");
  }

  @Test
  void hostsBeyondTheTrackingBoundAreCountedWithoutBeingRemembered() {
    PeerRefusalThrottle t = throttle(1, Integer.MAX_VALUE);
    int published = 0;
    int hosts = PeerRefusalThrottle.MAX_TRACKED_PEERS + 500;
    for (int h = 0; h < hosts; h++) {
      published += offer(t, "2001:db8::" + Integer.toHexString(h), 1, PeerRefusal.Reason.TLS_FAILED).size();
    }
    assertThat(published).isEqualTo(PeerRefusalThrottle.MAX_TRACKED_PEERS);
    DrEvent summary = t.flush().orElseThrow();
    assertThat(summary.attributes()).containsEntry("suppressed", "500").containsEntry("untracked", "500")
        .containsEntry("peers", "0");
    assertThat(summary.message()).contains("500 from peers beyond the 1024 counted one by one");
  }

  @Test
  void zeroPerPeerPublishesOnlySummaries() {
    PeerRefusalThrottle t = throttle(0, 50);
    assertThat(offer(t, "192.0.2.7", 1, PeerRefusal.Reason.STALE_EPOCH)).isEmpty();
    assertThat(t.flush().orElseThrow().attributes()).containsEntry("suppressed", "1");
    assertThat(t.flush()).as("nothing left to report").isEmpty();
  }

  @Test
  void everyRefusalIsCountedInExactlyOneEventWhateverTheShapeOfTheFlood() {
    Random random = new Random(20261206L);
    for (int run = 0; run < 50; run++) {
      PeerRefusalThrottle t = throttle(random.nextInt(4), random.nextInt(20));
      long counted = 0;
      int n = 1 + random.nextInt(3000);
      for (int i = 0; i < n; i++) {
        List<DrEvent> out = offer(t, "10.0.0." + random.nextInt(30), i & 0xFFFF,
            PeerRefusal.Reason.values()[random.nextInt(PeerRefusal.Reason.values().length)]);
        counted += count(out);
        clock.advance(Duration.ofMillis(random.nextInt(500)));
        if (random.nextInt(100) == 0) {
          counted += t.sweep().map(e -> Long.parseLong(e.attributes().get("suppressed"))).orElse(0L);
        }
      }
      counted += t.flush().map(e -> Long.parseLong(e.attributes().get("suppressed"))).orElse(0L);
      assertThat(counted).as("run %d", run).isEqualTo(n);
    }
  }

  static long count(List<DrEvent> out) {
    return ofType(out, PeerRefusal.TYPE).size()
        + ofType(out, PeerRefusal.SUPPRESSED_TYPE).stream().mapToLong(e -> Long.parseLong(e.attributes()
            .get("suppressed"))).sum();
  }

  @Test
  void anEventReadsBackAsTheRefusalItReports() {
    PeerRefusal r = new PeerRefusal("::1", 5555, PeerRefusal.Reason.STALE_EPOCH, "epoch 3 is older than 5", "orders",
        true, 5);
    DrEvent e = r.toEvent(clock.instant());
    assertThat(e.type()).isEqualTo(PeerRefusal.TYPE);
    assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(e.service()).isEqualTo("orders");
    assertThat(e.epoch()).isEqualTo(5);
    assertThat(e.attributes()).containsEntry("remote", "[::1]:5555").containsEntry("reason", "STALE_EPOCH");
    assertThat(e.message()).isEqualTo("refused replication peer [::1]:5555 for orders (STALE_EPOCH): epoch 3 is"
        + " older than 5");
    assertThat(PeerRefusal.from(e)).contains(r);
    assertThat(PeerRefusal.from(DrEvent.info(clock.instant(), PeerRefusal.TYPE, null, 0, "no attributes"))).isEmpty();
    assertThat(PeerRefusal.from(e.with("reason", "NOT_A_REASON"))).isEmpty();
  }

  @Test
  void theSummariesCountsByReasonReadBackAndWithThePublishedEventsAddUpToEveryRefusalOfEachReason() {
    Random random = new Random(7L);
    PeerRefusalThrottle t = throttle(2, 15);
    java.util.Map<PeerRefusal.Reason, Long> actual = new java.util.EnumMap<>(PeerRefusal.Reason.class);
    java.util.Map<PeerRefusal.Reason, Long> read = new java.util.EnumMap<>(PeerRefusal.Reason.class);
    java.util.function.Consumer<DrEvent> readBack = e -> {
      PeerRefusal.from(e).ifPresent(r -> read.merge(r.reason(), 1L, Long::sum));
      PeerRefusal.suppressedByReason(e).forEach((reason, n) -> read.merge(reason, n, Long::sum));
    };
    for (int i = 0; i < 5000; i++) {
      PeerRefusal.Reason reason = PeerRefusal.Reason.values()[random.nextInt(PeerRefusal.Reason.values().length)];
      actual.merge(reason, 1L, Long::sum);
      offer(t, "10.0.0." + random.nextInt(40), i & 0xFFFF, reason).forEach(readBack);
      clock.advance(Duration.ofMillis(random.nextInt(100)));
    }
    t.flush().ifPresent(readBack);
    assertThat(read).isEqualTo(actual);
  }

  @Test
  void suppressedCountsOfAnotherEventAreEmptyAndAMalformedSummaryIsNamed() {
    PeerRefusal r = refusal("192.0.2.7", 1, PeerRefusal.Reason.TIMEOUT);
    assertThat(PeerRefusal.suppressedByReason(r.toEvent(clock.instant()))).isEmpty();
    DrEvent summary = new DrEvent(clock.instant(), PeerRefusal.SUPPRESSED_TYPE, DrEvent.Severity.WARN, null, 0, "m",
        java.util.Map.of("byReason", "TIMEOUT=2, TLS_FAILED=3"));
    assertThat(PeerRefusal.suppressedByReason(summary)).containsExactly(
        java.util.Map.entry(PeerRefusal.Reason.TLS_FAILED, 3L), java.util.Map.entry(PeerRefusal.Reason.TIMEOUT, 2L));
    for (String bad : List.of("TIMEOUT", "NOT_A_REASON=1", "TIMEOUT=x", "TIMEOUT=-1")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> PeerRefusal.suppressedByReason(
          summary.with("byReason", bad))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("byReason entry '" + bad + "'");
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PeerRefusal.suppressedByReason(new DrEvent(
        clock.instant(), PeerRefusal.SUPPRESSED_TYPE, DrEvent.Severity.WARN, null, 0, "m", java.util.Map.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no byReason");
  }
}
