package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.internal.LogText;
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
 * published or counted into the window's {@value PeerRefusal#SUPPRESSED_TYPE} summary, and logs
 * and publishes what it returns. The log follows the same decision as the bus, so a flood of
 * refused connections cannot fill the host's disk either: a refusal is logged at WARN (one line:
 * listener, peer, reason, error code, service, detail) only when its event is published, and a
 * window's suppressed refusals are logged once, at WARN, with their counts by peer and reason.
 * Text the peer controls (the service it named, a detail quoting it) is logged through
 * {@link #printable}, so it cannot forge log lines or smuggle terminal escapes. Nothing here ever
 * throws: neither a failing listener nor anything else may stop the accept loop, a connection's
 * cleanup or the transport's timer. Thread-safe.
 */
final class PeerRefusalReporter {
  private final EventBus events;
  private final Clock clock;
  private final PeerRefusalThrottle throttle;
  private final Supplier<String> local;
  private final Logger log;
  private volatile boolean closed;

  /**
   * @param events the bus to publish to
   * @param clock stamps the events and times the windows
   * @param perPeer the most refusal events per remote host and window
   * @param total the most refusal events per window, all hosts together
   * @param window the length of a window
   * @param local names the listening address
   * @param log where the refusals, the summaries and failures to publish are logged
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
   * Logs and publishes the refusal of a peer, within the limits. Never throws.
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
      if (e.type().equals(PeerRefusal.TYPE)) { // this refusal's own event, let through
        logRefusal(refusal, code);
      } else {
        logSummary(e);
      }
      publish(e);
    }
    if (closed) {
      flush(); // reported after close(): its window ends at once (at most maxConnections such refusals)
    }
  }

  /** Logs a refusal the throttle let through: everything a reader needs, peer text escaped. */
  private void logRefusal(PeerRefusal r, int code) {
    try {
      String service = r.service();
      log.warn("replication listener {} refused peer {} ({}{}{}{}): {}", local.get(), r.remote(), r.reason(),
          code > 0 ? ", error " + code : "", service != null ? ", service \"" + printable(service) + "\"" : "",
          r.authenticated() ? ", authenticated" : "", printable(r.detail()));
    } catch (RuntimeException x) {
      // a logging backend that throws must not break the refusal either
    }
  }

  /** Logs a window's summary: its counts by peer (IP literals) and by reason, once. */
  private void logSummary(DrEvent summary) {
    try {
      log.warn("{}", LogText.oneLine(summary.message()));
    } catch (RuntimeException x) {
      // as above
    }
  }

  /** The most characters of one peer-controlled text a log line carries. */
  static final int MAX_LOGGED_CHARS = 256;

  /**
   * @param text text a peer may control
   * @return it fit for one log line ({@link LogText#printable}): no line break, control or format
   *     character, backslashes doubled, cut after {@value #MAX_LOGGED_CHARS} characters
   */
  static String printable(String text) {
    return LogText.printable(text, MAX_LOGGED_CHARS);
  }

  /** Publishes the summary of a window the clock says is over (the transport's periodic sweep). Never throws. */
  void sweep() {
    try {
      throttle.sweep().ifPresent(this::logAndPublish);
    } catch (RuntimeException e) {
      log.warn("could not publish the count of refused replication peers: {}", e.toString());
    }
  }

  /**
   * Ends the current window now and publishes its summary (the transport closes); a refusal
   * reported later (its connection was already answering its peer) ends its own window at once, so
   * it is never left in a window nobody ends. Never throws.
   */
  void flush() {
    closed = true;
    try {
      throttle.flush().ifPresent(this::logAndPublish);
    } catch (RuntimeException e) {
      log.warn("could not publish the last count of refused replication peers: {}", e.toString());
    }
  }

  private void logAndPublish(DrEvent summary) {
    logSummary(summary);
    publish(summary);
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
