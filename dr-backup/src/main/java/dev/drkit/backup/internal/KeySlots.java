package dev.drkit.backup.internal;

import dev.drkit.core.IntegrityException;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Key slots: the master key material wrapped (AES-256-GCM) by a key derived from a passphrase with
 * PBKDF2-HMAC-SHA256. Stored as JSON under {@code keys/<sha256 of the file>}.
 */
public final class KeySlots {
  /** The minimum (and default) PBKDF2 iteration count. */
  public static final int MIN_ITERATIONS = 600_000;

  private KeySlots() {}

  /**
   * The JSON form of a slot.
   *
   * @param version format version (1)
   * @param kdf always {@code pbkdf2-hmac-sha256}
   * @param iterations PBKDF2 iterations
   * @param salt base64 of 32 random bytes
   * @param created creation time (ISO-8601)
   * @param host the host that created it
   * @param data base64 of {@code nonce || AES-GCM(master material) || tag}, AAD {@code drkit-key:<repo id>}
   */
  public record Slot(int version, String kdf, int iterations, String salt, String created, String host, String data) {}

  /**
   * @param repoId the repository id
   * @param material the material to wrap
   * @param passphrase the passphrase that will open the slot (not kept)
   * @param iterations PBKDF2 iterations
   * @param created creation time
   * @param host creating host
   * @return the slot's JSON bytes
   */
  public static byte[] create(String repoId, KeyMaterial material, char[] passphrase, int iterations, Instant created,
      String host) {
    byte[] salt = Crypto.random(32);
    SecretKeySpec kek = derive(passphrase, salt, iterations);
    try {
      byte[] sealed = Crypto.seal(kek, Cipher.getInstance("AES/GCM/NoPadding"), material.toBytes(), 0,
          KeyMaterial.LENGTH, Crypto.aad("drkit-key:" + repoId));
      Base64.Encoder b64 = Base64.getEncoder();
      return Json.write(new Slot(1, "pbkdf2-hmac-sha256", iterations, b64.encodeToString(salt), created.toString(), host,
          b64.encodeToString(sealed)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Checks a stored slot against its name (the SHA-256 of its bytes) and parses it.
   *
   * @param data the slot's bytes
   * @param key the slot's key ({@code keys/<sha256>})
   * @return the parsed slot
   * @throws IntegrityException when damaged or malformed
   */
  public static Slot read(byte[] data, String key) {
    if (!Crypto.sha256(data).hex().equals(key.substring(key.lastIndexOf('/') + 1))) {
      throw new IntegrityException("key slot " + key + " does not match its name (damaged)");
    }
    return parse(data, key);
  }

  /**
   * @param json the slot's bytes
   * @param name the slot's key, for errors
   * @return the parsed slot
   * @throws IntegrityException when malformed
   */
  @SuppressWarnings("NullAway") // a missing member is refused right below, before the slot is returned
  public static Slot parse(byte[] json, String name) {
    String what = "key slot " + name;
    Map<String, @Nullable Object> m = Json.readFlat(json, what);
    Slot s = new Slot(Json.integer(m, "version", what), Json.string(m, "kdf", what), Json.integer(m, "iterations", what),
        Json.string(m, "salt", what), Json.string(m, "created", what), Json.string(m, "host", what),
        Json.string(m, "data", what));
    if (!"pbkdf2-hmac-sha256".equals(s.kdf()) || s.iterations() < 1 || s.salt() == null || s.data() == null) {
      throw new IntegrityException("key slot " + name + " is malformed (kdf " + s.kdf() + ")");
    }
    return s;
  }

  /**
   * @param slot one key slot of the repository's key file
   * @param repoId the repository id
   * @param passphrase a candidate passphrase
   * @return the master material, or empty when the passphrase does not open this slot
   */
  public static Optional<KeyMaterial> tryOpen(Slot slot, String repoId, char[] passphrase) {
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] salt;
    byte[] data;
    try {
      salt = b64.decode(slot.salt());
      data = b64.decode(slot.data());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    SecretKeySpec kek = derive(passphrase, salt, slot.iterations());
    try {
      byte[] plain = Crypto.open(kek, Cipher.getInstance("AES/GCM/NoPadding"), data, 0, data.length,
          Crypto.aad("drkit-key:" + repoId));
      if (plain.length != KeyMaterial.LENGTH) {
        return Optional.empty();
      }
      return Optional.of(KeyMaterial.parse(plain));
    } catch (AEADBadTagException e) {
      return Optional.empty();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static SecretKeySpec derive(char[] passphrase, byte[] salt, int iterations) {
    byte[] k = Pbkdf2.deriveHmacSha256(passphrase, salt, iterations, 32);
    SecretKeySpec key = new SecretKeySpec(k, "AES");
    Arrays.fill(k, (byte) 0);
    return key;
  }
}
