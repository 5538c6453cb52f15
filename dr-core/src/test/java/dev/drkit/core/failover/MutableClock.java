package dev.drkit.core.failover;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clock dr-core's own tests move by hand; thread-safe.
 *
 * <p>Every other module's tests use the one shared fake clock, {@code dev.drkit.testkit.FakeClock}.
 * dr-core's tests cannot: dr-testkit depends on dr-core (its contract suites test dr-core's SPI), so
 * a test dependency back on it would be a cycle Maven refuses. This is therefore the only other test
 * clock in the build, shared by every dr-core test (the failover engine's and the orchestrator's);
 * keep it the only one.
 */
public final class MutableClock extends Clock {
  private final AtomicReference<Instant> now;

  /** @param start the initial time */
  public MutableClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /** Creates a clock at 2026-11-24T00:00:00Z. */
  public MutableClock() {
    this(Instant.parse("2026-11-24T00:00:00Z"));
  }

  /** @param d how far to move the clock forward */
  public void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }

  /** @return a sleeper that advances this clock instead of waiting */
  Sleeper sleeper() {
    return this::advance;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  long nanos() {
    Instant t = now.get();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
