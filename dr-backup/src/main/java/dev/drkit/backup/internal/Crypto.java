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
 * (AES-256-GCM, random 96-bit nonce per message, output {@code nonce || ciphertext || tag}), or
 * the identity when the repository is explicitly unencrypted. Thread-safe (per-thread cipher and
 * MAC instances).
 */
public final class Crypto {
  /** Bytes a sealed message adds to its plaintext when encrypting. */
  public static final int OVERHEAD = 12 + 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final boolean encrypted;
  private final SecretKeySpec encKey;
  private final SecretKeySpec idKey;
  private final ThreadLocal<Cipher> ciphers;
  private final ThreadLocal<Mac> macs;

  /**
   * @param material the master key material (enc key, id key, gear seed)
   * @param encrypted whether to encrypt (false only for explicitly unencrypted repositories)
   */
  public Crypto(KeyMaterial material, boolean encrypted) {
    this.encrypted = encrypted;
    this.encKey = new SecretKeySpec(material.encKey(), "AES");
    this.idKey = new SecretKeySpec(material.idKey(), "HmacSHA256");
    this.ciphers = ThreadLocal.withInitial(() -> {
      try {
        return Cipher.getInstance("AES/GCM/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES/GCM unavailable", e);
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
    m.update(data, off, len);
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
    try {
      return Id.of(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Encrypts.
   *
   * @param plain the plaintext buffer
   * @param off start
   * @param len length
   * @param aad associated data bound to the ciphertext
   * @return {@code nonce || ciphertext || tag}, or a copy of the plaintext when unencrypted
   */
  public byte[] seal(byte[] plain, int off, int len, byte[] aad) {
    if (!encrypted) {
      return Arrays.copyOfRange(plain, off, off + len);
    }
    return seal(encKey, ciphers.get(), plain, off, len, aad);
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

  /**
   * Decrypts and authenticates.
   *
   * @param sealed the sealed message buffer
   * @param off start
   * @param len length
   * @param aad the associated data it was sealed with
   * @param what the object's name for the error message
   * @return the plaintext
   * @throws IntegrityException naming {@code what} when authentication fails
   */
  public byte[] open(byte[] sealed, int off, int len, byte[] aad, String what) {
    if (!encrypted) {
      return Arrays.copyOfRange(sealed, off, off + len);
    }
    try {
      return open(encKey, ciphers.get(), sealed, off, len, aad);
    } catch (AEADBadTagException e) {
      throw new IntegrityException(what + " failed authentication (damaged or tampered ciphertext)", e);
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
