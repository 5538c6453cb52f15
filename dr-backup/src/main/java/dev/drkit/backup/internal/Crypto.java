package dev.drkit.backup.internal;

import dev.drkit.core.IntegrityException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The repository's cryptography: keyed blob ids (HMAC-SHA-256) and authenticated encryption
 * (AES-256-GCM or ChaCha20-Poly1305, a random 96-bit nonce per message, output
 * {@code nonce || ciphertext || tag(16)} either way), or the identity when the repository is
 * explicitly unencrypted. Thread-safe (per-thread cipher and MAC instances).
 */
public final class Crypto {
  /** The authenticated encryption of repository objects (key slots always use AES-256-GCM). */
  public enum Aead {
    /** AES-256 in Galois/counter mode: fastest where the CPU has AES and carry-less multiply. */
    AES_256_GCM("aes-256-gcm", "AES/GCM/NoPadding", "AES"),
    /** ChaCha20-Poly1305 (RFC 8439): constant-time in software, for CPUs without AES instructions. */
    CHACHA20_POLY1305("chacha20-poly1305", "ChaCha20-Poly1305", "ChaCha20");

    private final String configName;
    private final String transformation;
    private final String keyAlgorithm;

    Aead(String configName, String transformation, String keyAlgorithm) {
      this.configName = configName;
      this.transformation = transformation;
      this.keyAlgorithm = keyAlgorithm;
    }

    /** @return the name in the repository config ({@code aes-256-gcm}, {@code chacha20-poly1305}) */
    public String configName() {
      return configName;
    }

    /**
     * @param name a config name
     * @return the algorithm, or null when the name is none of them
     */
    public static @org.jspecify.annotations.Nullable Aead ofConfigName(String name) {
      for (Aead a : values()) {
        if (a.configName.equals(name)) {
          return a;
        }
      }
      return null;
    }

    java.security.spec.AlgorithmParameterSpec params(byte[] buf, int off) {
      return this == AES_256_GCM ? new GCMParameterSpec(128, buf, off, 12)
          : new javax.crypto.spec.IvParameterSpec(buf, off, 12);
    }
  }

  /** Bytes a sealed message adds to its plaintext when encrypting. */
  public static final int OVERHEAD = 12 + 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final boolean encrypted;
  private final Aead aead;
  private final SecretKeySpec encKey;
  private final SecretKeySpec idKey;
  private final ThreadLocal<Cipher> ciphers;
  private final ThreadLocal<Mac> macs;

  /**
   * @param material the master key material (enc key, id key, gear seed)
   * @param encrypted whether to encrypt (false only for explicitly unencrypted repositories), with AES-256-GCM
   */
  public Crypto(KeyMaterial material, boolean encrypted) {
    this(material, encrypted ? Aead.AES_256_GCM : null);
  }

  /**
   * @param material the master key material (enc key, id key, gear seed)
   * @param aead the encryption, or null for an explicitly unencrypted repository
   */
  public Crypto(KeyMaterial material, @org.jspecify.annotations.Nullable Aead aead) {
    this.encrypted = aead != null;
    this.aead = aead == null ? Aead.AES_256_GCM : aead;
    Aead a = this.aead;
    this.encKey = new SecretKeySpec(material.encKey(), a.keyAlgorithm);
    this.idKey = new SecretKeySpec(material.idKey(), "HmacSHA256");
    this.ciphers = ThreadLocal.withInitial(() -> {
      try {
        return Cipher.getInstance(a.transformation);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(a.transformation + " unavailable", e);
      }
    });
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(idKey);
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARM =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Once per JVM, runs a few thousand small seal/open/HMAC operations on a throw-away key so that
   * the JIT compiles the JDK's AES-GCM and SHA-256 paths (with their CPU intrinsics) before large
   * buffers arrive: cold, the first ~100 MiB would run interpreted at a fraction of the speed.
   * Called only before operations that process a lot of data.
   */
  public static void warmUp() {
    if (!WARM.compareAndSet(false, true)) {
      return;
    }
    Crypto w = new Crypto(KeyMaterial.generate(), true);
    byte[] s = new byte[2048];
    byte[] aad = new byte[Id.LENGTH + 1];
    // the paths a backup and a restore take (sealInto, openInto), into reused arrays
    byte[] x = new byte[(int) w.sealedLength(s.length)];
    byte[] o = new byte[s.length];
    for (int i = 0; i < 5000; i++) {
      int n = w.sealInto(s, 0, s.length, aad, x, 0);
      w.openInto(x, 0, n, aad, "warm-up", o, 0);
      w.blobId(s, 0, s.length);
    }
  }

  /** @return the encryption (meaningful only when {@link #encrypted()}) */
  public Aead aead() {
    return aead;
  }

  /** @return whether messages are encrypted */
  public boolean encrypted() {
    return encrypted;
  }

  /**
   * @param data plaintext
   * @param off start
   * @param len length
   * @return the keyed id of the plaintext
   */
  public Id blobId(byte[] data, int off, int len) {
    Mac m = macs.get();
    // fed in 64 KiB slices: keeps the JDK's SHA-256 on its compiled, intrinsified path
    for (int p = off, end = off + len; p < end; p += SEGMENT) {
      m.update(data, p, Math.min(SEGMENT, end - p));
    }
    return Id.of(m.doFinal());
  }

  /** @return fresh random bytes @param n how many */
  public static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /**
   * @param data content
   * @return its SHA-256 (names of packs, index files, snapshots and key slots)
   */
  public static Id sha256(byte[] data) {
    return sha256(data, 0, data.length);
  }

  /**
   * @param data a buffer
   * @param off where the content starts
   * @param len its length
   * @return the SHA-256 of {@code data[off, off + len)}
   */
  public static Id sha256(byte[] data, int off, int len) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data, off, len);
      return Id.of(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Plaintext bytes per sealed segment. */
  public static final int SEGMENT = 64 * 1024;

  /**
   * @param plainLength a plaintext length
   * @return the length {@link #seal} makes of it
   */
  public long sealedLength(long plainLength) {
    if (!encrypted) {
      return plainLength;
    }
    return plainLength + Math.max(1, (plainLength + SEGMENT - 1) / SEGMENT) * OVERHEAD;
  }

  /**
   * Encrypts as a sequence of segments of {@link #SEGMENT} plaintext bytes (the last one shorter,
   * at least one segment): each is {@code nonce(12) || ciphertext || tag(16)} (AES-256-GCM or
   * ChaCha20-Poly1305, as the repository's config says) with
   * associated data {@code aad || uint32(index) || uint8(1 if last else 0)}, so segments cannot be
   * reordered, dropped or truncated unnoticed. (Segmenting also keeps the JDK's GCM on its fast,
   * intrinsified path, which very large single messages are not.)
   *
   * @param plain the plaintext buffer
   * @param off start
   * @param len length
   * @param aad associated data bound to the ciphertext
   * @return the sealed bytes, or a copy of the plaintext when unencrypted
   */
  public byte[] seal(byte[] plain, int off, int len, byte[] aad) {
    if (!encrypted) {
      return Arrays.copyOfRange(plain, off, off + len);
    }
    byte[] out = new byte[(int) sealedLength(len)];
    sealInto(plain, off, len, aad, out, 0);
    return out;
  }

  /**
   * Like {@link #seal}, into a caller's buffer (a backup seals each blob straight into the pack it
   * goes to). The plaintext and the output must not overlap.
   *
   * @param plain the plaintext buffer
   * @param off start
   * @param len length
   * @param aad associated data bound to the ciphertext
   * @param out where the sealed bytes go, at least {@link #sealedLength} of {@code len} bytes from
   *     {@code outOff}
   * @param outOff start in {@code out}
   * @return the sealed length ({@link #sealedLength} of {@code len})
   * @throws IllegalArgumentException when {@code out} cannot hold the sealed bytes
   */
  public int sealInto(byte[] plain, int off, int len, byte[] aad, byte[] out, int outOff) {
    int sealed = (int) sealedLength(len);
    if (outOff < 0 || out.length - outOff < sealed) {
      throw new IllegalArgumentException("buffer of " + (out.length - outOff) + " bytes for " + sealed);
    }
    if (!encrypted) {
      System.arraycopy(plain, off, out, outOff, len);
      return len;
    }
    int segments = Math.max(1, (len + SEGMENT - 1) / SEGMENT);
    byte[] segAad = Arrays.copyOf(aad, aad.length + 5);
    Cipher c = ciphers.get();
    int o = outOff;
    for (int i = 0; i < segments; i++) {
      int from = off + i * SEGMENT;
      int n = Math.min(SEGMENT, off + len - from);
      putIndex(segAad, aad.length, i, i == segments - 1);
      RANDOM.nextBytes(NONCE_SCRATCH.get());
      byte[] nonce = NONCE_SCRATCH.get();
      System.arraycopy(nonce, 0, out, o, 12);
      try {
        c.init(Cipher.ENCRYPT_MODE, encKey, aead.params(out, o));
        c.updateAAD(segAad);
        o += 12 + c.doFinal(plain, from, n, out, o + 12);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("encryption failed", e);
      }
    }
    return o - outOff;
  }

  private static final ThreadLocal<byte[]> NONCE_SCRATCH = ThreadLocal.withInitial(() -> new byte[12]);

  private static void putIndex(byte[] a, int at, int index, boolean last) {
    a[at] = (byte) (index >>> 24);
    a[at + 1] = (byte) (index >>> 16);
    a[at + 2] = (byte) (index >>> 8);
    a[at + 3] = (byte) index;
    a[at + 4] = (byte) (last ? 1 : 0);
  }

  /**
   * Decrypts and authenticates what {@link #seal} produced.
   *
   * @param sealed the sealed message buffer
   * @param off start
   * @param len length
   * @param aad the associated data it was sealed with
   * @param what the object's name for the error message
   * @return the plaintext
   * @throws IntegrityException naming {@code what} when authentication fails or the length is impossible
   */
  public byte[] open(byte[] sealed, int off, int len, byte[] aad, String what) {
    if (!encrypted) {
      return Arrays.copyOfRange(sealed, off, off + len);
    }
    byte[] out = new byte[openedLength(len, what)];
    openInto(sealed, off, len, aad, what, out, 0);
    return out;
  }

  /**
   * @param sealedLength the length of a sealed message
   * @param what the object's name for the error message
   * @return the length of its plaintext
   * @throws IntegrityException naming {@code what} when no sealed message has that length
   */
  public int openedLength(int sealedLength, String what) {
    if (!encrypted) {
      return sealedLength;
    }
    int full = SEGMENT + OVERHEAD;
    int segments = Math.max(1, (sealedLength + full - 1) / full);
    int plainLen = sealedLength - segments * OVERHEAD;
    if (plainLen < 0 || (sealedLength % full != 0 && sealedLength % full < OVERHEAD)) {
      throw new IntegrityException(what + " has an impossible sealed length " + sealedLength + " (truncated)");
    }
    return plainLen;
  }

  /**
   * Like {@link #open}, into a caller's buffer (a restore reuses one per worker instead of taking a
   * new array per blob). Nothing is returned before every segment authenticated, but on failure
   * {@code out} may hold plaintext of the segments before the damaged one: the caller must not use it.
   *
   * @param sealed the sealed message buffer
   * @param off start
   * @param len length
   * @param aad the associated data it was sealed with
   * @param what the object's name for the error message
   * @param out where the plaintext goes, at least {@link #openedLength} bytes from {@code outOff}
   * @param outOff start in {@code out}
   * @return the plaintext length
   * @throws IntegrityException naming {@code what} when authentication fails or the length is impossible
   */
  public int openInto(byte[] sealed, int off, int len, byte[] aad, String what, byte[] out, int outOff) {
    int plainLen = openedLength(len, what);
    if (out.length - outOff < plainLen) {
      throw new IllegalArgumentException("buffer of " + (out.length - outOff) + " bytes for " + plainLen);
    }
    if (!encrypted) {
      System.arraycopy(sealed, off, out, outOff, len);
      return len;
    }
    int full = SEGMENT + OVERHEAD;
    int segments = Math.max(1, (len + full - 1) / full);
    byte[] segAad = Arrays.copyOf(aad, aad.length + 5);
    int in = off;
    int o = outOff;
    try {
      for (int i = 0; i < segments; i++) {
        int n = Math.min(full, off + len - in);
        putIndex(segAad, aad.length, i, i == segments - 1);
        Cipher c = decrypting(sealed, in);
        c.updateAAD(segAad);
        o += c.doFinal(sealed, in + 12, n - 12, out, o);
        in += n;
      }
      return o - outOff;
    } catch (AEADBadTagException e) {
      throw new IntegrityException(what + " failed authentication (damaged or tampered ciphertext)", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("decryption failed", e);
    }
  }

  /**
   * This thread's cipher, initialised to decrypt with the nonce at {@code buf[off..off+12)}. The
   * JDK's ChaCha20-Poly1305 refuses to be initialised twice in a row with the same key and nonce,
   * even to decrypt (it guards against nonce reuse on encryption), so opening one message twice on
   * one thread (reading a snapshot again, say) takes a fresh instance.
   */
  private Cipher decrypting(byte[] buf, int off) throws GeneralSecurityException {
    Cipher c = ciphers.get();
    try {
      c.init(Cipher.DECRYPT_MODE, encKey, aead.params(buf, off));
      return c;
    } catch (java.security.InvalidKeyException e) {
      if (aead != Aead.CHACHA20_POLY1305) {
        throw e;
      }
      Cipher fresh = Cipher.getInstance(aead.transformation);
      fresh.init(Cipher.DECRYPT_MODE, encKey, aead.params(buf, off));
      ciphers.set(fresh);
      return fresh;
    }
  }

  static byte[] seal(SecretKeySpec key, Cipher c, byte[] plain, int off, int len, byte[] aad) {
    byte[] out = new byte[12 + len + 16];
    RANDOM.nextBytes(out);
    try {
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, out, 0, 12));
      c.updateAAD(aad);
      c.doFinal(plain, off, len, out, 12);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("encryption failed", e);
    }
  }

  static byte[] open(SecretKeySpec key, Cipher c, byte[] sealed, int off, int len, byte[] aad)
      throws AEADBadTagException {
    if (len < OVERHEAD) {
      throw new AEADBadTagException("message shorter than nonce and tag");
    }
    try {
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, off, 12));
      c.updateAAD(aad);
      return c.doFinal(sealed, off + 12, len - 12);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("decryption failed", e);
    }
  }

  /** @param s a label @return its UTF-8 bytes, used as associated data */
  public static byte[] aad(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
