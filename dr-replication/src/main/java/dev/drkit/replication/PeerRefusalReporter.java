package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * Reports the peers a {@link TcpTransport}'s listening side refuses: builds each refusal's
 * {@value PeerRefusal#TYPE} event, lets the {@link PeerRefusalThrottle} decide whether it is
 * published or counted into the window's {@value PeerRefusal#SUPPRESSED_TYPE} summary, and
 * publishes what it returns. Nothing here ever throws: neither a failing listener nor anything
 * else may stop the accept loop, a connection's cleanup or the transport's timer. Thread-safe.
 */
final class PeerRefusalReporter {
  private final EventBus events;
  private final Clock clock;
  private final PeerRefusalThrottle throttle;
  private final Supplier<String> local;
  private final Logger log;

  /**
   * @param events the bus to publish to
   * @param clock stamps the events and times the windows
   * @param perPeer the most refusal events per remote host and window
   * @param total the most refusal events per window, all hosts together
   * @param window the length of a window
   * @param local names the listening address
   * @param log where failures to publish are logged
   */
  PeerRefusalReporter(EventBus events, Clock clock, int perPeer, int total, Duration window, Supplier<String> local,
      Logger log) {
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.local = Objects.requireNonNull(local, "local");
    this.log = Objects.requireNonNull(log, "log");
    this.throttle = new PeerRefusalThrottle(clock, perPeer, total, window, local);
  }

  /**
   * Publishes the refusal of a peer, within the limits. Never throws.
   *
   * @param refusal the refused peer
   * @param code the wire error code it was answered with, or {@code 0} if none (a TLS failure)
   */
  void refused(PeerRefusal refusal, int code) {
    List<DrEvent> out;
    try {
      DrEvent e = refusal.toEvent(clock.instant()).with("local", local.get());
      out = throttle.offer(refusal, code > 0 ? e.with("code", code) : e);
    } catch (RuntimeException x) {
      log.warn("could not account for the refusal of replication peer {} ({}): {}", refusal.remote(),
          refusal.reason(), x.toString());
      return;
    }
    for (DrEvent e : out) {
      publish(e);
    }
  }

  /** Publishes the summary of a window the clock says is over (the transport's periodic sweep). Never throws. */
  void sweep() {
    try {
      throttle.sweep().ifPresent(this::publish);
    } catch (RuntimeException e) {
      log.warn("could not publish the count of refused replication peers: {}", e.toString());
    }
  }

  /** Ends the current window now and publishes its summary (the transport closes). Never throws. */
  void flush() {
    try {
      throttle.flush().ifPresent(this::publish);
    } catch (RuntimeException e) {
      log.warn("could not publish the last count of refused replication peers: {}", e.toString());
    }
  }

  /** Publishes on the bus; a listener's failure (even a stack overflow) is logged, never thrown. */
  private void publish(DrEvent e) {
    try {
      events.publish(e);
    } catch (RuntimeException | StackOverflowError x) {
      log.warn("publishing {} failed; the transport carries on", e.type(), x);
    }
  }
}
