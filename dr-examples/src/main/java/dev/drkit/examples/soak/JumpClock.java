package dev.drkit.examples.soak;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that follows a base clock plus an offset that jumps: what a host's wall clock does when
 * NTP steps it or an operator sets it. The soak gives it to the failover engine and the failure
 * detector (their injected {@link Clock}) and jumps it forwards and backwards. Thread-safe.
 */
public final class JumpClock extends Clock {
  private final Clock base;
  private final AtomicLong offsetNanos;

  /** @param base the clock to follow */
  public JumpClock(Clock base) {
    this(base, new AtomicLong());
  }

  private JumpClock(Clock base, AtomicLong offsetNanos) {
    this.base = Objects.requireNonNull(base, "base");
    this.offsetNanos = offsetNanos;
  }

  /**
   * Steps the clock.
   *
   * @param by how far (negative: backwards)
   */
  public void jump(Duration by) {
    offsetNanos.addAndGet(by.toNanos());
  }

  /** @return how far the clock is from its base now */
  public Duration offset() {
    return Duration.ofNanos(offsetNanos.get());
  }

  @Override
  public ZoneId getZone() {
    return base.getZone();
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new JumpClock(base.withZone(zone), offsetNanos);
  }

  @Override
  public Instant instant() {
    return base.instant().plusNanos(offsetNanos.get());
  }

  @Override
  public long millis() {
    return instant().toEpochMilli();
  }
}
