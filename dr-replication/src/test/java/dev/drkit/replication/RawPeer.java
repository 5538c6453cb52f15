package dev.drkit.replication;

import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Frames;
import dev.drkit.replication.internal.Wire;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A hand-driven replication peer over a real loopback socket, for attack and malformed-message
 * tests: it speaks the wire byte by byte, so a test can send exactly what an attacker would.
 */
final class RawPeer implements AutoCloseable {
  /** The key every test transport shares. */
  static final byte[] SECRET = new byte[32];
  static final String KEY_ID = "test";
  static final ReplicationKeys KEYS;

  static {
    for (int i = 0; i < SECRET.length; i++) {
      SECRET[i] = (byte) (i * 7 + 3);
    }
    KEYS = ReplicationKeys.of(KEY_ID, SECRET);
  }

  /** What a backup answered: a REJECT (plain) or an ERROR (sealed). */
  record Refusal(byte type, short code, long epoch, String text) {}

  final SocketChannel ch;
  final Wire.Reader in;
  @Nullable FrameCodec codec;

  RawPeer(SocketChannel ch) throws IOException {
    this.ch = ch;
    ch.socket().setSoTimeout(0);
    this.in = new Wire.Reader(ch, 64 << 20);
  }

  static RawPeer connect(int port) throws IOException {
    SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    return new RawPeer(ch);
  }

  static TcpTransport backup(int port) {
    return TcpTransport.builder(TcpTransport.Config.listening(loopback(port))).keys(KEYS).build();
  }

  static TcpTransport primary(int port) {
    return TcpTransport.builder(TcpTransport.Config.connecting(loopback(port))).keys(KEYS).build();
  }

  static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  static ByteBuffer helloBody(String service, long epoch, byte auth, String keyId, byte[] nonce) {
    return Wire.helloBody(service, epoch, Wire.VERSION, auth, keyId, nonce);
  }

  /** Every byte this peer wrote, in order (for replay tests). */
  final java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();

  void write(ByteBuffer... bufs) throws IOException {
    for (ByteBuffer b : bufs) {
      sent.writeBytes(Wire.toArray(b));
    }
    Wire.writeFully(ch, bufs);
  }

  /** Reads the next sealed message, which must be of {@code type}, and returns its body. */
  ByteBuffer expect(byte type) throws IOException {
    ByteBuffer m = in.next();
    byte t = m.get(m.position());
    if (t != type) {
      pending = m;
      throw new AssertionError("expected " + Wire.typeName(type) + ", got " + Wire.typeName(t) + ": "
          + (t == Wire.ERROR || t == Wire.REJECT ? refusal() : ""));
    }
    return java.util.Objects.requireNonNull(codec, "no session").open(m);
  }

  void writePlain(byte type, ByteBuffer body) throws IOException {
    write(Wire.plain(type, body));
  }

  /** Seals with this connection's codec and returns the bytes without sending them. */
  ByteBuffer seal(byte type, ByteBuffer... body) {
    ByteBuffer[] parts = java.util.Objects.requireNonNull(codec, "no session").seal(type, body);
    int n = 0;
    for (ByteBuffer p : parts) {
      n += p.remaining();
    }
    ByteBuffer all = ByteBuffer.allocate(n);
    for (ByteBuffer p : parts) {
      all.put(p);
    }
    return all.flip();
  }

  void writeSealed(byte type, ByteBuffer... body) throws IOException {
    write(seal(type, body));
  }

  /**
   * Runs the primary's side of the handshake with {@code secret} under {@code keyId}.
   *
   * @return the WELCOME body, or {@code null} if the backup refused (read it with {@link #refusal()})
   */
  @Nullable ByteBuffer handshake(String service, long epoch, String keyId, byte[] secret) throws IOException {
    byte[] nonce = new byte[Wire.NONCE];
    new SecureRandom().nextBytes(nonce);
    ByteBuffer hello = Wire.plain(Wire.HELLO, helloBody(service, epoch, Wire.AUTH_PSK, keyId, nonce));
    byte[] helloBytes = Wire.toArray(hello);
    write(hello);
    ByteBuffer m = in.next();
    if (m.get(m.position()) != Wire.CHALLENGE) {
      pending = m;
      return null;
    }
    byte[] challengeBytes = TcpBackupConnection.withLength(m);
    byte[] backupNonce = Arrays.copyOfRange(challengeBytes, 5, 5 + Wire.NONCE);
    codec = FrameCodec.keyed(secret, keyId, nonce, backupNonce, true);
    writeSealed(Wire.AUTH, ByteBuffer.wrap(TcpBackupConnection.transcript(helloBytes, challengeBytes)));
    m = in.next();
    if (m.get(m.position()) != Wire.WELCOME) {
      pending = m;
      return null;
    }
    return codec.open(m);
  }

  /** A full handshake with the shared test key; fails the test if refused. */
  ByteBuffer handshake(String service, long epoch) throws IOException {
    ByteBuffer w = handshake(service, epoch, KEY_ID, SECRET);
    if (w == null) {
      throw new AssertionError("handshake refused: " + refusal());
    }
    return w;
  }

  private @Nullable ByteBuffer pending;

  /** Reads the next message as a refusal (REJECT in clear, or ERROR opened with the session codec). */
  Refusal refusal() throws IOException {
    ByteBuffer m = pending != null ? pending : in.next();
    pending = null;
    byte type = m.get(m.position());
    ByteBuffer body;
    if (type == Wire.REJECT) {
      body = m.duplicate();
      body.position(body.position() + 1);
    } else if (type == Wire.ERROR) {
      body = java.util.Objects.requireNonNull(codec, "ERROR without a session").open(m);
    } else {
      throw new AssertionError("expected REJECT or ERROR, got " + Wire.typeName(type));
    }
    short code = body.getShort();
    long epoch = body.getLong();
    byte[] t = new byte[Short.toUnsignedInt(body.getShort())];
    body.get(t);
    return new Refusal(type, code, epoch, new String(t, StandardCharsets.UTF_8));
  }

  /** @return whether the backup closed the connection (the next read sees the end of the stream) */
  boolean closedByBackup() throws IOException {
    try {
      in.next();
      return false;
    } catch (EOFException e) {
      return true;
    } catch (IOException e) {
      return true; // reset by the peer
    }
  }

  /** @return a batch body (epoch, firstOffset, count, frames) of one record */
  static ByteBuffer batchBody(long epoch, long offset, String payload) {
    byte[] p = payload.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(20 + Frames.frameSize(p.length));
    b.putLong(epoch).putLong(offset).putInt(1);
    Frames.encode(b, epoch, offset, 0, p, 0, p.length);
    return b.flip();
  }

  /**
   * The backup's side of the handshake on an accepted connection, for fake backups.
   *
   * @param secret the key, or {@code null} to answer an insecure HELLO
   * @return a codec for the session
   */
  static FrameCodec acceptHandshake(SocketChannel c, Wire.Reader in, byte @Nullable [] secret) throws IOException {
    ByteBuffer hello = in.next();
    byte[] helloBytes = TcpBackupConnection.withLength(hello);
    if (secret == null) {
      return FrameCodec.insecure();
    }
    byte[] primaryNonce = Arrays.copyOfRange(helloBytes, helloBytes.length - Wire.NONCE, helloBytes.length);
    byte[] backupNonce = new byte[Wire.NONCE];
    new SecureRandom().nextBytes(backupNonce);
    ByteBuffer ch = Wire.plain(Wire.CHALLENGE, ByteBuffer.wrap(backupNonce));
    Wire.writeFully(c, ch.duplicate());
    FrameCodec codec = FrameCodec.keyed(secret, KEY_ID, primaryNonce, backupNonce, false);
    try {
      codec.open(in.next());
    } catch (PeerAuthenticationException e) {
      // a fake backup with another key carries on regardless: the primary must notice
    }
    return codec;
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
