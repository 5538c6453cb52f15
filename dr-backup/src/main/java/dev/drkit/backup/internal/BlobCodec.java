package dev.drkit.backup.internal;

import com.github.luben.zstd.Zstd;
import dev.drkit.core.IntegrityException;

/**
 * Encodes one blob: keyed id of the plaintext, zstd compression with a stored-raw fallback when
 * compression saves less than 1/32, then sealing with associated data {@code type || id}. Decoding
 * reverses it and re-checks the id. Thread-safe.
 */
public final class BlobCodec {
  /** Codec byte: stored raw. */
  public static final byte RAW = 0;
  /** Codec byte: zstd frame. */
  public static final byte ZSTD = 1;
  /** Blob type: file content. */
  public static final byte DATA = 0;
  /** Blob type: a piece of a snapshot's entry stream. */
  public static final byte TREE = 1;

  private final Crypto crypto;
  private final int level;

  /**
   * @param crypto the repository's crypto
   * @param level zstd level
   */
  public BlobCodec(Crypto crypto, int level) {
    this.crypto = crypto;
    this.level = level;
  }

  /**
   * An encoded blob.
   *
   * @param type blob type
   * @param id keyed id of the plaintext
   * @param rawLength plaintext length
   * @param sealed the bytes stored in a pack
   */
  public record Encoded(byte type, Id id, int rawLength, byte[] sealed) {}

  /** @return the crypto */
  public Crypto crypto() {
    return crypto;
  }

  /**
   * @param data plaintext
   * @param off start
   * @param len length
   * @return its keyed id
   */
  public Id id(byte[] data, int off, int len) {
    return crypto.blobId(data, off, len);
  }

  /**
   * @param type blob type
   * @param id the id (from {@link #id})
   * @param data plaintext
   * @param off start
   * @param len length
   * @return the encoded blob
   */
  public Encoded encode(byte type, Id id, byte[] data, int off, int len) {
    int bound = (int) Zstd.compressBound(len);
    byte[] buf = new byte[1 + Math.max(bound, len)];
    int clen = len < 64 ? len : (int) Zstd.compressByteArray(buf, 1, bound, data, off, len, level);
    if (Zstd.isError(clen)) {
      clen = len;
    }
    int payload;
    if (clen < len - (len >> 5)) {
      buf[0] = ZSTD;
      payload = 1 + clen;
    } else {
      buf[0] = RAW;
      System.arraycopy(data, off, buf, 1, len);
      payload = 1 + len;
    }
    return new Encoded(type, id, len, crypto.seal(buf, 0, payload, aad(type, id)));
  }

  /**
   * @param type blob type
   * @param id expected id
   * @param rawLength expected plaintext length
   * @param sealed stored bytes
   * @param off start
   * @param len length
   * @param where the pack, for errors
   * @return the plaintext, verified against {@code id}
   * @throws IntegrityException naming the blob and pack when anything does not match
   */
  public byte[] decode(byte type, Id id, int rawLength, byte[] sealed, int off, int len, String where) {
    String what = "blob " + id.hex() + " in " + where;
    byte[] payload = crypto.open(sealed, off, len, aad(type, id), what);
    if (payload.length < 1) {
      throw new IntegrityException(what + " is empty");
    }
    byte[] plain;
    if (payload[0] == RAW) {
      plain = new byte[payload.length - 1];
      System.arraycopy(payload, 1, plain, 0, plain.length);
    } else if (payload[0] == ZSTD) {
      plain = new byte[rawLength];
      long n = Zstd.decompressByteArray(plain, 0, rawLength, payload, 1, payload.length - 1);
      if (Zstd.isError(n) || n != rawLength) {
        throw new IntegrityException(what + " does not decompress to " + rawLength + " bytes");
      }
    } else {
      throw new IntegrityException(what + " has unknown codec " + payload[0]);
    }
    if (plain.length != rawLength || !crypto.blobId(plain, 0, plain.length).equals(id)) {
      throw new IntegrityException(what + " does not match its id (damaged)");
    }
    return plain;
  }

  private static byte[] aad(byte type, Id id) {
    byte[] a = new byte[1 + Id.LENGTH];
    a[0] = type;
    System.arraycopy(id.bytes(), 0, a, 1, Id.LENGTH);
    return a;
  }
}
