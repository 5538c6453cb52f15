package dev.drkit.replication;

import dev.drkit.core.spi.DrEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A replication peer that the listening side of a {@link TcpTransport} refused: the typed view of
 * a {@value #TYPE} event. The transport publishes one WARN event of that type per refused
 * connection to the bus given to {@link TcpTransport.Builder#eventBus}, at most a bounded number
 * per peer and per window; the refusals beyond the bound are counted and published together in
 * one {@value #SUPPRESSED_TYPE} event per window ({@code docs/replication-protocol.md} §4.11).
 *
 * <p>A listener reads the event with {@link #from(DrEvent)}:
 *
 * <pre>{@code
 * bus.subscribe(PeerRefusal.TYPE, e -> PeerRefusal.from(e).ifPresent(r -> alert(r.remote(), r.reason())));
 * }</pre>
 *
 * @param remoteHost the peer's IP address as a literal ({@code 192.0.2.7}, {@code ::1})
 * @param remotePort the peer's TCP port
 * @param reason why the peer was refused
 * @param detail a human-readable account, as sent to the peer in its REJECT or ERROR message (or
 *     the TLS failure)
 * @param service the service the peer asked for in its HELLO, or {@code null} if it was refused
 *     before naming one (connection limit, TLS failure, a first message that is not a valid HELLO)
 * @param authenticated whether the peer had proven its replication key or certificate before it
 *     was refused ({@code false} on an {@code insecure()} transport)
 * @param epoch the replica's current fencing epoch for {@link Reason#STALE_EPOCH}; {@code 0} otherwise
 */
public record PeerRefusal(String remoteHost, int remotePort, Reason reason, String detail, @Nullable String service,
    boolean authenticated, long epoch) {

  /** The type of the event published for one refused peer connection (severity WARN). */
  public static final String TYPE = "replication.peer.refused";
  /**
   * The type of the event that counts the refused connections a window did not publish one by one
   * (severity WARN). It starts with {@link #TYPE}, so a subscription to that prefix receives both.
   */
  public static final String SUPPRESSED_TYPE = TYPE + ".suppressed";

  /** Why a peer was refused; each maps to the wire error code(s) the peer was answered with. */
  public enum Reason {
    /**
     * The peer did not prove a replication key or certificate the backup accepts: an authentication
     * mode that is not the backup's, an unknown key id, a wrong key, an AUTH that does not match the
     * handshake (error {@code 7}); or a sealed message whose MAC does not verify (error {@code 8}) or
     * whose sequence number is not the next one (error {@code 9}).
     */
    AUTHENTICATION_FAILED,
    /** The mutual TLS handshake or a TLS record failed: no certificate, an untrusted one, not TLS 1.3, not TLS. */
    TLS_FAILED,
    /** The backup already held its maximum number of connections (error {@code 11}). */
    CONNECTION_LIMIT,
    /**
     * The peer broke the protocol: a malformed or unexpected message, garbage bytes, a length of
     * zero or over the limit (errors {@code 6} and {@code 10}).
     */
    PROTOCOL_VIOLATION,
    /** The peer's HELLO announced a protocol version this backup does not speak (error {@code 1}). */
    UNSUPPORTED_VERSION,
    /** The peer did not complete the handshake within the handshake timeout (error {@code 12}). */
    TIMEOUT,
    /** The peer's HELLO, BATCH, HEARTBEAT or REWIND carried an epoch older than the replica's (error {@code 2}). */
    STALE_EPOCH,
    /** No replica serves the service the peer named (error {@code 3}). */
    UNKNOWN_SERVICE,
    /** A record frame the peer sent failed its CRC, offset, epoch or count check (error {@code 4}). */
    INTEGRITY,
    /**
     * The replica refused what the peer sent: a gap in offsets, a replica that was promoted, a
     * storage failure, a replica that cannot rewind (error {@code 5}).
     */
    REPLICA_REFUSED
  }

  /**
   * Validates.
   *
   * @throws NullPointerException if {@code remoteHost}, {@code reason} or {@code detail} is null
   * @throws IllegalArgumentException if the port is not 0..65535 or the epoch is negative
   */
  public PeerRefusal {
    Objects.requireNonNull(remoteHost, "remoteHost");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    if (remotePort < 0 || remotePort > 0xFFFF) {
      throw new IllegalArgumentException("peer refusal remotePort must be 0..65535, was " + remotePort);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("peer refusal epoch must be >= 0, was " + epoch);
    }
  }

  /**
   * @param remote the peer's socket address
   * @param reason why it was refused
   * @param detail what was wrong
   * @param service the service it named, or null
   * @param authenticated whether it had proven its key or certificate
   * @param epoch the replica's epoch for a stale epoch, else 0
   * @return the refusal of that peer
   */
  static PeerRefusal of(InetSocketAddress remote, Reason reason, String detail, @Nullable String service,
      boolean authenticated, long epoch) {
    InetAddress a = remote.getAddress();
    String host = a != null ? a.getHostAddress() : remote.getHostString();
    return new PeerRefusal(host, remote.getPort(), reason, detail, service, authenticated, epoch);
  }

  /** @return the peer's address as {@code host:port} ({@code [host]:port} for an IPv6 address) */
  public String remote() {
    return (remoteHost.indexOf(':') >= 0 ? "[" + remoteHost + "]" : remoteHost) + ":" + remotePort;
  }

  /**
   * @param time when the peer was refused
   * @return the {@value #TYPE} event (WARN), with the attributes {@code remote}, {@code remoteHost},
   *     {@code remotePort}, {@code reason}, {@code detail} and {@code authenticated}
   */
  public DrEvent toEvent(Instant time) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("remote", remote());
    a.put("remoteHost", remoteHost);
    a.put("remotePort", Integer.toString(remotePort));
    a.put("reason", reason.name());
    a.put("detail", detail);
    a.put("authenticated", Boolean.toString(authenticated));
    return new DrEvent(time, TYPE, DrEvent.Severity.WARN, service, epoch, "refused replication peer " + remote()
        + (service != null ? " for " + service : "") + " (" + reason + "): " + detail, a);
  }

  /**
   * Reads a {@value #TYPE} event back.
   *
   * @param event any event
   * @return the refusal it reports, or empty if it is of another type or lacks an attribute
   */
  public static Optional<PeerRefusal> from(DrEvent event) {
    Objects.requireNonNull(event, "event");
    Map<String, String> a = event.attributes();
    String host = a.get("remoteHost");
    String port = a.get("remotePort");
    String reason = a.get("reason");
    String detail = a.get("detail");
    String authenticated = a.get("authenticated");
    if (!TYPE.equals(event.type()) || host == null || port == null || reason == null || detail == null
        || authenticated == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new PeerRefusal(host, Integer.parseInt(port), Reason.valueOf(reason), detail,
          event.service(), Boolean.parseBoolean(authenticated), event.epoch()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Reads the counts of a {@value #SUPPRESSED_TYPE} event back: how many refusals of each reason
   * the window counted instead of publishing them one by one (its {@code byReason} attribute). With
   * the {@value #TYPE} events, they add up to every refusal, so a counter fed by both counts them all.
   *
   * @param event any event
   * @return the suppressed refusals by reason (only reasons that occurred, in the enum's order), or
   *     an empty map if the event is of another type
   * @throws IllegalArgumentException if it is a {@value #SUPPRESSED_TYPE} event whose
   *     {@code byReason} is missing or is not a list of {@code REASON=count}
   */
  public static Map<Reason, Long> suppressedByReason(DrEvent event) {
    Objects.requireNonNull(event, "event");
    if (!SUPPRESSED_TYPE.equals(event.type())) {
      return Map.of();
    }
    String byReason = event.attributes().get("byReason");
    if (byReason == null) {
      throw new IllegalArgumentException(SUPPRESSED_TYPE + " event has no byReason attribute");
    }
    Map<Reason, Long> counts = new EnumMap<>(Reason.class);
    for (String part : byReason.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      Reason reason;
      long n;
      try {
        if (eq < 0) {
          throw new IllegalArgumentException("no '='");
        }
        reason = Reason.valueOf(p.substring(0, eq));
        n = Long.parseLong(p.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(SUPPRESSED_TYPE + " event's byReason entry '" + p
            + "' is not REASON=count (" + e.getMessage() + ")", e);
      }
      if (n < 0) {
        throw new IllegalArgumentException(SUPPRESSED_TYPE + " event's byReason entry '" + p
            + "' has a negative count");
      }
      counts.merge(reason, n, Long::sum);
    }
    return Collections.unmodifiableMap(counts);
  }
}
