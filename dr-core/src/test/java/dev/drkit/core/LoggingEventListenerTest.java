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
}
