package dev.drkit.backup.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that only moves when told to. */
public final class FakeClock extends Clock {
  private volatile Instant now;
  private final ZoneId zone;

  /** @param start the initial time */
  public FakeClock(Instant start) {
    this(start, ZoneOffset.UTC);
  }

  private FakeClock(Instant start, ZoneId zone) {
    this.now = start;
    this.zone = zone;
  }

  /** @param t the new time (may go backwards, as a real wall clock may) */
  public void set(Instant t) {
    now = t;
  }

  /** @param d how far to move forward */
  public void advance(Duration d) {
    now = now.plus(d);
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId z) {
    return new FakeClock(now, z);
  }

  @Override
  public Instant instant() {
    return now;
  }
}
