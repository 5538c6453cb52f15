package dev.drkit.replication;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Link;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.spi.PrimaryHistory;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationHandshake;
import dev.drkit.replication.spi.ReplicationSession;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TcpTransport}'s primary side: the handshake (HELLO, CHALLENGE, AUTH, then the backup's
 * sealed WELCOME, which proves the backup holds the key too) and the open session, which seals
 * every message it sends and opens every message it receives with a {@link FrameCodec}. An answer
 * that does not verify never fences this primary.
 */
final class TcpPrimarySession implements ReplicationSession {
  private static final Logger LOG = LoggerFactory.getLogger(TcpPrimarySession.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private final TcpTransport.Config config;
  private final Set<SocketChannel> connections;
  private final String service;
  private final long epoch;
  private final SocketAddress peer;
  private final SocketChannel ch;
  private final Link link;
  private final Wire.Reader in;
  private final FrameCodec codec;
  private final Listener listener;
  private final ReplicationHandshake handshake;
  private final String who;
  private final Object lock = new Object();
  private final ArrayDeque<long[]> inflight = new ArrayDeque<>(); // {lastOffset, bytes}
  private long inflightBytes;
  private volatile long lastHeard = System.nanoTime();
  private volatile boolean open = true;
  private volatile @Nullable CompletableFuture<ReplicationHandshake> rewound;

  private TcpPrimarySession(TcpTransport.Config config, Set<SocketChannel> connections, String service, long epoch,
      SocketAddress peer, SocketChannel ch, Link link, Wire.Reader in, FrameCodec codec, Listener listener,
      ReplicationHandshake h) {
    this.config = config;
    this.connections = connections;
    this.service = service;
    this.epoch = epoch;
    this.peer = peer;
    this.ch = ch;
    this.link = link;
    this.in = in;
    this.codec = codec;
    this.listener = listener;
    this.handshake = h;
    this.who = "backup of " + service + " at " + peer;
  }

  void start() {
    connections.add(ch);
    Thread t = DrkitThreads.create(this::readLoop, "drkit-repl-acks-" + service, true);
    t.start();
  }

  @Override
  public ReplicationHandshake handshake() {
    return handshake;
  }

  @Override
  public void send(ReplicationBatch batch) throws InterruptedException {
    int bytes = batch.frames().remaining();
    long size = (long) codec.overhead() + 20 + bytes;
    if (size > config.maxMessageBytes()) {
      throw new ReplicationException("batch of " + service + " at offset " + batch.firstOffset() + " is " + size
          + " bytes sealed, over tcp.maxMessageBytes " + config.maxMessageBytes() + "; raise it on both sides");
    }
    synchronized (lock) {
      while (open && inflightBytes > 0 && inflightBytes + bytes > config.maxInflightBytes()) {
        lock.wait(100);
        checkSilence();
      }
      if (!open) {
        throw new ReplicationException("session to the " + who + " is closed");
      }
      inflight.addLast(new long[] {batch.lastOffset(), bytes});
      inflightBytes += bytes;
    }
    ByteBuffer meta = ByteBuffer.allocate(20);
    meta.putLong(batch.epoch()).putLong(batch.firstOffset()).putInt(batch.count()).flip();
    write(Wire.BATCH, meta, batch.frames());
  }

  @Override
  public ReplicationHandshake rewind(PrimaryHistory primary) {
    CompletableFuture<ReplicationHandshake> f = new CompletableFuture<>();
    rewound = f;
    if (!open) {
      throw new ReplicationException("session to the " + who + " is closed");
    }
    write(Wire.REWIND, Wire.history(primary));
    try {
      return f.get(config.peerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(null);
      throw new ReplicationException("interrupted while the " + who + " rewound", e);
    } catch (java.util.concurrent.TimeoutException e) {
      fail(null);
      throw new ReplicationException(who + " did not answer REWIND within " + config.peerTimeout(), e);
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
      write(Wire.HEARTBEAT, b);
    } catch (ReplicationException e) {
      LOG.debug("heartbeat to {} failed: {}", peer, e.getMessage());
    }
  }

  private void checkSilence() {
    long silent = System.nanoTime() - lastHeard;
    if (open && silent > config.peerTimeout().toNanos()) {
      fail(new ReplicationException(who + " silent for " + TimeUnit.NANOSECONDS.toMillis(silent)
          + " ms; connection closed"));
    }
  }

  private void write(byte type, ByteBuffer... body) {
    synchronized (ch) {
      try {
        link.write(codec.seal(type, body));
      } catch (IOException e) {
        ReplicationException re = new ReplicationException("write to the " + who + " failed: " + e, e);
        fail(re);
        throw re;
      }
    }
  }

  private void readLoop() {
    try {
      while (open) {
        ByteBuffer m = in.next();
        byte type = m.get(m.position());
        ByteBuffer body = codec.open(m);
        lastHeard = System.nanoTime();
        if (type == Wire.ACK) {
          Wire.Body b = new Wire.Body("ACK", body);
          ReplicationAck a = new ReplicationAck(b.u64("epoch"), b.offsetOrNone("receivedOffset"),
              b.offsetOrNone("durableOffset"), b.offsetOrNone("appliedOffset"));
          synchronized (lock) {
            while (!inflight.isEmpty() && inflight.peekFirst()[0] <= a.receivedOffset()) {
              inflightBytes -= inflight.removeFirst()[1];
            }
            lock.notifyAll();
          }
          listener.onAck(a);
        } else if (type == Wire.WELCOME && rewound != null) {
          Wire.Body b = new Wire.Body("WELCOME", body);
          short v = b.u16("version");
          ReplicationHandshake h = new ReplicationHandshake(b.nonNegative("epoch"), b.nonNegative("nextOffset"),
              b.offsetOrNone("lastRecordEpoch"));
          CompletableFuture<ReplicationHandshake> f = rewound;
          if (f != null && v == Wire.VERSION) {
            f.complete(h);
          }
        } else if (type == Wire.ERROR) {
          RuntimeException err = errorFrom(body, who, epoch, true);
          CompletableFuture<ReplicationHandshake> f = rewound;
          if (f != null) {
            f.completeExceptionally(err);
          }
          fail(err);
          return;
        } else {
          fail(new ProtocolException(who + " sent unexpected message type " + Wire.typeName(type), Wire.E_PROTOCOL));
          return;
        }
      }
    } catch (IOException e) {
      fail(open ? new ReplicationException("connection to the " + who + " lost: " + e, e) : null);
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
      f.completeExceptionally(cause != null ? cause : new ReplicationException("session to the " + who + " closed"));
    }
    TcpTransport.closeQuietly(ch);
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

  /**
   * Connects and performs the handshake.
   *
   * @return the open session
   * @throws dev.drkit.core.StaleEpochException if the authenticated backup has seen a newer epoch
   * @throws PeerAuthenticationException if either side fails to authenticate the other
   * @throws ReplicationException if the backup cannot be reached or refuses
   */
  @SuppressWarnings("FutureReturnValueIgnored") // the handshake timer handles its own outcome
  static TcpPrimarySession open(TcpTransport.Config config, @Nullable ReplicationKeys keys, @Nullable SSLContext tls,
      ScheduledExecutorService timers, Set<SocketChannel> connections, String service, long epoch,
      ReplicationSession.Listener listener, short version) {
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
    AtomicBoolean handshakeDone = new AtomicBoolean();
    timers.schedule(() -> {
      if (!handshakeDone.get()) {
        TcpTransport.closeQuietly(ch); // unblocks the handshake read below
      }
    }, config.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
    String who = "backup of " + service + " at " + peer;
    try {
      ReplicationKeys ks = keys;
      Link link = tls == null ? Link.plain(ch) : Link.tls(ch, tls, true);
      byte[] nonce = new byte[ks == null ? 0 : Wire.NONCE];
      RANDOM.nextBytes(nonce);
      byte auth = tls != null ? Wire.AUTH_TLS : ks == null ? Wire.AUTH_NONE : Wire.AUTH_PSK;
      ByteBuffer hello = Wire.plain(Wire.HELLO, Wire.helloBody(service, epoch, version, auth,
          ks == null ? "" : ks.activeId(), nonce));
      byte[] helloBytes = Wire.toArray(hello);
      link.write(hello);
      Wire.Reader in = new Wire.Reader(link.in(), Wire.MAX_PREAUTH_MESSAGE);
      FrameCodec codec;
      if (ks == null) {
        codec = FrameCodec.insecure();
      } else {
        ByteBuffer m = in.next();
        byte type = m.get(m.position());
        if (type == Wire.REJECT) {
          m.get();
          throw errorFrom(m, who, epoch, false);
        }
        if (type != Wire.CHALLENGE) {
          throw new ProtocolException(who + " answered HELLO with " + Wire.typeName(type), Wire.E_PROTOCOL);
        }
        byte[] challengeBytes = TcpBackupConnection.withLength(m);
        m.get();
        Wire.Body b = new Wire.Body("CHALLENGE", m);
        byte[] backupNonce = b.bytes(Wire.NONCE, "nonce");
        b.end();
        byte[] secret = Objects.requireNonNull(ks.secret(ks.activeId()), "active key");
        codec = FrameCodec.keyed(secret, ks.activeId(), nonce, backupNonce, true);
        Arrays.fill(secret, (byte) 0);
        link.write(codec.seal(Wire.AUTH,
            ByteBuffer.wrap(TcpBackupConnection.transcript(helloBytes, challengeBytes))));
      }
      ByteBuffer m = in.next();
      byte type = m.get(m.position());
      if (type == Wire.REJECT) {
        m.get();
        throw errorFrom(m, who, epoch, false);
      }
      in.limit(config.maxMessageBytes());
      ByteBuffer body;
      try {
        body = codec.open(m);
      } catch (PeerAuthenticationException e) {
        throw new PeerAuthenticationException(who + " failed to prove replication key '"
            + (ks == null ? "" : ks.activeId()) + "' in its " + Wire.typeName(type) + ": " + e.getMessage(), e.code());
      }
      if (type == Wire.ERROR) {
        throw errorFrom(body, who, epoch, true);
      }
      if (type != Wire.WELCOME) {
        throw new ProtocolException(who + " answered the handshake with " + Wire.typeName(type), Wire.E_PROTOCOL);
      }
      Wire.Body w = new Wire.Body("WELCOME", body);
      short v = w.u16("version");
      if (v != Wire.VERSION) {
        throw new ProtocolException(who + " speaks replication protocol version " + v
            + "; this primary speaks version " + Wire.VERSION, Wire.E_VERSION);
      }
      ReplicationHandshake h = new ReplicationHandshake(w.nonNegative("epoch"), w.nonNegative("nextOffset"),
          w.offsetOrNone("lastRecordEpoch"));
      if (!handshakeDone.compareAndSet(false, true) || !ch.isOpen()) {
        throw new IOException("handshake timed out after " + config.connectTimeout());
      }
      TcpPrimarySession s = new TcpPrimarySession(config, connections, service, epoch, peer, ch, link, in, codec,
          listener, h);
      s.start();
      return s;
    } catch (IOException e) {
      handshakeDone.set(true);
      TcpTransport.closeQuietly(ch);
      throw new ReplicationException("handshake with the " + who + " failed (timeout " + config.connectTimeout()
          + "): " + e, e);
    } catch (RuntimeException e) {
      handshakeDone.set(true);
      TcpTransport.closeQuietly(ch);
      throw e;
    }
  }


  /**
   * @param body an ERROR or REJECT body
   * @param who the peer, for messages
   * @param epoch this side's epoch
   * @param authenticated whether it came sealed by the authenticated peer; an unauthenticated
   *     refusal never fences this primary
   */
  private static RuntimeException errorFrom(ByteBuffer body, String who, long epoch, boolean authenticated) {
    Wire.Body b = new Wire.Body(authenticated ? "ERROR" : "REJECT", body);
    short code = b.u16("code");
    long current = b.u64("currentEpoch");
    String text = b.string("text");
    String prefix = who + ": ";
    switch (code) {
      case Wire.E_STALE_EPOCH:
        if (authenticated) {
          return new StaleEpochException("replica of " + who, epoch, current);
        }
        return new ProtocolException(prefix + "unauthenticated stale-epoch refusal ignored for fencing: " + text, code);
      case Wire.E_INTEGRITY:
        return authenticated ? new IntegrityException(prefix + text) : new ReplicationException(prefix + text);
      case Wire.E_UNAUTHENTICATED:
      case Wire.E_BAD_MAC:
      case Wire.E_SEQUENCE:
        return new PeerAuthenticationException(prefix + text, code);
      case Wire.E_VERSION:
      case Wire.E_PROTOCOL:
      case Wire.E_TOO_LARGE:
        return new ProtocolException(prefix + text, code);
      default:
        return new ReplicationException(prefix + text + " (error " + code + ")");
    }
  }
}
