package dev.drkit.backup.internal;

import java.util.Arrays;

/**
 * The repository master key material: 32 bytes of AES key, 32 bytes of HMAC key for blob ids and
 * 32 bytes of chunker seed; serialized as their 96-byte concatenation.
 *
 * @param encKey AES-256 key
 * @param idKey HMAC-SHA-256 key of blob ids
 * @param gearSeed seed of the chunker's gear table
 */
public record KeyMaterial(byte[] encKey, byte[] idKey, byte[] gearSeed) {
  /** Serialized length. */
  public static final int LENGTH = 96;

  /** @return fresh random material */
  public static KeyMaterial generate() {
    return parse(Crypto.random(LENGTH));
  }

  /** @param b 96 bytes @return the material */
  public static KeyMaterial parse(byte[] b) {
    if (b.length != LENGTH) {
      throw new IllegalArgumentException("key material has 96 bytes, not " + b.length);
    }
    return new KeyMaterial(Arrays.copyOfRange(b, 0, 32), Arrays.copyOfRange(b, 32, 64), Arrays.copyOfRange(b, 64, 96));
  }

  /** @return the 96 serialized bytes */
  public byte[] toBytes() {
    byte[] out = new byte[LENGTH];
    System.arraycopy(encKey, 0, out, 0, 32);
    System.arraycopy(idKey, 0, out, 32, 32);
    System.arraycopy(gearSeed, 0, out, 64, 32);
    return out;
  }
}
