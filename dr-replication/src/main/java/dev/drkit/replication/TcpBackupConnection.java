package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Link;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.spi.PrimaryHistory;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationEndpoint;
import dev.drkit.replication.spi.ReplicationHandshake;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection on a {@link TcpTransport}'s backup side: the handshake (authentication
 * first, then the endpoint's fencing check), then the session's messages, each opened by a
 * {@link FrameCodec} before anything in it is read. Nothing a peer sends reaches the
 * {@link ReplicationEndpoint} (in particular no epoch is applied) before the peer proved its key.
 * A refusal (an answered error, a TLS failure, the handshake deadline) is reported once to the
 * transport's {@link Refusals}, which logs and publishes it within its limits (nothing here logs a
 * refusal above DEBUG, so a flood cannot flood the log); a peer that closes, a reset and a silent
 * session closed after {@code peerTimeout} are not refusals.
 */
final class TcpBackupConnection implements Runnable {
  /** Where a connection reports that it refused its peer. */
  @FunctionalInterface
  interface Refusals {
    /**
     * @param refusal the refused peer and why
     * @param code the wire error code it was answered with, {@code 0} if none
     */
    void refused(PeerRefusal refusal, int code);
  }

  private static final Logger LOG = LoggerFactory.getLogger(TcpBackupConnection.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int DRAIN_LIMIT = 64 << 10;
  private final TcpTransport.Config config;
  private final @Nullable ReplicationKeys keys;
  private final @Nullable SSLContext tls;
  private final Function<String, @Nullable ReplicationEndpoint> endpoints;
  private final SocketChannel ch;
  private final InetSocketAddress peer;
  private final Refusals refusals;
  private final AtomicBoolean reported = new AtomicBoolean();
  private final Runnable onExit;
  private final ReentrantLock writeLock = new ReentrantLock();
  private volatile boolean established;
  private volatile boolean stopping;
  private volatile long lastHeard = System.nanoTime();
  private @Nullable FrameCodec codec;
  private volatile @Nullable String service;
  private volatile @Nullable Link link;

  TcpBackupConnection(TcpTransport.Config config, @Nullable ReplicationKeys keys, @Nullable SSLContext tls,
      Function<String, @Nullable ReplicationEndpoint> endpoints, SocketChannel ch, InetSocketAddress peer,
      Refusals refusals, Runnable onExit) {
    this.config = config;
    this.keys = keys;
    this.tls = tls;
    this.endpoints = endpoints;
    this.ch = ch;
    this.peer = peer;
    this.refusals = refusals;
    this.onExit = onExit;
  }

  /** @return whether the peer completed the handshake */
  boolean established() {
    return established;
  }

  /** Called by the transport's timer at the handshake deadline: drops a peer that has not finished it. */
  void handshakeDeadline() {
    if (!established && stopping) {
      TcpTransport.closeQuietly(ch); // refused already, still draining: done
    } else if (!established && ch.isOpen()) {
      String text = "no complete handshake within " + config.handshakeTimeout();
      abort(Wire.E_HANDSHAKE_TIMEOUT, text);
      report(PeerRefusal.Reason.TIMEOUT, text, Wire.E_HANDSHAKE_TIMEOUT, 0);
    }
  }

  /**
   * Called by the transport's timer: closes an established session that stayed silent past the peer timeout.
   *
   * @return whether the connection is still open (and should be checked again)
   */
  boolean checkSilence() {
    if (!ch.isOpen()) {
      return false;
    }
    if (established && System.nanoTime() - lastHeard > config.peerTimeout().toNanos()) {
      LOG.warn("replication peer {} silent for more than {}; closing the connection", peer, config.peerTimeout());
      stopping = true;
      TcpTransport.closeQuietly(ch);
      return false;
    }
    return true;
  }

  /** Sends a plain REJECT if the connection is not busy writing, then closes it. */
  private void abort(short code, String text) {
    stopping = true;
    Link l = link;
    if (l != null && writeLock.tryLock()) {
      try {
        l.write(Wire.plain(Wire.REJECT, Wire.errorBody(code, 0, text)));
      } catch (IOException e) {
        LOG.debug("could not send REJECT {} to {}: {}", code, peer, e.toString());
      } finally {
        writeLock.unlock();
      }
    }
    TcpTransport.closeQuietly(ch);
  }

  @Override
  public void run() {
    try {
      serve();
    } catch (EOFException e) {
      LOG.debug("replication peer {} closed the connection", peer);
    } catch (SSLException e) {
      if (!stopping) {
        report(PeerRefusal.Reason.TLS_FAILED, "TLS failed: " + e.getMessage(), 0, 0);
      }
    } catch (IOException e) {
      LOG.debug("replication connection from {} failed: {}", peer, e.toString());
    } catch (RuntimeException e) {
      if (!stopping) {
        refuse(e);
      }
    } finally {
      TcpTransport.closeQuietly(ch);
      onExit.run();
    }
  }

  private void serve() throws IOException {
    SSLContext context = tls;
    Link l = context == null ? Link.plain(ch) : Link.tls(ch, context, false);
    link = l;
    Wire.Reader in = new Wire.Reader(l.in(), Wire.MAX_PREAUTH_MESSAGE);
    ByteBuffer helloMsg = in.next();
    byte[] helloBytes = withLength(helloMsg);
    byte type = helloMsg.get();
    if (type != Wire.HELLO) {
      throw new ProtocolException("expected HELLO as the first message, got " + Wire.typeName(type), Wire.E_PROTOCOL);
    }
    Wire.Body hello = new Wire.Body("HELLO", helloMsg);
    int magic = hello.i32("magic");
    if (magic != Wire.MAGIC) {
      throw new ProtocolException("bad magic 0x" + Integer.toHexString(magic) + " in HELLO", Wire.E_PROTOCOL);
    }
    short version = hello.u16("version");
    if (version != Wire.VERSION) {
      throw new ProtocolException("unsupported replication protocol version " + version
          + "; this backup speaks version " + Wire.VERSION, Wire.E_VERSION);
    }
    byte auth = hello.u8("auth");
    long epoch = hello.nonNegative("epoch");
    String service = hello.string("service");
    this.service = service;
    String keyId = hello.string("keyId");
    if (auth == Wire.AUTH_PSK) {
      byte[] primaryNonce = hello.bytes(Wire.NONCE, "nonce");
      hello.end();
      if (tls != null) {
        throw new PeerAuthenticationException("this backup authenticates primaries by mutual TLS, not by a"
            + " replication key", Wire.E_UNAUTHENTICATED);
      }
      codec = authenticate(in, helloBytes, keyId, primaryNonce);
    } else if (auth == Wire.AUTH_TLS) {
      hello.end();
      if (tls == null) {
        throw new PeerAuthenticationException("this backup does not speak TLS; HELLO for " + service
            + " claims a TLS session", Wire.E_UNAUTHENTICATED);
      }
      codec = FrameCodec.insecure(); // TLS 1.3 protects integrity, order and replay
    } else if (auth == Wire.AUTH_NONE) {
      hello.end();
      if (keys != null || tls != null) {
        throw new PeerAuthenticationException("authentication required: this backup accepts only primaries that"
            + " prove a replication key; HELLO for " + service + " at epoch " + epoch + " carries none",
            Wire.E_UNAUTHENTICATED);
      }
      codec = FrameCodec.insecure();
    } else {
      throw hello.malformed("field auth is " + auth + "; must be 0 (none), 1 (pre-shared key) or 2 (TLS)");
    }
    established = true;
    in.limit(config.maxMessageBytes());
    LOG.debug("replication peer {} established a session for {} at epoch {}{}", peer,
        PeerRefusalReporter.printable(service), epoch, tls != null ? " as " + l.peerIdentity()
            : keys == null ? " (insecure)" : " with key '" + PeerRefusalReporter.printable(keyId) + "'");
    ReplicationEndpoint ep = endpoints.apply(service);
    if (ep == null) {
      throw new ProtocolException("no replica serves service " + service + " here", Wire.E_UNKNOWN_SERVICE);
    }
    send(Wire.WELCOME, welcome(ep.handshake(service, epoch)));
    while (true) {
      ByteBuffer m = in.next();
      lastHeard = System.nanoTime();
      boolean needAck = false;
      do {
        byte t = m.get(m.position());
        ByteBuffer body = sealed().open(m);
        if (t == Wire.BATCH) {
          ep.receive(batch(service, body));
          needAck = true;
        } else if (t == Wire.HEARTBEAT) {
          Wire.Body b = new Wire.Body("HEARTBEAT", body);
          ep.heartbeat(b.nonNegative("epoch"), b.nonNegative("primaryNextOffset"), b.u64("primaryTimeMillis"));
          needAck = true;
        } else if (t == Wire.REWIND) {
          PrimaryHistory ph = Wire.readHistory(body);
          ReplicationHandshake rh;
          try {
            rh = ep.rewind(service, ph);
          } catch (UnsupportedOperationException e) {
            throw new ProtocolException(String.valueOf(e.getMessage()), Wire.E_REFUSED);
          }
          send(Wire.WELCOME, welcome(rh));
        } else {
          throw new ProtocolException("unexpected message type " + Wire.typeName(t) + " in an established session",
              Wire.E_PROTOCOL);
        }
        m = in.nextBuffered();
      } while (m != null);
      if (needAck) {
        ReplicationAck a = ep.acknowledge();
        ByteBuffer b = ByteBuffer.allocate(32);
        b.putLong(a.epoch()).putLong(a.receivedOffset()).putLong(a.durableOffset()).putLong(a.appliedOffset()).flip();
        send(Wire.ACK, b);
      }
    }
  }

  /** CHALLENGE, then the primary's AUTH: its MAC proves the key, its body the transcript. */
  private FrameCodec authenticate(Wire.Reader in, byte[] helloBytes, String keyId, byte[] primaryNonce)
      throws IOException {
    ReplicationKeys ks = keys;
    if (ks == null) {
      throw new PeerAuthenticationException("this backup is configured insecure() and holds no replication key to"
          + " verify key '" + keyId + "' with", Wire.E_UNAUTHENTICATED);
    }
    byte[] secret = ks.secret(keyId);
    if (secret == null) {
      throw new PeerAuthenticationException("unknown replication key id '" + keyId + "'", Wire.E_UNAUTHENTICATED);
    }
    byte[] backupNonce = new byte[Wire.NONCE];
    RANDOM.nextBytes(backupNonce);
    ByteBuffer challenge = Wire.plain(Wire.CHALLENGE, ByteBuffer.wrap(backupNonce));
    byte[] challengeBytes = new byte[challenge.remaining()];
    challenge.duplicate().get(challengeBytes);
    write(challenge);
    FrameCodec c = FrameCodec.keyed(secret, keyId, primaryNonce, backupNonce, false);
    java.util.Arrays.fill(secret, (byte) 0);
    ByteBuffer authMsg = in.next();
    byte type = authMsg.get(authMsg.position());
    if (type != Wire.AUTH) {
      throw new PeerAuthenticationException("expected AUTH after CHALLENGE, got " + Wire.typeName(type),
          Wire.E_UNAUTHENTICATED);
    }
    ByteBuffer proof;
    try {
      proof = c.open(authMsg);
    } catch (PeerAuthenticationException e) {
      if (e.code() == Wire.E_BAD_MAC) {
        throw new PeerAuthenticationException("primary failed to prove replication key '" + keyId + "': wrong key,"
            + " or an AUTH replayed from another connection", Wire.E_UNAUTHENTICATED);
      }
      throw e;
    }
    if (!MessageDigest.isEqual(transcript(helloBytes, challengeBytes), Wire.toArray(proof))) {
      throw new PeerAuthenticationException("AUTH does not match this handshake (HELLO or CHALLENGE altered in"
          + " transit, or an AUTH replayed from another connection)", Wire.E_UNAUTHENTICATED);
    }
    return c;
  }

  /**
   * @param hello the HELLO message as sent, with its length
   * @param challenge the CHALLENGE message as sent, with its length
   * @return SHA-256 of both: the body of AUTH
   */
  static byte[] transcript(byte[] hello, byte[] challenge) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(hello);
      d.update(challenge);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK provides no SHA-256", e);
    }
  }

  /** @param m a message as the reader returns it @return the message's bytes with their length prefix */
  static byte[] withLength(ByteBuffer m) {
    byte[] out = new byte[4 + m.remaining()];
    ByteBuffer.wrap(out).putInt(m.remaining()).put(m.duplicate());
    return out;
  }

  private static ReplicationBatch batch(String service, ByteBuffer body) {
    Wire.Body b = new Wire.Body("BATCH", body);
    long epoch = b.nonNegative("epoch");
    long first = b.nonNegative("firstOffset");
    int count = b.i32("count");
    if (count <= 0) {
      throw b.malformed("field count is " + count + "; must be > 0");
    }
    if (b.remaining() < (long) count * 32) {
      throw b.malformed("field count announces " + count + " frames but only " + b.remaining()
          + " bytes follow (at least 32 per frame)");
    }
    return new ReplicationBatch(service, epoch, first, count, b.rest());
  }

  private static ByteBuffer welcome(ReplicationHandshake h) {
    ByteBuffer w = ByteBuffer.allocate(2 + 8 + 8 + 8);
    w.putShort(Wire.VERSION).putLong(h.epoch()).putLong(h.nextOffset()).putLong(h.lastRecordEpoch()).flip();
    return w;
  }

  private Link linked() {
    Link l = link;
    if (l == null) {
      throw new IllegalStateException("no link yet");
    }
    return l;
  }

  private FrameCodec sealed() {
    FrameCodec c = codec;
    if (c == null) {
      throw new IllegalStateException("no session established");
    }
    return c;
  }

  private void send(byte type, ByteBuffer body) throws IOException {
    writeLock.lock();
    try {
      linked().write(sealed().seal(type, body));
    } finally {
      writeLock.unlock();
    }
  }

  private void write(ByteBuffer plain) throws IOException {
    writeLock.lock();
    try {
      linked().write(plain);
    } finally {
      writeLock.unlock();
    }
  }

  /** Answers a refusal: sealed ERROR once the session is established, plain REJECT before. */
  private void refuse(RuntimeException e) {
    stopping = true;
    short code;
    long current = 0;
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof StaleEpochException se) {
      code = Wire.E_STALE_EPOCH;
      current = se.currentEpoch();
    } else if (e instanceof IntegrityException) {
      code = Wire.E_INTEGRITY;
    } else if (e instanceof ProtocolException pe) {
      code = pe.code();
    } else if (e instanceof BufferUnderflowException) {
      code = Wire.E_PROTOCOL;
      text = "malformed message: a field runs past the end of its message";
    } else {
      code = Wire.E_REFUSED;
    }
    boolean sent = false;
    try {
      if (established) {
        send(Wire.ERROR, Wire.errorBody(code, current, text));
      } else {
        write(Wire.plain(Wire.REJECT, Wire.errorBody(code, current, text)));
      }
      sent = true;
    } catch (IOException | RuntimeException x) {
      LOG.debug("could not send replication error {} to {}: {}", code, peer, x.toString());
    }
    report(reasonOf(code), text, code, code == Wire.E_STALE_EPOCH ? current : 0);
    if (sent) {
      try {
        lingeringClose();
      } catch (IOException | RuntimeException x) {
        LOG.debug("replication peer {} went away after error {}: {}", peer, code, x.toString());
      }
    }
  }

  /**
   * @param code a wire error code
   * @return the refusal reason it reports
   */
  static PeerRefusal.Reason reasonOf(short code) {
    switch (code) {
      case Wire.E_VERSION:
        return PeerRefusal.Reason.UNSUPPORTED_VERSION;
      case Wire.E_STALE_EPOCH:
        return PeerRefusal.Reason.STALE_EPOCH;
      case Wire.E_UNKNOWN_SERVICE:
        return PeerRefusal.Reason.UNKNOWN_SERVICE;
      case Wire.E_INTEGRITY:
        return PeerRefusal.Reason.INTEGRITY;
      case Wire.E_UNAUTHENTICATED:
      case Wire.E_BAD_MAC:
      case Wire.E_SEQUENCE:
        return PeerRefusal.Reason.AUTHENTICATION_FAILED;
      case Wire.E_PROTOCOL:
      case Wire.E_TOO_LARGE:
        return PeerRefusal.Reason.PROTOCOL_VIOLATION;
      case Wire.E_BUSY:
        return PeerRefusal.Reason.CONNECTION_LIMIT;
      case Wire.E_HANDSHAKE_TIMEOUT:
        return PeerRefusal.Reason.TIMEOUT;
      default:
        return PeerRefusal.Reason.REPLICA_REFUSED;
    }
  }

  /** Reports this connection's refusal to the transport, once (the deadline and the reader may both refuse). */
  private void report(PeerRefusal.Reason reason, String detail, int code, long epoch) {
    if (reported.compareAndSet(false, true)) {
      refusals.refused(PeerRefusal.of(peer, reason, detail, service, established && (keys != null || tls != null),
          epoch), code);
    }
  }

  /**
   * Ends the output after the refusal and discards what the peer still sends (at most
   * {@value #DRAIN_LIMIT} bytes) until it closes, so that closing with unread input does not reset
   * the connection before the peer has read the refusal. The handshake deadline and the silence
   * timeout still close a peer that never closes.
   */
  private void lingeringClose() throws IOException {
    Link l = linked();
    l.shutdownOutput();
    ByteBuffer sink = ByteBuffer.allocate(512);
    long drained = 0;
    while (drained < DRAIN_LIMIT) {
      sink.clear();
      int n = l.in().read(sink);
      if (n < 0) {
        return;
      }
      drained += n;
    }
  }
}
