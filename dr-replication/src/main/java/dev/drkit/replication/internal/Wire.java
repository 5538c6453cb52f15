package dev.drkit.replication.internal;

import dev.drkit.replication.ProtocolException;
import dev.drkit.replication.spi.PrimaryHistory;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Message framing of the TCP replication protocol, version 2 (see
 * {@code docs/replication-protocol.md} §4): every message is {@code u32 length} (of what follows),
 * {@code u8 type}, then the body. Before a session is established (HELLO, CHALLENGE, REJECT) the
 * body follows the type directly; afterwards every message is sealed by a {@link FrameCodec}
 * ({@code u64 seq}, body, MAC).
 */
public final class Wire {
  /** "DRKR", opens a HELLO. */
  public static final int MAGIC = 0x44524B52;
  /** The protocol version this implementation speaks. */
  public static final short VERSION = 2;
  /** The largest message (the {@code u32 length}) accepted before the peer is authenticated. */
  public static final int MAX_PREAUTH_MESSAGE = 4096;
  /** Bytes a connection's read buffer starts with (grown only after authentication). */
  public static final int INITIAL_BUFFER = 4096;
  /** Size of the nonces of the handshake. */
  public static final int NONCE = 32;
  /** The longest ERROR or REJECT text sent (UTF-8 bytes). */
  public static final int MAX_ERROR_TEXT = 1024;

  /** HELLO's auth mode: no authentication (only accepted by an {@code insecure()} backup). */
  public static final byte AUTH_NONE = 0;
  /** HELLO's auth mode: pre-shared key, HMAC-SHA256 challenge-response and per-frame MACs. */
  public static final byte AUTH_PSK = 1;
  /** HELLO's auth mode: both sides were authenticated by mutual TLS 1.3 before the HELLO. */
  public static final byte AUTH_TLS = 2;

  /** Primary -> backup: open a session (plain). */
  public static final byte HELLO = 1;
  /** Backup -> primary: session accepted (sealed). */
  public static final byte WELCOME = 2;
  /** Primary -> backup: record frames (sealed). */
  public static final byte BATCH = 3;
  /** Backup -> primary: positions (sealed). */
  public static final byte ACK = 4;
  /** Primary -> backup: liveness and the primary's log end (sealed). */
  public static final byte HEARTBEAT = 5;
  /** Primary -> backup: the primary's epoch history, for a backup holding records it does not; answered by WELCOME. */
  public static final byte REWIND = 6;
  /** Backup -> primary: the backup's nonce (plain). */
  public static final byte CHALLENGE = 7;
  /** Primary -> backup: proof of the key, the hash of the handshake so far (sealed, seq 0). */
  public static final byte AUTH = 8;
  /** Either way, once the session is established: a refusal (sealed); the sender closes after it. */
  public static final byte ERROR = 9;
  /** Backup -> primary, before the primary is authenticated: a refusal (plain, unauthenticated). */
  public static final byte REJECT = 10;

  /** Error code: the peer's protocol version is not supported. */
  public static final short E_VERSION = 1;
  /** Error code: the sender's epoch is older than the newest the receiver has seen. */
  public static final short E_STALE_EPOCH = 2;
  /** Error code: no replica serves the requested service. */
  public static final short E_UNKNOWN_SERVICE = 3;
  /** Error code: a record frame failed its CRC32C or structure check. */
  public static final short E_INTEGRITY = 4;
  /** Error code: the batch was refused (gap, promoted replica, storage failure). */
  public static final short E_REFUSED = 5;
  /** Error code: the message was malformed or unexpected. */
  public static final short E_PROTOCOL = 6;
  /** Error code: authentication required, unknown key id, or wrong key. */
  public static final short E_UNAUTHENTICATED = 7;
  /** Error code: a sealed message's MAC does not verify. */
  public static final short E_BAD_MAC = 8;
  /** Error code: a sealed message's sequence number is not the next one (replay, reorder). */
  public static final short E_SEQUENCE = 9;
  /** Error code: a message's length exceeds the receiver's limit. */
  public static final short E_TOO_LARGE = 10;
  /** Error code: the endpoint is at its connection limit. */
  public static final short E_BUSY = 11;
  /** Error code: the handshake did not complete within the deadline. */
  public static final short E_HANDSHAKE_TIMEOUT = 12;

  private Wire() {}

  /** @param type a message type @return its name, for messages */
  public static String typeName(byte type) {
    switch (type) {
      case HELLO: return "HELLO";
      case WELCOME: return "WELCOME";
      case BATCH: return "BATCH";
      case ACK: return "ACK";
      case HEARTBEAT: return "HEARTBEAT";
      case REWIND: return "REWIND";
      case CHALLENGE: return "CHALLENGE";
      case AUTH: return "AUTH";
      case ERROR: return "ERROR";
      case REJECT: return "REJECT";
      default: return "type " + type;
    }
  }

  /**
   * @param type a sealed message type
   * @return the exact body size of that type, or {@code -1} if its body is variable
   */
  public static int fixedBodySize(byte type) {
    switch (type) {
      case WELCOME: return 2 + 8 + 8 + 8;
      case ACK: return 32;
      case HEARTBEAT: return 24;
      case AUTH: return 32;
      default: return -1;
    }
  }

  /**
   * @param type the message type byte
   * @param body the body (flipped)
   * @return a plain (unsealed) message (flipped)
   */
  public static ByteBuffer plain(byte type, ByteBuffer body) {
    ByteBuffer b = ByteBuffer.allocate(5 + body.remaining());
    b.putInt(body.remaining() + 1).put(type).put(body.duplicate()).flip();
    return b;
  }

  /**
   * @param service service name
   * @param epoch the primary's fencing epoch
   * @param version version to announce
   * @param auth {@link #AUTH_NONE} or {@link #AUTH_PSK}
   * @param keyId the key id ({@code ""} without authentication)
   * @param nonce the primary's nonce ({@link #NONCE} bytes, or empty without authentication)
   * @return the body of a HELLO (flipped)
   */
  public static ByteBuffer helloBody(String service, long epoch, short version, byte auth, String keyId, byte[] nonce) {
    byte[] s = service.getBytes(StandardCharsets.UTF_8);
    byte[] k = keyId.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + 2 + 1 + 8 + 2 + s.length + 2 + k.length + nonce.length);
    b.putInt(MAGIC).putShort(version).put(auth).putLong(epoch).putShort((short) s.length).put(s)
        .putShort((short) k.length).put(k).put(nonce).flip();
    return b;
  }

  /**
   * @param code error code
   * @param currentEpoch the receiver's epoch (for stale-epoch errors)
   * @param text a readable explanation (cut to {@link #MAX_ERROR_TEXT} bytes)
   * @return the body of an ERROR or REJECT (flipped)
   */
  public static ByteBuffer errorBody(short code, long currentEpoch, String text) {
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int len = Math.min(t.length, MAX_ERROR_TEXT);
    ByteBuffer b = ByteBuffer.allocate(2 + 8 + 2 + len);
    b.putShort(code).putLong(currentEpoch).putShort((short) len).put(t, 0, len).flip();
    return b;
  }

  /**
   * @param h a primary's history
   * @return the body of a REWIND message (flipped): {@code u64 epoch, u64 nextOffset, u32 n}, then
   *     {@code n} times {@code u64 epoch, u64 startOffset}
   */
  public static ByteBuffer history(PrimaryHistory h) {
    ByteBuffer b = ByteBuffer.allocate(8 + 8 + 4 + 16 * h.epochs().size());
    b.putLong(h.epoch()).putLong(h.nextOffset()).putInt(h.epochs().size());
    for (PrimaryHistory.EpochStart e : h.epochs()) {
      b.putLong(e.epoch()).putLong(e.startOffset());
    }
    return b.flip();
  }

  /**
   * @param body the body of a REWIND message
   * @return the history it carries
   * @throws ProtocolException (code {@link #E_PROTOCOL}) naming the field if the body is malformed
   */
  public static PrimaryHistory readHistory(ByteBuffer body) {
    Body b = new Body("REWIND", body);
    long epoch = b.nonNegative("epoch");
    long next = b.nonNegative("primaryNextOffset");
    int n = b.i32("n");
    if (n < 0 || b.remaining() != 16L * n) {
      throw b.malformed("field n announces " + n + " epochs but " + b.remaining() + " bytes follow (16 per epoch)");
    }
    List<PrimaryHistory.EpochStart> es = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      es.add(new PrimaryHistory.EpochStart(b.nonNegative("epochs[" + i + "].epoch"),
          b.nonNegative("epochs[" + i + "].startOffset")));
    }
    try {
      return new PrimaryHistory(epoch, next, es);
    } catch (IllegalArgumentException e) {
      throw b.malformed("carries an invalid history: " + e.getMessage());
    }
  }

  /** @param b a buffer @return a copy of its remaining bytes (position untouched) */
  public static byte[] toArray(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /**
   * Writes a whole buffer set.
   *
   * @param ch the channel (blocking)
   * @param bufs buffers
   * @throws IOException on failure
   */
  public static void writeFully(SocketChannel ch, ByteBuffer... bufs) throws IOException {
    long remaining = 0;
    for (ByteBuffer b : bufs) {
      remaining += b.remaining();
    }
    while (remaining > 0) {
      remaining -= ch.write(bufs);
    }
  }

  /**
   * A cursor over a message body that checks every field before reading it, so a short or
   * inconsistent body is refused with {@link #E_PROTOCOL} and a message naming the message and
   * field, never with a buffer underflow.
   */
  public static final class Body {
    private final String message;
    private final ByteBuffer b;
    private final int start;

    /**
     * @param message the message's name (for errors)
     * @param b the body, from position to limit
     */
    public Body(String message, ByteBuffer b) {
      this.message = message;
      this.b = b;
      this.start = b.position();
    }

    private void need(int n, String field, String kind) {
      if (b.remaining() < n) {
        throw malformed("of " + (b.limit() - start) + " bytes ends before field " + field + " (" + kind + " at byte "
            + (b.position() - start) + ")");
      }
    }

    /** @param field name @return the next {@code u8} */
    public byte u8(String field) {
      need(1, field, "u8");
      return b.get();
    }

    /** @param field name @return the next {@code u16}, as a short */
    public short u16(String field) {
      need(2, field, "u16");
      return b.getShort();
    }

    /** @param field name @return the next {@code u32}, as an int */
    public int i32(String field) {
      need(4, field, "u32");
      return b.getInt();
    }

    /** @param field name @return the next {@code u64}, as a long */
    public long u64(String field) {
      need(8, field, "u64");
      return b.getLong();
    }

    /** @param field name @return the next {@code u64}, checked to be {@code >= 0} */
    public long nonNegative(String field) {
      long v = u64(field);
      if (v < 0) {
        throw malformed("field " + field + " is " + v + "; must be >= 0");
      }
      return v;
    }

    /** @param field name @return the next {@code u64}, checked to be {@code >= -1} */
    public long offsetOrNone(String field) {
      long v = u64(field);
      if (v < -1) {
        throw malformed("field " + field + " is " + v + "; must be >= -1");
      }
      return v;
    }

    /** @param n how many @param field name @return the next {@code n} bytes */
    public byte[] bytes(int n, String field) {
      need(n, field, n + " bytes");
      byte[] out = new byte[n];
      b.get(out);
      return out;
    }

    /** @param field name @return a {@code u16}-length-prefixed UTF-8 string */
    public String string(String field) {
      int len = Short.toUnsignedInt(u16(field + ".length"));
      if (b.remaining() < len) {
        throw malformed("field " + field + " announces " + len + " bytes but " + b.remaining() + " remain");
      }
      byte[] s = new byte[len];
      b.get(s);
      return new String(s, StandardCharsets.UTF_8);
    }

    /** @return bytes not read yet */
    public int remaining() {
      return b.remaining();
    }

    /** @return the unread rest, as a view */
    public ByteBuffer rest() {
      return b.slice();
    }

    /** Checks that nothing follows the last field. */
    public void end() {
      if (b.hasRemaining()) {
        throw malformed("carries " + b.remaining() + " unexpected bytes after its last field");
      }
    }

    /** @param what what is wrong @return a {@link #E_PROTOCOL} exception naming the message */
    public ProtocolException malformed(String what) {
      return new ProtocolException("malformed " + message + ": " + message + " " + what, E_PROTOCOL);
    }
  }

  /**
   * Reads messages from a blocking channel into a buffer that starts at {@link #INITIAL_BUFFER}
   * bytes and grows only to hold a message within the current {@linkplain #limit(int) limit}. A
   * length over the limit is refused before anything is allocated.
   */
  public static final class Reader {
    private final ReadableByteChannel ch;
    private ByteBuffer buf = ByteBuffer.allocate(INITIAL_BUFFER);
    private int start;
    private int limit;

    /**
     * @param ch the channel
     * @param limit the largest {@code u32 length} accepted
     */
    public Reader(ReadableByteChannel ch, int limit) {
      this.ch = ch;
      this.limit = limit;
      buf.limit(0);
    }

    /** @param maxMessage the largest {@code u32 length} accepted from now on */
    public void limit(int maxMessage) {
      this.limit = maxMessage;
    }

    /** @return the read buffer's current capacity (bounded by the limit, for tests) */
    public int capacity() {
      return buf.capacity();
    }

    private int checkedLength(int at) {
      int len = buf.getInt(at);
      if (len == 0) {
        throw new ProtocolException("malformed message: length field is 0; a message holds at least its type byte",
            E_PROTOCOL);
      }
      if (len < 0 || len > limit) {
        throw new ProtocolException("message length " + Integer.toUnsignedString(len) + " exceeds the limit of "
            + limit + " bytes" + (limit == MAX_PREAUTH_MESSAGE ? " before authentication" : ""), E_TOO_LARGE);
      }
      return len;
    }

    /**
     * @return the next message, its type as the first byte (a view valid until the next call),
     *     or {@code null} when no complete message is buffered
     * @throws ProtocolException (code {@link #E_TOO_LARGE} or {@link #E_PROTOCOL}) on a length out of bounds
     */
    public @Nullable ByteBuffer nextBuffered() {
      if (buf.limit() - start < 4) {
        return null;
      }
      int len = checkedLength(start);
      if (buf.limit() - start - 4 < len) {
        return null;
      }
      ByteBuffer m = buf.duplicate();
      m.position(start + 4).limit(start + 4 + len);
      start += 4 + len;
      return m.slice();
    }

    /**
     * Reads more bytes, blocking until at least one arrives.
     *
     * @throws IOException on failure
     * @throws EOFException when the peer closed
     */
    public void fill() throws IOException {
      if (start > 0) {
        ByteBuffer rest = buf.duplicate();
        rest.position(start);
        buf.position(0);
        buf.limit(buf.capacity());
        buf.put(rest);
        buf.flip();
        start = 0;
      }
      if (buf.limit() >= 4) {
        int len = checkedLength(0);
        if (len + 4 > buf.capacity()) {
          ByteBuffer nb = ByteBuffer.allocate(len + 4);
          nb.put(buf.duplicate());
          nb.flip();
          buf = nb;
        }
      }
      int lim = buf.limit();
      buf.position(lim).limit(buf.capacity());
      int n = ch.read(buf);
      buf.limit(buf.position()).position(0);
      if (n < 0) {
        throw new EOFException("peer closed the connection");
      }
    }

    /**
     * @return the next message, reading as needed
     * @throws IOException on failure or EOF
     */
    public ByteBuffer next() throws IOException {
      ByteBuffer m;
      while ((m = nextBuffered()) == null) {
        fill();
      }
      return m;
    }
  }
}
