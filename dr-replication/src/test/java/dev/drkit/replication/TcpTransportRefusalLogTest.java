package dev.drkit.replication;

import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.CapturedLog;
import dev.drkit.replication.testing.Closeables;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log lines of refused peers, over real loopback sockets, captured from the tests' slf4j
 * provider: they follow the event limits (a flood of refused connections logs at most the limit
 * of WARN lines and one summary per window, where before every connection logged its own), and
 * what a peer sends (a service name with a newline, an escape sequence) cannot forge a log line.
 */
class TcpTransportRefusalLogTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();
  final FakeClock clock = new FakeClock();
  final RecordingListener events = new RecordingListener();

  TcpTransport backup(int perPeer, int total) {
    ReplicationLog log = closeables.track(ReplicationLog.open(dir.resolve("backup"), LogConfig.builder(SVC).build()));
    log.fence(1);
    TcpTransport t = closeables.track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0)))
        .keys(RawPeer.KEYS).eventBus(EventBus.of(events)).clock(clock)
        .refusalEventLimits(perPeer, total, Duration.ofMinutes(1)).build());
    closeables.track(t.serve(SVC, new ReplicaApplier(SVC, log, new ListSink(), new EventBus(), clock)));
    return t;
  }

  /** Connects and announces a 64 MiB message: refused as a protocol violation before authentication. */
  static void garbage(TcpTransport b) throws Exception {
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.write(ByteBuffer.allocate(4).putInt(0, 64 << 20));
      assertThat(p.refusal().code()).isEqualTo(Wire.E_TOO_LARGE);
    }
  }

  @Test
  void aFloodOfRefusedConnectionsLogsAtMostTheLimitAndOneSummaryPerWindow() throws Exception {
    TcpTransport b = backup(3, 50);
    String listener = "127.0.0.1:" + b.boundPort();
    int flood = 40;
    List<String> warnings;
    try (CapturedLog log = new CapturedLog()) {
      for (int i = 0; i < flood; i++) {
        garbage(b);
      }
      // a connection reports (and logs) its refusal before it releases its slot
      eventually("every refused connection ended").until(() -> b.openConnections() == 0);
      assertThat(log.warnings()).as("the limit per peer, and no summary before the window ends").hasSize(3)
          .allSatisfy(l -> assertThat(l).contains("replication listener " + listener + " refused peer 127.0.0.1:")
              .contains("(PROTOCOL_VIOLATION, error 10): ")
              .contains("exceeds the limit of 4096 bytes before authentication"));

      clock.advance(Duration.ofMinutes(1));
      garbage(b); // the next window: the summary of the last, then this refusal
      eventually("every refused connection ended").until(() -> b.openConnections() == 0);
      warnings = log.warnings();
    }
    assertThat(warnings).hasSize(5);
    String summary = warnings.get(3);
    assertThat(summary).contains("WARN").contains((flood - 3) + " more refused replication peer connections on "
        + listener).contains("by peer 127.0.0.1=" + (flood - 3)).contains("by reason PROTOCOL_VIOLATION=" + (flood - 3));
    assertThat(warnings.get(4)).contains("refused peer 127.0.0.1:");
    assertThat(events.ofType(PeerRefusal.TYPE)).as("the log follows the events").hasSize(4);
  }

  @Test
  void aFloodFromManyWindowsNeverLogsMoreThanTheLimitPlusOneSummaryEach() throws Exception {
    TcpTransport b = backup(0, 0); // only summaries
    try (CapturedLog log = new CapturedLog()) {
      for (int w = 0; w < 3; w++) {
        for (int i = 0; i < 5; i++) {
          garbage(b);
        }
        eventually("every refused connection ended").until(() -> b.openConnections() == 0);
        clock.advance(Duration.ofMinutes(1));
      }
      b.close(); // the last window's count is logged when the transport closes
      assertThat(log.warnings()).hasSize(3).allSatisfy(l -> assertThat(l)
          .contains("5 more refused replication peer connections").contains("by reason PROTOCOL_VIOLATION=5"));
    }
  }

  @Test
  void aServiceNameWithANewlineOrAnEscapeSequenceIsLoggedEscaped() throws Exception {
    TcpTransport b = backup(5, 50);
    String hostile = "orders\nFORGED WARN dev.drkit.Admin - root logged in\r\u001b[2J\u202e\\n";
    InetSocketAddress from;
    try (CapturedLog log = new CapturedLog()) {
      try (RawPeer p = RawPeer.connect(b.boundPort())) {
        from = (InetSocketAddress) p.ch.getLocalAddress();
        p.writePlain(Wire.HELLO, RawPeer.helloBody(hostile, 1, Wire.AUTH_NONE, "", new byte[0]));
        assertThat(p.refusal().code()).isEqualTo(Wire.E_UNAUTHENTICATED);
      }
      eventually("the refused connection ended").until(() -> b.openConnections() == 0);
      String escaped = "orders\\nFORGED WARN dev.drkit.Admin - root logged in\\r\\u001B[2J\\u202E\\\\n";
      assertThat(log.lines()).as("one line, nothing forged").hasSize(1).first().asString()
          .contains(" WARN ").contains("refused peer " + TcpTransport.format(from) + " (AUTHENTICATION_FAILED,"
              + " error 7, service \"" + escaped + "\"): ")
          .contains("HELLO for " + escaped + " at epoch 1");
      assertThat(log.text().chars().filter(c -> (c < 0x20 && c != '\n') || c == 0x7f || c == 0x202e))
          .as("no control character but the line's end").isEmpty();
    }
    assertThat(PeerRefusal.from(events.ofType(PeerRefusal.TYPE).get(0)).orElseThrow().service())
        .as("the event keeps what the peer sent, for programs").isEqualTo(hostile);
  }

  @Test
  void aLongServiceNameIsCutInTheLog() throws Exception {
    TcpTransport b = backup(5, 50);
    String huge = "x".repeat(3000); // a HELLO fits the 4 KiB allowed before authentication
    try (CapturedLog log = new CapturedLog()) {
      try (RawPeer p = RawPeer.connect(b.boundPort())) {
        p.writePlain(Wire.HELLO, RawPeer.helloBody(huge, 1, Wire.AUTH_NONE, "", new byte[0]));
        p.refusal();
      }
      eventually("the refused connection ended").until(() -> b.openConnections() == 0);
      assertThat(log.warnings()).hasSize(1).first().asString()
          .contains("x".repeat(PeerRefusalReporter.MAX_LOGGED_CHARS) + "...(" + (3000 - PeerRefusalReporter.MAX_LOGGED_CHARS) + " more chars)")
          .doesNotContain("x".repeat(PeerRefusalReporter.MAX_LOGGED_CHARS + 1));
      assertThat(log.warnings().get(0).length()).isLessThan(1200);
    }
  }
}
