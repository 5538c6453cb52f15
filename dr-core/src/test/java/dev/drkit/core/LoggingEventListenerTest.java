package dev.drkit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.DrEvent;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoggingEventListenerTest {
  private static final Instant T = Instant.parse("2026-11-24T00:00:00Z");

  @Test
  void formatsServiceEpochTypeMessageAndAttributes() {
    DrEvent e = new DrEvent(T, "failover.transition", DrEvent.Severity.WARN, "orders", 3, "fencing primary",
        Map.of()).with("from", "PRIMARY_DEGRADED").with("to", "FAILING_OVER");
    assertThat(LoggingEventListener.format(e))
        .isEqualTo("[orders epoch=3] failover.transition: fencing primary {from=PRIMARY_DEGRADED, to=FAILING_OVER}");
  }

  @Test
  void leavesOutWhatAnEventDoesNotHave() {
    assertThat(LoggingEventListener.format(DrEvent.info(T, "backup.succeeded", null, 0, "snapshot 1a2b written")))
        .isEqualTo("backup.succeeded: snapshot 1a2b written");
    assertThat(LoggingEventListener.format(DrEvent.info(T, "x", null, 7, "m"))).isEqualTo("[epoch=7] x: m");
    assertThat(LoggingEventListener.format(DrEvent.info(T, "x", "db", 0, "m"))).isEqualTo("[db] x: m");
  }

  @Test
  void anEventQuotingAPeerCannotForgeALogLine() {
    String hostile = "orders\nFORGED WARN root logged in\r\u001b[2J\u202e";
    DrEvent e = new DrEvent(T, "replication.peer.refused", DrEvent.Severity.WARN, hostile, 0,
        "refused replication peer 127.0.0.1:1 for " + hostile, Map.of("detail", "HELLO for " + hostile));
    String escaped = "orders\\nFORGED WARN root logged in\\r\\u001B[2J\\u202E";
    assertThat(LoggingEventListener.format(e)).isEqualTo("[" + escaped + "] replication.peer.refused: refused"
        + " replication peer 127.0.0.1:1 for " + escaped + " {detail=HELLO for " + escaped + "}");
    assertThat(LoggingEventListener.format(DrEvent.info(T, "backup.succeeded", null, 0, "to C:\\backups\\n1")))
        .as("backslashes of drkit's own text stay as written").isEqualTo("backup.succeeded: to C:\\backups\\n1");
  }
}
