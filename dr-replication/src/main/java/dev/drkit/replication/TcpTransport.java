package dev.drkit.replication;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.spi.ReplicationEndpoint;
import dev.drkit.replication.spi.ReplicationSession;
import dev.drkit.replication.spi.ReplicationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication over TCP ({@code java.nio} socket channels), speaking the protocol of
 * {@code docs/replication-protocol.md}: a versioned, authenticated handshake, length-prefixed
 * messages sealed with a sequence number and a MAC, batches of CRC32C-checked record frames,
 * acknowledgements, heartbeats and error messages.
 *
 * <p>Peers authenticate each other with a pre-shared key ({@link ReplicationKeys}): an HMAC-SHA256
 * challenge-response with nonces from both sides, session keys derived with HKDF-SHA256, and a MAC
 * over every message and its sequence number; or, as the second option, with mutual TLS 1.3 from
 * a host-supplied {@link SSLContext}. A transport is built with {@link #builder(Config)} and one of
 * {@link Builder#keys(ReplicationKeys)}, {@link Builder#tls(SSLContext)} or, as an explicit and
 * logged opt-out, {@link Builder#insecure()}; without one it refuses to build. A backup applies nothing from a
 * peer (no record, no epoch) before the peer proved its key.
 *
 * <p>Bounds: a message length over the limit ({@link Config#maxMessageBytes()}, before
 * authentication {@value Wire#MAX_PREAUTH_MESSAGE} bytes) is refused before anything is allocated;
 * a connection's read buffer starts at {@value Wire#INITIAL_BUFFER} bytes and grows only for a
 * message within the limit; a peer that has not completed the handshake within
 * {@link Config#handshakeTimeout()} is dropped; a backup holds at most
 * {@link Config#maxConnections()} connections (and as many connection threads), refusing more with
 * error {@code 11}.
 *
 * <p>Backpressure: a session blocks {@link ReplicationSession#send} while more than
 * {@link Config#maxInflightBytes()} are sent but not acknowledged as received, so memory stays
 * bounded on both sides. The backup acknowledges once per burst of messages read together (one
 * force for many batches). A session on which nothing arrived for
 * {@link Config#peerTimeout()} is closed. Any error closes the connection after an ERROR message;
 * the primary reconnects and resumes from the backup's next offset.
 *
 * <p>Events: the backup side publishes a {@value PeerRefusal#TYPE} event ({@link PeerRefusal}: the
 * peer's address, the {@linkplain PeerRefusal.Reason reason}, the detail, the service if named) for
 * every connection it refuses, to the bus given to {@link Builder#eventBus}, at most
 * {@link Builder#refusalEventLimits a bounded number} per peer and per window; the refusals beyond
 * are counted in one {@value PeerRefusal#SUPPRESSED_TYPE} event per window. The WARN log lines
 * follow the same limits (one per published refusal, one summary per window, peer-sent text
 * escaped), so a flood fills neither the bus nor the disk. A listener that throws never breaks
 * accepting or the refusal.
 */
public final class TcpTransport implements ReplicationTransport {
  private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
  private final Config config;
  private final @Nullable ReplicationKeys keys;
  private final @Nullable SSLContext tls;
  private final Map<String, ReplicationEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private final Semaphore slots;
  private final ScheduledExecutorService timers;
  private final PeerRefusalReporter refusals;
  private final Duration refusalWindow;
  private volatile String local;
  private volatile @Nullable ServerSocketChannel server;
  private volatile @Nullable Thread acceptor;
  private volatile boolean closed;

  /**
   * Settings of a {@link TcpTransport}.
   *
   * @param listen where the backup side listens, or {@code null} for a primary-only transport
   * @param peer where the primary side connects, or {@code null} for a backup-only transport
   * @param maxInflightBytes the most bytes a session has sent and not yet had acknowledged
   * @param connectTimeout how long a connect and handshake may take on the primary side
   * @param peerTimeout how long a connection may stay silent before it is closed
   * @param handshakeTimeout how long the backup side waits for a connection to complete the
   *     handshake before dropping it
   * @param maxMessageBytes the largest message (its {@code u32 length}) accepted from an
   *     authenticated peer; must exceed the largest batch a primary sends (one record of up to 16 MiB
   *     plus headers), and a primary refuses to send a larger one
   * @param maxConnections the most connections a backup side holds at once (authenticated or not)
   */
  public record Config(@Nullable InetSocketAddress listen, @Nullable InetSocketAddress peer, int maxInflightBytes,
      Duration connectTimeout, Duration peerTimeout, Duration handshakeTimeout, int maxMessageBytes,
      int maxConnections) {
    /** The default {@link #maxMessageBytes()}: a 16 MiB record with its frame, batch and seal headers, and room. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = (16 << 20) + (64 << 10);
    /** The default {@link #maxConnections()}. */
    public static final int DEFAULT_MAX_CONNECTIONS = 16;

    /**
     * Validates.
     *
     * @throws IllegalArgumentException naming the field if a value is out of range
     */
    public Config {
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      Objects.requireNonNull(peerTimeout, "peerTimeout");
      Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
      if (maxInflightBytes < 64 << 10) {
        throw new IllegalArgumentException("tcp.maxInflightBytes must be >= 64 KiB, was " + maxInflightBytes);
      }
      for (Duration d : new Duration[] {connectTimeout, peerTimeout, handshakeTimeout}) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("tcp timeouts must be positive, were connectTimeout " + connectTimeout
              + ", peerTimeout " + peerTimeout + ", handshakeTimeout " + handshakeTimeout);
        }
      }
      if (maxMessageBytes < 64 << 10) {
        throw new IllegalArgumentException("tcp.maxMessageBytes must be >= 64 KiB, was " + maxMessageBytes);
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("tcp.maxConnections must be >= 1, was " + maxConnections);
      }
    }

    /**
     * @param listen the address to listen on
     * @return a backup-side config (8 MiB in flight, 5 s connect, 15 s peer timeout, 5 s handshake
     *     deadline, {@link #DEFAULT_MAX_MESSAGE_BYTES}, {@link #DEFAULT_MAX_CONNECTIONS})
     */
    public static Config listening(InetSocketAddress listen) {
      return new Config(Objects.requireNonNull(listen, "listen"), null, 8 << 20, Duration.ofSeconds(5),
          Duration.ofSeconds(15), Duration.ofSeconds(5), DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_CONNECTIONS);
    }

    /**
     * @param peer the backup's address
     * @return a primary-side config (same defaults as {@link #listening})
     */
    public static Config connecting(InetSocketAddress peer) {
      return new Config(null, Objects.requireNonNull(peer, "peer"), 8 << 20, Duration.ofSeconds(5),
          Duration.ofSeconds(15), Duration.ofSeconds(5), DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_CONNECTIONS);
    }

    /** @param bytes the in-flight limit @return a copy with it @throws IllegalArgumentException if below 64 KiB */
    public Config withMaxInflightBytes(int bytes) {
      return new Config(listen, peer, bytes, connectTimeout, peerTimeout, handshakeTimeout, maxMessageBytes,
          maxConnections);
    }

    /** @param timeout the silence limit @return a copy with it @throws IllegalArgumentException if not positive */
    public Config withPeerTimeout(Duration timeout) {
      return new Config(listen, peer, maxInflightBytes, connectTimeout, timeout, handshakeTimeout, maxMessageBytes,
          maxConnections);
    }

    /** @param timeout the handshake deadline @return a copy with it @throws IllegalArgumentException if not positive */
    public Config withHandshakeTimeout(Duration timeout) {
      return new Config(listen, peer, maxInflightBytes, connectTimeout, peerTimeout, timeout, maxMessageBytes,
          maxConnections);
    }

    /** @param bytes the message size limit @return a copy with it @throws IllegalArgumentException if below 64 KiB */
    public Config withMaxMessageBytes(int bytes) {
      return new Config(listen, peer, maxInflightBytes, connectTimeout, peerTimeout, handshakeTimeout, bytes,
          maxConnections);
    }

    /** @param n the connection limit @return a copy with it @throws IllegalArgumentException if below 1 */
    public Config withMaxConnections(int n) {
      return new Config(listen, peer, maxInflightBytes, connectTimeout, peerTimeout, handshakeTimeout,
          maxMessageBytes, n);
    }
  }

  /**
   * @param config the settings
   * @return a builder; choose {@link Builder#keys} or {@link Builder#insecure} before {@link Builder#build}
   */
  public static Builder builder(Config config) {
    return new Builder(config);
  }

  /** The default most {@value PeerRefusal#TYPE} events per remote host and window ({@link Builder#refusalEventLimits}). */
  public static final int DEFAULT_REFUSAL_EVENTS_PER_PEER = 5;
  /** The default most {@value PeerRefusal#TYPE} events per window, all peers together. */
  public static final int DEFAULT_REFUSAL_EVENTS = 50;
  /** The default window of the refusal event limits: one minute. */
  public static final Duration DEFAULT_REFUSAL_EVENT_WINDOW = Duration.ofMinutes(1);

  /** Builds a {@link TcpTransport}: credentials are required unless explicitly waived. */
  public static final class Builder {
    private final Config config;
    private @Nullable ReplicationKeys keys;
    private @Nullable SSLContext tls;
    private boolean insecure;
    private EventBus events = new EventBus();
    private Clock clock = Clock.systemUTC();
    private int refusalEventsPerPeer = DEFAULT_REFUSAL_EVENTS_PER_PEER;
    private int refusalEvents = DEFAULT_REFUSAL_EVENTS;
    private Duration refusalEventWindow = DEFAULT_REFUSAL_EVENT_WINDOW;

    private Builder(Config config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Authenticates peers with pre-shared keys (the built-in scheme, {@code docs/replication-protocol.md} §4.1).
     *
     * @param keys the pre-shared keys: a backup accepts any of them, a primary proves the active one
     * @return this
     */
    public Builder keys(ReplicationKeys keys) {
      this.keys = Objects.requireNonNull(keys, "keys");
      return this;
    }

    /**
     * Authenticates peers with mutual TLS 1.3 instead of keys: the connection runs TLS 1.3 only, a
     * backup requires a client certificate, and each side checks the other's chain with the
     * context's trust managers (trust only the certificates or CA of your replication peers). Key
     * material comes from the host (PKCS12 through {@link java.security.KeyStore}, or PEM through its
     * own loader). The host names of peers are not checked. Both sides must use TLS.
     *
     * @param context the host's TLS context, with a key manager (this side's certificate) and a
     *     trust manager (the peers')
     * @return this
     */
    public Builder tls(SSLContext context) {
      this.tls = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * Opts out of authentication: anyone who reaches the port can open a session, ship records and
     * raise the replica's fence epoch. For tests and trusted loopback setups only; logged as a
     * warning when built.
     *
     * @return this
     */
    public Builder insecure() {
      this.insecure = true;
      return this;
    }

    /**
     * @param v the shared bus that receives the transport's events (a {@value PeerRefusal#TYPE}
     *     event for every peer the backup side refuses, within {@link #refusalEventLimits}); pass the
     *     application's one bus (the default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     * @throws NullPointerException if {@code v} is null
     */
    public Builder eventBus(EventBus v) {
      this.events = Objects.requireNonNull(v, "events");
      return this;
    }

    /**
     * @param v the clock that stamps events and times the windows of {@link #refusalEventLimits}
     *     (default {@link Clock#systemUTC()}); timeouts on the wire keep to the system's nano time
     * @return this builder
     * @throws NullPointerException if {@code v} is null
     */
    public Builder clock(Clock v) {
      this.clock = Objects.requireNonNull(v, "clock");
      return this;
    }

    /**
     * Bounds the {@value PeerRefusal#TYPE} events, so that a flood of refused connections cannot
     * flood the bus: per {@code window} of the clock, at most {@code perPeer} events per remote host
     * (its IP address, whatever the port) and {@code total} in all. The refusals beyond are counted,
     * per host and per reason, and published as one {@value PeerRefusal#SUPPRESSED_TYPE} event when
     * the window ends (checked at the next refusal, every {@code window} of real time, and when the
     * transport closes). Defaults: {@value #DEFAULT_REFUSAL_EVENTS_PER_PEER} per peer,
     * {@value #DEFAULT_REFUSAL_EVENTS} in all, one minute.
     *
     * @param perPeer the most events per remote host and window; {@code 0} publishes only summaries
     * @param total the most events per window, all hosts together
     * @param window the length of a window
     * @return this builder
     * @throws IllegalArgumentException naming the field if a count is negative or the window not positive
     * @throws NullPointerException if {@code window} is null
     */
    public Builder refusalEventLimits(int perPeer, int total, Duration window) {
      Objects.requireNonNull(window, "window");
      if (perPeer < 0) {
        throw new IllegalArgumentException("tcp.refusalEvents.perPeer must be >= 0, was " + perPeer);
      }
      if (total < 0) {
        throw new IllegalArgumentException("tcp.refusalEvents.total must be >= 0, was " + total);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("tcp.refusalEvents.window must be positive, was " + window);
      }
      this.refusalEventsPerPeer = perPeer;
      this.refusalEvents = total;
      this.refusalEventWindow = window;
      return this;
    }

    /**
     * @return the transport
     * @throws ConfigException (path {@code tcp.keys}) if none or more than one of keys, TLS and
     *     {@code insecure()} were chosen, or (path {@code tcp.tls}) if the TLS context cannot do TLS 1.3
     */
    public TcpTransport build() {
      int chosen = (keys != null ? 1 : 0) + (tls != null ? 1 : 0) + (insecure ? 1 : 0);
      if (chosen == 0) {
        throw new ConfigException("tcp.keys", "a TcpTransport needs replication keys"
            + " (TcpTransport.builder(config).keys(ReplicationKeys...)) or a TLS context (tls(SSLContext)) so that"
            + " peers authenticate each other; call insecure() to run without authentication explicitly");
      }
      if (chosen > 1) {
        throw new ConfigException("tcp.keys", "a TcpTransport takes exactly one of keys(...), tls(...) and"
            + " insecure()");
      }
      SSLContext context = tls;
      if (context != null && !java.util.Arrays.asList(context.getSupportedSSLParameters().getProtocols())
          .contains(dev.drkit.replication.internal.Link.TLS_13)) {
        throw new ConfigException("tcp.tls", "the TLS context (" + context.getProtocol() + ") does not support TLSv1.3");
      }
      if (insecure) {
        LOG.warn("replication transport {} is insecure(): peers are not authenticated; anyone who can reach {} can"
            + " ship records and raise the fence epoch", config.listen() != null ? "listening on " + config.listen()
            : "to " + config.peer(), config.listen() != null ? "the port" : "the peer's port");
      }
      return new TcpTransport(this);
    }
  }

  private TcpTransport(Builder b) {
    this.config = b.config;
    this.keys = b.keys;
    this.tls = b.tls;
    InetSocketAddress listen = config.listen();
    this.local = listen != null ? format(listen) : "(not listening)";
    this.refusals = new PeerRefusalReporter(b.events, b.clock, b.refusalEventsPerPeer, b.refusalEvents,
        b.refusalEventWindow, () -> local, LOG);
    this.refusalWindow = b.refusalEventWindow;
    this.slots = new Semaphore(config.maxConnections());
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread th = DrkitThreads.create(r, "drkit-repl-timer", true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true);
    this.timers = t;
  }

  /** @return whether this transport authenticates its peers (built with keys or TLS, not {@code insecure()}) */
  public boolean authenticated() {
    return keys != null || tls != null;
  }

  /** @return the port the backup side listens on, once {@link #serve} was called */
  public int boundPort() {
    ServerSocketChannel s = server;
    if (s == null) {
      throw new IllegalStateException("not listening");
    }
    try {
      return ((InetSocketAddress) Objects.requireNonNull(s.getLocalAddress())).getPort();
    } catch (IOException e) {
      throw new ReplicationException("cannot read the listening address", e);
    }
  }

  /** @return how many connections the backup side holds now (at most {@link Config#maxConnections()}) */
  public int openConnections() {
    return config.maxConnections() - slots.availablePermits();
  }

  // ------------------------------------------------------------------ backup side

  @Override
  public synchronized AutoCloseable serve(String service, ReplicationEndpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    InetSocketAddress listen = config.listen();
    if (listen == null) {
      throw new IllegalStateException("this TcpTransport has no listen address");
    }
    if (endpoints.putIfAbsent(service, endpoint) != null) {
      throw new IllegalStateException("a backup already serves service " + service);
    }
    if (server == null) {
      try {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(listen);
        server = s;
        if (s.getLocalAddress() instanceof InetSocketAddress bound) {
          local = format(bound);
        }
      } catch (IOException e) {
        endpoints.remove(service);
        throw new ReplicationException("cannot listen on " + listen + ": " + e.getMessage(), e);
      }
      Thread t = DrkitThreads.create(this::acceptLoop, "drkit-repl-accept-" + listen.getPort(), true);
      acceptor = t;
      t.start();
      sweepRefusalsEvery(refusalWindow);
    }
    return () -> endpoints.remove(service, endpoint);
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the deadline and silence timers handle their own outcome
  private void acceptLoop() {
    ServerSocketChannel s = server;
    while (!closed && s != null && s.isOpen()) {
      SocketChannel ch;
      try {
        ch = s.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("replication listener {} failed to accept: {}", config.listen(), e.toString());
        }
        continue;
      }
      InetSocketAddress remote;
      try {
        remote = (InetSocketAddress) Objects.requireNonNull(ch.getRemoteAddress(), "remote address");
      } catch (IOException | RuntimeException e) {
        LOG.debug("replication listener {} accepted a connection that is already gone: {}", config.listen(),
            e.toString());
        closeQuietly(ch);
        continue;
      }
      if (!slots.tryAcquire()) {
        String text = "this backup is at its limit of " + config.maxConnections() + " replication connections";
        try {
          Wire.writeFully(ch, Wire.plain(Wire.REJECT, Wire.errorBody(Wire.E_BUSY, 0, text)));
        } catch (IOException e) {
          LOG.debug("could not refuse a connection: {}", e.toString());
        }
        closeQuietly(ch);
        refusals.refused(PeerRefusal.of(remote, PeerRefusal.Reason.CONNECTION_LIMIT, text, null, false, 0), Wire.E_BUSY);
        continue;
      }
      TcpBackupConnection c;
      Thread t;
      try {
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c = new TcpBackupConnection(config, keys, tls, endpoints::get, ch, remote, refusals::refused, () -> {
          connections.remove(ch);
          slots.release();
        });
        t = DrkitThreads.create(c, "drkit-repl-conn-" + ch.getRemoteAddress(), true);
      } catch (IOException | RuntimeException e) {
        LOG.warn("replication listener {} could not start a connection: {}", config.listen(), e.toString());
        closeQuietly(ch);
        slots.release();
        continue;
      }
      connections.add(ch);
      t.start(); // from here on the connection releases its slot when it ends
      try {
        timers.schedule(c::handshakeDeadline, config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
        watchSilence(c);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        closeQuietly(ch); // the transport is closing
      }
    }
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the timer handles its own outcome
  private void watchSilence(TcpBackupConnection c) {
    long periodMs = Math.max(1, config.peerTimeout().toMillis() / 2);
    timers.schedule(() -> {
      if (c.checkSilence()) {
        watchSilence(c);
      }
    }, periodMs, TimeUnit.MILLISECONDS);
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the sweep handles its own outcome
  private void sweepRefusalsEvery(Duration period) {
    try {
      timers.scheduleWithFixedDelay(refusals::sweep, period.toNanos(),
          period.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("transport closing; no refusal sweep");
    }
  }

  /** @return {@code host:port} with the IP address as a literal ({@code [host]:port} for IPv6) */
  static String format(InetSocketAddress a) {
    java.net.InetAddress ip = a.getAddress();
    String host = ip != null ? ip.getHostAddress() : a.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("close failed", e);
    }
  }

  // ------------------------------------------------------------------ primary side

  @Override
  public ReplicationSession connect(String service, long epoch, ReplicationSession.Listener listener) {
    return connect(service, epoch, listener, Wire.VERSION);
  }

  /**
   * Like {@link #connect(String, long, ReplicationSession.Listener)} but announcing another
   * protocol version (for compatibility tests).
   *
   * @param service the protected service whose log to ship
   * @param epoch the primary's fencing epoch, announced in the handshake
   * @param listener receives acknowledgements and the session's end
   * @param version the version to announce
   * @return the session
   */
  ReplicationSession connect(String service, long epoch, ReplicationSession.Listener listener, short version) {
    Objects.requireNonNull(listener, "listener");
    if (closed) {
      throw new ReplicationException("this TcpTransport to " + config.peer() + " is closed");
    }
    return TcpPrimarySession.open(config, keys, tls, timers, connections, service, epoch, listener, version);
  }

  /** Closes every open connection but keeps listening (fault injection: a network reset). */
  public void resetConnections() {
    for (SocketChannel c : connections) {
      closeQuietly(c);
    }
  }

  /** Stops listening and closes every connection. Idempotent. */
  @Override
  public void close() {
    boolean wasClosed = closed;
    closed = true;
    if (!wasClosed) {
      refusals.flush();
    }
    ServerSocketChannel s = server;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.debug("closing listener failed", e);
      }
    }
    for (SocketChannel c : connections) {
      closeQuietly(c);
    }
    Thread t = acceptor;
    if (t != null) {
      t.interrupt();
    }
    timers.shutdownNow();
  }
}
