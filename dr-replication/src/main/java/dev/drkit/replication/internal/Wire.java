package dev.drkit.replication.internal;

import dev.drkit.replication.ProtocolException;
import dev.drkit.replication.spi.PrimaryHistory;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Message framing of the TCP replication protocol (see {@code docs/replication-protocol.md}):
 * every message is {@code u32 length} (of what follows), {@code u8 type}, then the body.
 */
public final class Wire {
  /** "DRKR", opens a HELLO. */
  public static final int MAGIC = 0x44524B52;
  /** The protocol version this implementation speaks. */
  public static final short VERSION = 1;
  /** The largest message accepted. */
  public static final int MAX_MESSAGE = 64 << 20;

  /** Primary -> backup: open a session. */
  public static final byte HELLO = 1;
  /** Backup -> primary: session accepted. */
  public static final byte WELCOME = 2;
  /** Primary -> backup: record frames. */
  public static final byte BATCH = 3;
  /** Backup -> primary: positions. */
  public static final byte ACK = 4;
  /** Primary -> backup: liveness and the primary's log end. */
  public static final byte HEARTBEAT = 5;
  /** Primary -> backup: the primary's epoch history, for a backup holding records it does not; answered by WELCOME. */
  public static final byte REWIND = 6;
  /** Either way: a refusal; the sender closes the connection after it. */
  public static final byte ERROR = 9;

  /** ERROR code: the peer's protocol version is not supported. */
  public static final short E_VERSION = 1;
  /** ERROR code: the sender's epoch is older than the newest the receiver has seen. */
  public static final short E_STALE_EPOCH = 2;
  /** ERROR code: no replica serves the requested service. */
  public static final short E_UNKNOWN_SERVICE = 3;
  /** ERROR code: a frame failed its CRC32C or structure check. */
  public static final short E_INTEGRITY = 4;
  /** ERROR code: the batch was refused (gap, promoted replica, storage failure). */
  public static final short E_REFUSED = 5;
  /** ERROR code: the message was malformed or unexpected. */
  public static final short E_PROTOCOL = 6;

  private Wire() {}

  /**
   * @param type message type
   * @param bodyLength body size
   * @return a header buffer (flipped) for a message of that body size
   */
  public static ByteBuffer header(byte type, int bodyLength) {
    ByteBuffer b = ByteBuffer.allocate(5);
    b.putInt(bodyLength + 1).put(type).flip();
    return b;
  }

  /**
   * @param type type
   * @param body the body (flipped)
   * @return the whole message (flipped)
   */
  public static ByteBuffer message(byte type, ByteBuffer body) {
    ByteBuffer b = ByteBuffer.allocate(5 + body.remaining());
    b.putInt(body.remaining() + 1).put(type).put(body).flip();
    return b;
  }

  /**
   * @param service service name
   * @param epoch epoch
   * @param version version to announce
   * @return a HELLO message
   */
  public static ByteBuffer hello(String service, long epoch, short version) {
    byte[] s = service.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + 2 + 8 + 2 + s.length);
    b.putInt(MAGIC).putShort(version).putLong(epoch).putShort((short) s.length).put(s).flip();
    return message(HELLO, b);
  }

  /**
   * @param code error code
   * @param currentEpoch the receiver's epoch (for stale-epoch errors)
   * @param text a readable explanation
   * @return an ERROR message
   */
  public static ByteBuffer error(short code, long currentEpoch, String text) {
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int len = Math.min(t.length, 60_000);
    ByteBuffer b = ByteBuffer.allocate(2 + 8 + 2 + len);
    b.putShort(code).putLong(currentEpoch).putShort((short) len).put(t, 0, len).flip();
    return message(ERROR, b);
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
   * @param b the body of a REWIND message
   * @return the history it carries
   * @throws ProtocolException if the entry count does not match the body
   */
  public static PrimaryHistory readHistory(ByteBuffer b) {
    long epoch = b.getLong();
    long next = b.getLong();
    int n = b.getInt();
    if (n < 0 || b.remaining() != 16L * n) {
      throw new ProtocolException("REWIND announces " + n + " epochs but carries " + b.remaining() + " bytes");
    }
    List<PrimaryHistory.EpochStart> es = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      es.add(new PrimaryHistory.EpochStart(b.getLong(), b.getLong()));
    }
    return new PrimaryHistory(epoch, next, es);
  }

  /**
   * @param b a buffer at a length-prefixed string
   * @return the string
   */
  public static String string(ByteBuffer b) {
    int len = Short.toUnsignedInt(b.getShort());
    byte[] s = new byte[len];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
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

  /** Reads messages from a blocking channel into a reusable buffer. */
  public static final class Reader {
    private final SocketChannel ch;
    private ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    private int start;

    /** @param ch the channel */
    public Reader(SocketChannel ch) {
      this.ch = ch;
      buf.limit(0);
    }

    /**
     * @return the next message's body with its type as the first byte (a view valid until the
     *     next call), or {@code null} when no complete message is buffered
     * @throws IOException on a malformed length
     */
    public @org.jspecify.annotations.Nullable ByteBuffer nextBuffered() throws IOException {
      if (buf.limit() - start < 4) {
        return null;
      }
      int len = buf.getInt(start);
      if (len < 1 || len > MAX_MESSAGE) {
        throw new IOException("malformed message length " + len);
      }
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
        int len = buf.getInt(0);
        if (len > 0 && len <= MAX_MESSAGE && len + 4 > buf.capacity()) {
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
