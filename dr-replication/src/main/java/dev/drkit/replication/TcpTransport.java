package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.spi.PrimaryHistory;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationEndpoint;
import dev.drkit.replication.spi.ReplicationHandshake;
import dev.drkit.replication.spi.ReplicationSession;
import dev.drkit.replication.spi.ReplicationTransport;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication over TCP ({@code java.nio} socket channels), speaking the protocol of
 * {@code docs/replication-protocol.md}: a versioned handshake, length-prefixed messages, batches of
 * CRC32C-checked record frames, acknowledgements, heartbeats and error messages.
 *
 * <p>Backpressure: a session blocks {@link ReplicationSession#send} while more than
 * {@link Config#maxInflightBytes()} are sent but not acknowledged as received, so memory stays
 * bounded on both sides. The backup acknowledges once per burst of messages read together (one
 * force for many batches). A session on which nothing arrived for
 * {@link Config#peerTimeout()} is closed. Any error closes the connection after an ERROR message;
 * the primary reconnects and resumes from the backup's next offset.
 */
public final class TcpTransport implements ReplicationTransport {
  private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
  private final Config config;
  private final Map<String, ReplicationEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private volatile @Nullable ServerSocketChannel server;
  private volatile @Nullable Thread acceptor;
  private volatile boolean closed;

  /**
   * Settings of a {@link TcpTransport}.
   *
   * @param listen where the backup side listens, or {@code null} for a primary-only transport
   * @param peer where the primary side connects, or {@code null} for a backup-only transport
   * @param maxInflightBytes the most bytes a session has sent and not yet had acknowledged
   * @param connectTimeout how long a connect and handshake may take
   * @param peerTimeout how long a connection may stay silent before it is closed
   */
  public record Config(@Nullable InetSocketAddress listen, @Nullable InetSocketAddress peer, int maxInflightBytes,
      Duration connectTimeout, Duration peerTimeout) {
    /** Validates. */
    public Config {
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      Objects.requireNonNull(peerTimeout, "peerTimeout");
      if (maxInflightBytes < 64 << 10) {
        throw new IllegalArgumentException("tcp.maxInflightBytes must be >= 64 KiB, was " + maxInflightBytes);
      }
      if (connectTimeout.isNegative() || connectTimeout.isZero() || peerTimeout.isNegative() || peerTimeout.isZero()) {
        throw new IllegalArgumentException("tcp timeouts must be positive, were " + connectTimeout + ", " + peerTimeout);
      }
    }

    /**
     * @param listen the address to listen on
     * @return a backup-side config (8 MiB in flight, 5 s connect, 15 s peer timeout)
     */
    public static Config listening(InetSocketAddress listen) {
      return new Config(Objects.requireNonNull(listen, "listen"), null, 8 << 20, Duration.ofSeconds(5),
          Duration.ofSeconds(15));
    }

    /**
     * @param peer the backup's address
     * @return a primary-side config (8 MiB in flight, 5 s connect, 15 s peer timeout)
     */
    public static Config connecting(InetSocketAddress peer) {
      return new Config(null, Objects.requireNonNull(peer, "peer"), 8 << 20, Duration.ofSeconds(5),
          Duration.ofSeconds(15));
    }

    /** @param bytes the in-flight limit @return a copy with it */
    public Config withMaxInflightBytes(int bytes) {
      return new Config(listen, peer, bytes, connectTimeout, peerTimeout);
    }

    /** @param timeout the silence limit @return a copy with it */
    public Config withPeerTimeout(Duration timeout) {
      return new Config(listen, peer, maxInflightBytes, connectTimeout, timeout);
    }
  }

  /** @param config the settings */
  public TcpTransport(Config config) {
    this.config = Objects.requireNonNull(config, "config");
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
      } catch (IOException e) {
        endpoints.remove(service);
        throw new ReplicationException("cannot listen on " + listen + ": " + e.getMessage(), e);
      }
      Thread t = new Thread(this::acceptLoop, "drkit-repl-accept-" + listen.getPort());
      t.setDaemon(true);
      acceptor = t;
      t.start();
    }
    return () -> endpoints.remove(service, endpoint);
  }

  private void acceptLoop() {
    ServerSocketChannel s = server;
    while (!closed && s != null && s.isOpen()) {
      try {
        SocketChannel ch = s.accept();
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        connections.add(ch);
        Thread t = new Thread(() -> serveConnection(ch), "drkit-repl-conn-" + ch.getRemoteAddress());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("replication listener {} failed to accept: {}", config.listen(), e.toString());
        }
      }
    }
  }

  private void watch(SocketChannel ch, long[] lastHeard) {
    long periodMs = Math.max(1, config.peerTimeout().toMillis() / 2);
    CompletableFuture.delayedExecutor(periodMs, TimeUnit.MILLISECONDS).execute(() -> {
      if (!ch.isOpen()) {
        return;
      }
      if (System.nanoTime() - lastHeard[0] > config.peerTimeout().toNanos()) {
        LOG.warn("replication peer silent for more than {}; closing the connection", config.peerTimeout());
        closeQuietly(ch);
      } else {
        watch(ch, lastHeard);
      }
    });
  }

  private void serveConnection(SocketChannel ch) {
    SocketAddress peer = null;
    long[] lastHeard = {System.nanoTime()};
    watch(ch, lastHeard);
    try {
      peer = ch.getRemoteAddress();
      Wire.Reader in = new Wire.Reader(ch);
      ByteBuffer hello = in.next();
      if (hello.get() != Wire.HELLO) {
        refuse(ch, Wire.E_PROTOCOL, 0, "expected HELLO as the first message");
        return;
      }
      int magic = hello.getInt();
      short version = hello.getShort();
      if (magic != Wire.MAGIC) {
        refuse(ch, Wire.E_PROTOCOL, 0, "bad magic 0x" + Integer.toHexString(magic) + " in HELLO");
        return;
      }
      if (version != Wire.VERSION) {
        refuse(ch, Wire.E_VERSION, 0, "unsupported replication protocol version " + version
            + "; this backup speaks version " + Wire.VERSION);
        return;
      }
      long epoch = hello.getLong();
      String service = Wire.string(hello);
      ReplicationEndpoint ep = endpoints.get(service);
      if (ep == null) {
        refuse(ch, Wire.E_UNKNOWN_SERVICE, 0, "no replica serves service " + service + " here");
        return;
      }
      ReplicationHandshake h;
      try {
        h = ep.handshake(service, epoch);
      } catch (RuntimeException e) {
        refuseFor(ch, e);
        return;
      }
      ByteBuffer w = ByteBuffer.allocate(2 + 8 + 8 + 8);
      w.putShort(Wire.VERSION).putLong(h.epoch()).putLong(h.nextOffset()).putLong(h.lastRecordEpoch()).flip();
      Wire.writeFully(ch, Wire.message(Wire.WELCOME, w));
      while (!closed) {
        ByteBuffer m = in.next();
        lastHeard[0] = System.nanoTime();
        boolean needAck = false;
        do {
          byte type = m.get();
          if (type == Wire.BATCH) {
            long bEpoch = m.getLong();
            long first = m.getLong();
            int count = m.getInt();
            ep.receive(new ReplicationBatch(service, bEpoch, first, count, m.slice()));
            needAck = true;
          } else if (type == Wire.HEARTBEAT) {
            ep.heartbeat(m.getLong(), m.getLong(), m.getLong());
            needAck = true;
          } else if (type == Wire.REWIND) {
            PrimaryHistory ph = Wire.readHistory(m);
            ReplicationHandshake rh;
            try {
              rh = ep.rewind(service, ph);
            } catch (UnsupportedOperationException e) {
              refuse(ch, Wire.E_REFUSED, 0, String.valueOf(e.getMessage()));
              return;
            }
            ByteBuffer rw = ByteBuffer.allocate(2 + 8 + 8 + 8);
            rw.putShort(Wire.VERSION).putLong(rh.epoch()).putLong(rh.nextOffset()).putLong(rh.lastRecordEpoch()).flip();
            Wire.writeFully(ch, Wire.message(Wire.WELCOME, rw));
          } else {
            refuse(ch, Wire.E_PROTOCOL, 0, "unexpected message type " + type);
            return;
          }
          m = in.nextBuffered();
        } while (m != null);
        if (needAck) {
          ReplicationAck a = ep.acknowledge();
          ByteBuffer b = ByteBuffer.allocate(32);
          b.putLong(a.epoch()).putLong(a.receivedOffset()).putLong(a.durableOffset()).putLong(a.appliedOffset()).flip();
          Wire.writeFully(ch, Wire.message(Wire.ACK, b));
        }
      }
    } catch (EOFException e) {
      LOG.debug("replication peer {} closed the connection", peer);
    } catch (IOException e) {
      LOG.debug("replication connection from {} failed: {}", peer, e.toString());
    } catch (RuntimeException e) {
      LOG.warn("replication from {} refused: {}", peer, e.getMessage());
      refuseFor(ch, e);
    } finally {
      closeQuietly(ch);
      connections.remove(ch);
    }
  }

  private void refuseFor(SocketChannel ch, RuntimeException e) {
    if (e instanceof StaleEpochException se) {
      refuse(ch, Wire.E_STALE_EPOCH, se.currentEpoch(), e.getMessage());
    } else if (e instanceof IntegrityException) {
      refuse(ch, Wire.E_INTEGRITY, 0, e.getMessage());
    } else if (e instanceof ProtocolException) {
      refuse(ch, Wire.E_PROTOCOL, 0, e.getMessage());
    } else if (e instanceof IllegalArgumentException) {
      refuse(ch, Wire.E_UNKNOWN_SERVICE, 0, e.getMessage());
    } else {
      refuse(ch, Wire.E_REFUSED, 0, String.valueOf(e.getMessage()));
    }
  }

  private static void refuse(SocketChannel ch, short code, long epoch, String text) {
    try {
      Wire.writeFully(ch, Wire.error(code, epoch, text));
    } catch (IOException e) {
      LOG.debug("could not send replication error {}: {}", code, e.toString());
    } finally {
      closeQuietly(ch);
    }
  }

  private static void closeQuietly(SocketChannel ch) {
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
   * @param service the service
   * @param epoch the epoch
   * @param listener the listener
   * @param version the version to announce
   * @return the session
   */
  ReplicationSession connect(String service, long epoch, ReplicationSession.Listener listener, short version) {
    Objects.requireNonNull(listener, "listener");
    InetSocketAddress peer = config.peer();
    if (peer == null) {
      throw new IllegalStateException("this TcpTransport has no peer address");
    }
    SocketChannel ch;
    try {
      ch = SocketChannel.open();
      ch.socket().connect(peer, (int) config.connectTimeout().toMillis());
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    } catch (IOException e) {
      throw new ReplicationException("cannot connect to the backup of " + service + " at " + peer + ": " + e, e);
    }
    java.util.concurrent.atomic.AtomicBoolean handshakeDone = new java.util.concurrent.atomic.AtomicBoolean();
    CompletableFuture.delayedExecutor(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (!handshakeDone.get()) {
        closeQuietly(ch); // unblocks the handshake read below
      }
    });
    try {
      Wire.writeFully(ch, Wire.hello(service, epoch, version));
      Wire.Reader in = new Wire.Reader(ch);
      ByteBuffer m = in.next();
      byte type = m.get();
      if (type == Wire.ERROR) {
        throw errorFrom(m, service, epoch, peer);
      }
      if (type != Wire.WELCOME) {
        throw new ProtocolException("backup of " + service + " at " + peer + " answered HELLO with message type " + type);
      }
      short v = m.getShort();
      if (v != Wire.VERSION) {
        throw new ProtocolException("backup of " + service + " at " + peer + " speaks replication protocol version " + v
            + "; this primary speaks version " + Wire.VERSION);
      }
      ReplicationHandshake h = new ReplicationHandshake(m.getLong(), m.getLong(), m.getLong());
      if (!handshakeDone.compareAndSet(false, true) || !ch.isOpen()) {
        throw new IOException("handshake timed out after " + config.connectTimeout());
      }
      Session s = new Session(service, epoch, peer, ch, in, listener, h);
      s.start();
      return s;
    } catch (IOException e) {
      handshakeDone.set(true);
      closeQuietly(ch);
      throw new ReplicationException("handshake with the backup of " + service + " at " + peer + " failed"
          + " (timeout " + config.connectTimeout() + "): " + e, e);
    } catch (RuntimeException e) {
      handshakeDone.set(true);
      closeQuietly(ch);
      throw e;
    }
  }

  private static RuntimeException errorFrom(ByteBuffer m, String service, long epoch, SocketAddress peer) {
    short code = m.getShort();
    long current = m.getLong();
    String text = Wire.string(m);
    String prefix = "backup of " + service + " at " + peer + ": ";
    switch (code) {
      case Wire.E_STALE_EPOCH:
        return new StaleEpochException("replica of " + service + " at " + peer, epoch, current);
      case Wire.E_VERSION:
      case Wire.E_PROTOCOL:
        return new ProtocolException(prefix + text);
      case Wire.E_INTEGRITY:
        return new IntegrityException(prefix + text);
      default:
        return new ReplicationException(prefix + text + " (error " + code + ")");
    }
  }

  private final class Session implements ReplicationSession {
    private final String service;
    private final long epoch;
    private final SocketAddress peer;
    private final SocketChannel ch;
    private final Wire.Reader in;
    private final Listener listener;
    private final ReplicationHandshake handshake;
    private final Object lock = new Object();
    private final ArrayDeque<long[]> inflight = new ArrayDeque<>(); // {lastOffset, bytes}
    private long inflightBytes;
    private volatile long lastHeard = System.nanoTime();
    private volatile boolean open = true;
    private volatile @Nullable CompletableFuture<ReplicationHandshake> rewound;

    Session(String service, long epoch, SocketAddress peer, SocketChannel ch, Wire.Reader in, Listener listener,
        ReplicationHandshake h) {
      this.service = service;
      this.epoch = epoch;
      this.peer = peer;
      this.ch = ch;
      this.in = in;
      this.listener = listener;
      this.handshake = h;
    }

    void start() {
      connections.add(ch);
      Thread t = new Thread(this::readLoop, "drkit-repl-acks-" + service);
      t.setDaemon(true);
      t.start();
    }

    @Override
    public ReplicationHandshake handshake() {
      return handshake;
    }

    @Override
    public void send(ReplicationBatch batch) throws InterruptedException {
      int bytes = batch.frames().remaining();
      synchronized (lock) {
        while (open && inflightBytes > 0 && inflightBytes + bytes > config.maxInflightBytes()) {
          lock.wait(100);
          checkSilence();
        }
        if (!open) {
          throw new ReplicationException("session to the backup of " + service + " at " + peer + " is closed");
        }
        inflight.addLast(new long[] {batch.lastOffset(), bytes});
        inflightBytes += bytes;
      }
      ByteBuffer h = Wire.header(Wire.BATCH, 20 + bytes);
      ByteBuffer meta = ByteBuffer.allocate(20);
      meta.putLong(batch.epoch()).putLong(batch.firstOffset()).putInt(batch.count()).flip();
      write(h, meta, batch.frames().duplicate());
    }

    @Override
    public ReplicationHandshake rewind(PrimaryHistory primary) {
      CompletableFuture<ReplicationHandshake> f = new CompletableFuture<>();
      rewound = f;
      if (!open) {
        throw new ReplicationException("session to the backup of " + service + " at " + peer + " is closed");
      }
      write(Wire.message(Wire.REWIND, Wire.history(primary)));
      try {
        return f.get(config.peerTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(null);
        throw new ReplicationException("interrupted while the backup of " + service + " at " + peer + " rewound", e);
      } catch (java.util.concurrent.TimeoutException e) {
        fail(null);
        throw new ReplicationException("backup of " + service + " at " + peer + " did not answer REWIND within "
            + config.peerTimeout(), e);
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable c = e.getCause();
        throw c instanceof RuntimeException re ? re : new ReplicationException("REWIND failed: " + c, c);
      } finally {
        rewound = null;
      }
    }

    @Override
    public void heartbeat(long primaryNextOffset, long primaryTimeMillis) {
      checkSilence();
      if (!open) {
        return;
      }
      ByteBuffer b = ByteBuffer.allocate(24);
      b.putLong(epoch).putLong(primaryNextOffset).putLong(primaryTimeMillis).flip();
      try {
        write(Wire.message(Wire.HEARTBEAT, b));
      } catch (ReplicationException e) {
        LOG.debug("heartbeat to {} failed: {}", peer, e.getMessage());
      }
    }

    private void checkSilence() {
      long silent = System.nanoTime() - lastHeard;
      if (open && silent > config.peerTimeout().toNanos()) {
        fail(new ReplicationException("backup of " + service + " at " + peer + " silent for "
            + TimeUnit.NANOSECONDS.toMillis(silent) + " ms; connection closed"));
      }
    }

    private void write(ByteBuffer... bufs) {
      synchronized (ch) {
        try {
          Wire.writeFully(ch, bufs);
        } catch (IOException e) {
          ReplicationException re = new ReplicationException("write to the backup of " + service + " at " + peer
              + " failed: " + e, e);
          fail(re);
          throw re;
        }
      }
    }

    private void readLoop() {
      try {
        while (open) {
          ByteBuffer m = in.next();
          lastHeard = System.nanoTime();
          byte type = m.get();
          if (type == Wire.ACK) {
            ReplicationAck a = new ReplicationAck(m.getLong(), m.getLong(), m.getLong(), m.getLong());
            synchronized (lock) {
              while (!inflight.isEmpty() && inflight.peekFirst()[0] <= a.receivedOffset()) {
                inflightBytes -= inflight.removeFirst()[1];
              }
              lock.notifyAll();
            }
            listener.onAck(a);
          } else if (type == Wire.WELCOME && rewound != null) {
            short v = m.getShort();
            ReplicationHandshake h = new ReplicationHandshake(m.getLong(), m.getLong(), m.getLong());
            CompletableFuture<ReplicationHandshake> f = rewound;
            if (f != null && v == Wire.VERSION) {
              f.complete(h);
            }
          } else if (type == Wire.ERROR) {
            RuntimeException err = errorFrom(m, service, epoch, peer);
            CompletableFuture<ReplicationHandshake> f = rewound;
            if (f != null) {
              f.completeExceptionally(err);
            }
            fail(err);
            return;
          } else {
            fail(new ProtocolException("backup of " + service + " at " + peer + " sent unexpected message type " + type));
            return;
          }
        }
      } catch (IOException e) {
        fail(open ? new ReplicationException("connection to the backup of " + service + " at " + peer + " lost: " + e, e)
            : null);
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    private void fail(@Nullable Throwable cause) {
      synchronized (lock) {
        if (!open) {
          return;
        }
        open = false;
        lock.notifyAll();
      }
      CompletableFuture<ReplicationHandshake> f = rewound;
      if (f != null) {
        f.completeExceptionally(cause != null ? cause : new ReplicationException("session to the backup of " + service
            + " at " + peer + " closed"));
      }
      closeQuietly(ch);
      connections.remove(ch);
      listener.onClosed(cause);
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      fail(null);
    }
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
    closed = true;
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
  }
}
