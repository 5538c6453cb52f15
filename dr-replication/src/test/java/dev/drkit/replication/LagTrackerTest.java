package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LagTrackerTest {
  final FakeClock clock = new FakeClock(Instant.ofEpochMilli(0));
  final RecordingListener events = new RecordingListener();
  final LagTracker lag = new LagTracker("svc", Site.BACKUP, clock, EventBus.of(events),
      new LagBounds(100, 1 << 20, Duration.ofSeconds(1)));

  @Test
  void measuresLagInRecordsBytesAndAgeOfOldestUnacknowledgedRecord() {
    lag.committed(0, 100, clock.millis());
    clock.advance(Duration.ofMillis(300));
    lag.committed(1, 100, clock.millis());
    clock.advance(Duration.ofMillis(200));
    assertThat(lag.lag()).isEqualTo(new Lag(2, 200, Duration.ofMillis(500)));
    lag.acknowledged(0);
    assertThat(lag.lag()).isEqualTo(new Lag(1, 100, Duration.ofMillis(200)));
    lag.acknowledged(1);
    assertThat(lag.lag()).isEqualTo(Lag.none());
    assertThat(lag.estimate("svc", Site.BACKUP)).isEqualTo(Duration.ZERO);
  }

  @Test
  void publishesEventsWhenLagCrossesAndReturnsUnderItsBound() {
    lag.committed(0, 10, clock.millis());
    clock.advance(Duration.ofMillis(1500));
    assertThat(lag.estimate("svc", Site.BACKUP)).isEqualTo(Duration.ofMillis(1500));
    assertThat(lag.estimate("svc", Site.PRIMARY)).isEqualTo(Duration.ZERO);
    lag.check();
    lag.check();
    assertThat(events.ofType("replication.lag.exceeded")).hasSize(1);
    assertThat(events.ofType("replication.lag.exceeded").get(0).attributes()).containsEntry("ageMillis", "1500");
    lag.acknowledged(0);
    assertThat(events.ofType("replication.lag.recovered")).hasSize(1);
  }

  @Test
  void keepsBoundedMemoryWhileTheBackupIsDownAndStaysConservative() {
    for (int i = 0; i < 200_000; i++) {
      lag.committed(i, 288, clock.millis());
      clock.advance(Duration.ofMillis(1));
    }
    Lag l = lag.lag();
    assertThat(l.records()).isEqualTo(200_000);
    assertThat(l.age()).isEqualTo(Duration.ofMillis(200_000));
    lag.acknowledged(150_000);
    // samples were thinned, so the estimate may be older than the truth, never younger
    assertThat(lag.lag().age()).isGreaterThanOrEqualTo(Duration.ofMillis(200_000 - 150_001));
    assertThat(lag.lag().bytes()).isGreaterThanOrEqualTo(49_999L * 288);
  }
}
