package dev.drkit.replication.internal;

import dev.drkit.replication.PeerAuthenticationException;
import dev.drkit.replication.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Seals and opens the messages of an established replication session
 * ({@code docs/replication-protocol.md} §4.2): {@code u32 length, u8 type, u64 seq, body, tag}.
 * Each direction numbers its messages from 0; the receiver accepts only the next number. With a
 * pre-shared key the tag is {@code HMAC-SHA256(directionKey, length || type || seq || body)}, the
 * direction keys derived with HKDF-SHA256 from the key and both nonces, so a message cannot be
 * replayed, reordered, altered, truncated or moved to another connection. Without a key
 * ({@code insecure()}) the tag is empty and only the order is checked.
 *
 * <p>Not thread-safe: one thread seals (under the connection's write lock), one opens.
 */
public final class FrameCodec {
  /** Size of a tag (HMAC-SHA256). */
  public static final int TAG = 32;
  private static final String HMAC = "HmacSHA256";
  private static final byte[] INFO = "drkit replication v2 session keys".getBytes(StandardCharsets.US_ASCII);
  private final @Nullable Mac sendMac;
  private final @Nullable Mac recvMac;
  private final int tag;
  private long sendSeq;
  private long recvSeq;

  private FrameCodec(@Nullable Mac sendMac, @Nullable Mac recvMac) {
    this.sendMac = sendMac;
    this.recvMac = recvMac;
    this.tag = sendMac == null ? 0 : TAG;
  }

  /** @return a codec that numbers messages but authenticates nothing */
  public static FrameCodec insecure() {
    return new FrameCodec(null, null);
  }

  /**
   * @param psk the pre-shared key
   * @param keyId its id (bound into the derived keys)
   * @param primaryNonce the primary's nonce from HELLO
   * @param backupNonce the backup's nonce from CHALLENGE
   * @param primarySide whether this side is the primary (sends with the primary-to-backup key)
   * @return a codec keyed for this connection
   */
  public static FrameCodec keyed(byte[] psk, String keyId, byte[] primaryNonce, byte[] backupNonce,
      boolean primarySide) {
    byte[] salt = new byte[primaryNonce.length + backupNonce.length];
    System.arraycopy(primaryNonce, 0, salt, 0, primaryNonce.length);
    System.arraycopy(backupNonce, 0, salt, primaryNonce.length, backupNonce.length);
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    byte[] info = Arrays.copyOf(INFO, INFO.length + id.length);
    System.arraycopy(id, 0, info, INFO.length, id.length);
    byte[] okm = hkdfSha256(psk, salt, info, 64);
    try {
      Mac p2b = mac(Arrays.copyOfRange(okm, 0, 32));
      Mac b2p = mac(Arrays.copyOfRange(okm, 32, 64));
      return primarySide ? new FrameCodec(p2b, b2p) : new FrameCodec(b2p, p2b);
    } finally {
      Arrays.fill(okm, (byte) 0);
    }
  }

  /**
   * HKDF with HMAC-SHA256 (RFC 5869).
   *
   * @param ikm input keying material
   * @param salt HKDF's salt (empty: a zero-filled salt of the hash length)
   * @param info context
   * @param length output bytes (at most 255 * 32)
   * @return the output keying material
   */
  public static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info, int length) {
    Mac m = mac(salt.length == 0 ? new byte[32] : salt);
    byte[] prk = m.doFinal(ikm);
    m = mac(prk);
    byte[] out = new byte[length];
    byte[] t = new byte[0];
    int done = 0;
    for (int i = 1; done < length; i++) {
      m.update(t);
      m.update(info);
      m.update((byte) i);
      t = m.doFinal();
      int n = Math.min(t.length, length - done);
      System.arraycopy(t, 0, out, done, n);
      done += n;
    }
    Arrays.fill(prk, (byte) 0);
    return out;
  }

  private static Mac mac(byte[] key) {
    try {
      Mac m = Mac.getInstance(HMAC);
      m.init(new SecretKeySpec(key, HMAC));
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK provides no " + HMAC, e);
    }
  }

  /** @return whether messages carry a MAC */
  public boolean authenticated() {
    return tag > 0;
  }

  /** @return bytes a sealed message adds around its body (type, seq, tag) */
  public int overhead() {
    return 1 + 8 + tag;
  }

  /**
   * Seals the next outgoing message.
   *
   * @param type the message type byte, authenticated with the body
   * @param body the body parts (positions untouched)
   * @return the buffers to write, in order
   */
  public ByteBuffer[] seal(byte type, ByteBuffer... body) {
    long len = 1L + 8 + tag;
    for (ByteBuffer b : body) {
      len += b.remaining();
    }
    if (len > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("message too large: " + len + " bytes");
    }
    ByteBuffer head = ByteBuffer.allocate(4 + 1 + 8);
    head.putInt((int) len).put(type).putLong(sendSeq++).flip();
    ByteBuffer[] out = new ByteBuffer[body.length + (tag > 0 ? 2 : 1)];
    out[0] = head;
    for (int i = 0; i < body.length; i++) {
      out[i + 1] = body[i].duplicate();
    }
    Mac m = sendMac;
    if (m != null) {
      m.update(head.duplicate());
      for (ByteBuffer b : body) {
        m.update(b.duplicate());
      }
      out[out.length - 1] = ByteBuffer.wrap(m.doFinal());
    }
    return out;
  }

  /**
   * Opens the next incoming message: checks its size, its MAC and its sequence number, in that
   * order.
   *
   * @param message the message as {@link Wire.Reader} returns it (type first, no length)
   * @return the body, as a view
   * @throws ProtocolException code {@link Wire#E_PROTOCOL} if it is too short for its sequence
   *     number and MAC or not the size its type requires
   * @throws PeerAuthenticationException code {@link Wire#E_BAD_MAC} if the MAC does not verify,
   *     {@link Wire#E_SEQUENCE} if the sequence number is not the next one
   */
  public ByteBuffer open(ByteBuffer message) {
    int n = message.remaining();
    byte type = message.get(message.position());
    String name = Wire.typeName(type);
    if (n < 1 + 8 + tag) {
      throw new ProtocolException("malformed " + name + ": message of " + n + " bytes is too short for its u64 seq"
          + (tag > 0 ? " and 32-byte MAC" : ""), Wire.E_PROTOCOL);
    }
    int fixed = Wire.fixedBodySize(type);
    if (fixed >= 0 && n != 1 + 8 + fixed + tag) {
      throw new ProtocolException("malformed " + name + ": message is " + n + " bytes; " + name + " must be "
          + (1 + 8 + fixed + tag) + " (u8 type, u64 seq, " + fixed + "-byte body" + (tag > 0 ? ", 32-byte MAC" : "")
          + "): truncated or padded", Wire.E_PROTOCOL);
    }
    int p = message.position();
    long seq = message.getLong(p + 1);
    Mac m = recvMac;
    if (m != null) {
      ByteBuffer covered = message.duplicate();
      covered.limit(p + n - tag);
      m.update(ByteBuffer.allocate(4).putInt(0, n));
      m.update(covered);
      byte[] expected = m.doFinal();
      byte[] got = new byte[tag];
      message.get(p + n - tag, got);
      if (!MessageDigest.isEqual(expected, got)) {
        throw new PeerAuthenticationException(name + " (seq " + seq + ") fails its MAC: altered, truncated or not"
            + " from this session's peer", Wire.E_BAD_MAC);
      }
    }
    if (seq != recvSeq) {
      throw new PeerAuthenticationException(name + " carries sequence number " + seq + " where " + recvSeq
          + " was due: replayed or reordered", Wire.E_SEQUENCE);
    }
    recvSeq++;
    ByteBuffer body = message.duplicate();
    body.position(p + 9).limit(p + n - tag);
    return body.slice();
  }
}
