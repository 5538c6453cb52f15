package dev.drkit.backup.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018), byte for byte what the JDK's {@code PBKDF2WithHmacSHA256} derives
 * from the same passphrase (encoded as UTF-8, unpaired surrogates replaced by {@code '?'}), salt,
 * iteration count and length, in about half the time.
 *
 * <p>The JDK's HMAC re-hashes the padded key at every call, which costs two SHA-256 compressions of
 * the four an iteration takes. Here the digests are keyed once, with the inner and outer pads, and
 * each iteration clones those states: two compressions an iteration, the minimum. A repository is
 * opened once per command, so this halves the time every command of a fresh process spends before it
 * can read anything (measured in {@code benchmarks/RESULTS.md}, dr-backup section, against the
 * JDK's implementation).
 */
public final class Pbkdf2 {
  private static final int BLOCK = 64;
  private static final int HASH = 32;

  private Pbkdf2() {}

  /**
   * @param passphrase the passphrase (not modified)
   * @param salt the key slot's random salt
   * @param iterations at least 1
   * @param length the derived key's length in bytes, at least 1
   * @return the derived key
   */
  public static byte[] deriveHmacSha256(char[] passphrase, byte[] salt, int iterations, int length) {
    if (iterations < 1 || length < 1) {
      throw new IllegalArgumentException("iterations and length must be positive: " + iterations + ", " + length);
    }
    byte[] password = utf8(passphrase);
    byte[] inner = new byte[BLOCK];
    byte[] outer = new byte[BLOCK];
    byte[] u = new byte[HASH];
    byte[] t = new byte[HASH];
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] key = password.length > BLOCK ? sha.digest(password) : password;
      for (int i = 0; i < BLOCK; i++) {
        byte k = i < key.length ? key[i] : 0;
        inner[i] = (byte) (k ^ 0x36);
        outer[i] = (byte) (k ^ 0x5c);
      }
      if (key != password) {
        Arrays.fill(key, (byte) 0);
      }
      MessageDigest innerKeyed = MessageDigest.getInstance("SHA-256");
      MessageDigest outerKeyed = MessageDigest.getInstance("SHA-256");
      innerKeyed.update(inner);
      outerKeyed.update(outer);
      byte[] out = new byte[length];
      for (int block = 1, off = 0; off < length; block++, off += HASH) {
        byte[] first = Arrays.copyOf(salt, salt.length + 4);
        first[salt.length] = (byte) (block >>> 24);
        first[salt.length + 1] = (byte) (block >>> 16);
        first[salt.length + 2] = (byte) (block >>> 8);
        first[salt.length + 3] = (byte) block;
        hmac(innerKeyed, outerKeyed, first, u);
        System.arraycopy(u, 0, t, 0, HASH);
        for (int n = 1; n < iterations; n++) {
          hmac(innerKeyed, outerKeyed, u, u);
          for (int i = 0; i < HASH; i++) {
            t[i] ^= u[i];
          }
        }
        System.arraycopy(t, 0, out, off, Math.min(HASH, length - off));
      }
      return out;
    } catch (NoSuchAlgorithmException | CloneNotSupportedException | DigestException e) {
      throw new IllegalStateException("SHA-256 unavailable or not cloneable", e);
    } finally {
      Arrays.fill(password, (byte) 0);
      Arrays.fill(inner, (byte) 0);
      Arrays.fill(outer, (byte) 0);
      Arrays.fill(u, (byte) 0);
      Arrays.fill(t, (byte) 0);
    }
  }

  /**
   * {@code into = HMAC(message)}, from the digests already keyed with the inner and outer pads;
   * {@code message} may be {@code into}.
   */
  private static void hmac(MessageDigest innerKeyed, MessageDigest outerKeyed, byte[] message, byte[] into)
      throws CloneNotSupportedException, DigestException {
    MessageDigest d = (MessageDigest) innerKeyed.clone();
    d.update(message);
    d.digest(into, 0, HASH);
    d = (MessageDigest) outerKeyed.clone();
    d.update(into, 0, HASH);
    d.digest(into, 0, HASH);
  }

  @SuppressWarnings("ByteBufferBackingArray") // wipes the whole backing array on purpose
  private static byte[] utf8(char[] passphrase) {
    ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    if (b.hasArray()) {
      Arrays.fill(b.array(), (byte) 0);
    }
    return bytes;
  }
}
