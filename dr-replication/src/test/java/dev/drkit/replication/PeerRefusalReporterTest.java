package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.testing.CapturedLog;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The reporter alone, on a fake clock: what it publishes and logs for refusals the throttle decides on. */
class PeerRefusalReporterTest {
  final FakeClock clock = new FakeClock();
  final RecordingListener events = new RecordingListener();
  final PeerRefusalReporter reporter = new PeerRefusalReporter(EventBus.of(events), clock, 1, 10,
      Duration.ofMinutes(1), () -> "127.0.0.1:7000", LoggerFactory.getLogger(PeerRefusalReporterTest.class));

  static PeerRefusal refusal(int port) {
    return new PeerRefusal("192.0.2.7", port, PeerRefusal.Reason.PROTOCOL_VIOLATION, "garbage", null, false, 0);
  }

  @Test
  void aRefusalReportedAfterCloseIsNotLeftInAWindowNobodyEnds() {
    reporter.refused(refusal(1), 10);
    reporter.refused(refusal(2), 10); // over the limit of 1 per peer
    reporter.flush(); // the transport closes
    assertThat(events.ofType(PeerRefusal.SUPPRESSED_TYPE)).singleElement()
        .satisfies(e -> assertThat(e.attributes()).containsEntry("suppressed", "1"));
    // connections that were answering their peers when the transport closed report afterwards (at
    // most maxConnections of them): each ends its window at once, so each is published, none lost
    try (CapturedLog log = new CapturedLog()) {
      reporter.refused(refusal(3), 10);
      reporter.refused(refusal(4), 10);
      assertThat(log.warnings()).hasSize(2).allSatisfy(l -> assertThat(l).contains("refused peer 192.0.2.7:"));
    }
    assertThat(events.ofType(PeerRefusal.TYPE)).extracting(e -> e.attributes().get("remotePort"))
        .containsExactly("1", "3", "4");
    assertThat(events.ofType(PeerRefusal.SUPPRESSED_TYPE)).hasSize(1);
  }

  @Test
  void aLoggedRefusalNamesListenerPeerReasonCodeServiceAndDetail() {
    try (CapturedLog log = new CapturedLog()) {
      reporter.refused(new PeerRefusal("::1", 5555, PeerRefusal.Reason.STALE_EPOCH, "epoch 3 is older than 5",
          "orders", true, 5), 2);
      reporter.refused(new PeerRefusal("192.0.2.9", 4, PeerRefusal.Reason.TLS_FAILED, "TLS failed: no cert", null,
          false, 0), 0);
      assertThat(log.warnings()).satisfiesExactly(
          l -> assertThat(l).endsWith("replication listener 127.0.0.1:7000 refused peer [::1]:5555 (STALE_EPOCH,"
              + " error 2, service \"orders\", authenticated): epoch 3 is older than 5"),
          l -> assertThat(l).endsWith("replication listener 127.0.0.1:7000 refused peer 192.0.2.9:4 (TLS_FAILED):"
              + " TLS failed: no cert"));
    }
  }
}
