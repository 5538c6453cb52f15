package dev.drkit.backup.internal;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import org.jspecify.annotations.Nullable;
import dev.drkit.core.IntegrityException;

/**
 * Encodes one blob: keyed id of the plaintext, zstd compression with a stored-raw fallback when
 * compression saves less than 1/32, then sealing with associated data {@code type || id}. Decoding
 * reverses it and re-checks the id; every decode failure of any kind (authentication, an impossible
 * length, a corrupt zstd frame, an unknown codec) becomes an {@link IntegrityException} naming the
 * blob and its pack. Thread-safe.
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
  /** Largest plaintext a blob can have: the chunker's maximum chunk size is at most 64 MiB. */
  public static final int MAX_RAW_LENGTH = 64 << 20;

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
   * @return a compression context at this codec's level, for {@link #compress(byte[], int, int,
   *     byte[], ZstdCompressCtx)}; the caller closes it (it holds native memory)
   */
  public ZstdCompressCtx newCompressor() {
    ZstdCompressCtx c = new ZstdCompressCtx();
    c.setLevel(level);
    return c;
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
    return encode(type, id, data, off, len, null);
  }

  /**
   * @param len plaintext length
   * @return the scratch size {@link #encode(byte, Id, byte[], int, int, byte[])} needs for it
   */
  public static int scratchSize(int len) {
    return 1 + Math.max((int) Zstd.compressBound(len), len);
  }

  /**
   * Like {@link #encode(byte, Id, byte[], int, int)}, compressing into a caller's scratch buffer
   * (reused across blobs by one thread) instead of a new array; only the sealed bytes are new.
   *
   * @param type blob type
   * @param id the id (from {@link #id})
   * @param data plaintext
   * @param off start
   * @param len length
   * @param scratch at least {@link #scratchSize(int)} bytes, or null for a new array
   * @return the encoded blob (it does not refer to {@code scratch})
   */
  public Encoded encode(byte type, Id id, byte[] data, int off, int len, byte @Nullable [] scratch) {
    int need = scratchSize(len);
    byte[] buf = scratch != null && scratch.length >= need ? scratch : new byte[need];
    int payload = compress(data, off, len, buf);
    return new Encoded(type, id, len, crypto.seal(buf, 0, payload, aad(type, id)));
  }

  /**
   * The first step of encoding: the payload (a codec byte, then the zstd frame, or the plaintext
   * itself when compression saves less than 1/32) written to the start of {@code scratch}. A backup
   * then seals it straight into its pack ({@link #sealInto}).
   *
   * @param data plaintext
   * @param off start
   * @param len length
   * @param scratch at least {@link #scratchSize(int)} bytes
   * @return the payload's length in {@code scratch}
   * @throws IllegalArgumentException when {@code scratch} is too small
   */
  public int compress(byte[] data, int off, int len, byte[] scratch) {
    return compress(data, off, len, scratch, null);
  }

  /**
   * Like {@link #compress(byte[], int, int, byte[])}, through a caller's compression context (a
   * backup worker keeps one for all its chunks: zstd then does not create and initialize a context
   * per chunk). The payload is byte for byte what a fresh context makes.
   *
   * @param data plaintext
   * @param off start
   * @param len length
   * @param scratch at least {@link #scratchSize(int)} bytes
   * @param zstd a context made by {@link #newCompressor()}, used by one thread at a time, or null
   *     for a fresh one
   * @return the payload's length in {@code scratch}
   * @throws IllegalArgumentException when {@code scratch} is too small
   */
  public int compress(byte[] data, int off, int len, byte[] scratch, @Nullable ZstdCompressCtx zstd) {
    if (scratch.length < scratchSize(len)) {
      throw new IllegalArgumentException("scratch of " + scratch.length + " bytes for " + len);
    }
    int bound = (int) Zstd.compressBound(len);
    int clen;
    if (len < 64) {
      clen = len;
    } else if (zstd == null) {
      clen = (int) Zstd.compressByteArray(scratch, 1, bound, data, off, len, level);
    } else {
      try {
        clen = zstd.compressByteArray(scratch, 1, bound, data, off, len);
      } catch (ZstdException e) {
        clen = len; // stored raw, as when the static call reports an error
      }
    }
    if (Zstd.isError(clen)) {
      clen = len;
    }
    if (clen < len - (len >> 5)) {
      scratch[0] = ZSTD;
      return 1 + clen;
    }
    scratch[0] = RAW;
    System.arraycopy(data, off, scratch, 1, len);
    return 1 + len;
  }

  /**
   * @param payloadLength a payload's length (from {@link #compress})
   * @return the length of the sealed blob {@link #sealInto} makes of it
   */
  public int sealedLength(int payloadLength) {
    return Math.toIntExact(crypto.sealedLength(payloadLength));
  }

  /**
   * The second step of encoding: seals a payload with associated data {@code type || id} into a
   * caller's buffer (a pack), the same bytes {@link #encode(byte, Id, byte[], int, int)} stores.
   *
   * @param type blob type
   * @param id keyed id of the plaintext
   * @param payload the payload buffer (from {@link #compress})
   * @param payloadLength its length
   * @param out where the sealed blob goes
   * @param outOff start in {@code out}
   * @return the sealed length ({@link #sealedLength})
   * @throws IllegalArgumentException when {@code out} cannot hold it
   */
  public int sealInto(byte type, Id id, byte[] payload, int payloadLength, byte[] out, int outOff) {
    return crypto.sealInto(payload, 0, payloadLength, aad(type, id), out, outOff);
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
    return decode(type, id, rawLength, sealed, off, len, where, true);
  }

  /**
   * @param type blob type
   * @param id expected id
   * @param rawLength expected plaintext length
   * @param sealed stored bytes
   * @param off start
   * @param len length
   * @param where the pack, for errors
   * @param rehash whether to recompute the keyed id even when AES-GCM already authenticated the
   *     blob under associated data {@code type || id} (unencrypted blobs are always re-hashed)
   * @return the plaintext, verified
   * @throws IntegrityException naming the blob and pack when anything does not match
   */
  public byte[] decode(byte type, Id id, int rawLength, byte[] sealed, int off, int len, String where,
      boolean rehash) {
    String what = "blob " + id.hex() + " in " + where;
    if (rawLength < 0 || rawLength > MAX_RAW_LENGTH) {
      throw new IntegrityException(what + " has an impossible length " + rawLength + " (damaged index or header)");
    }
    if (off < 0 || len < 0 || (long) off + len > sealed.length) {
      throw new IntegrityException(what + " extends past the end of the pack (truncated)");
    }
    byte[] plain;
    try {
      plain = decodePayload(crypto.open(sealed, off, len, aad(type, id), what), rawLength, what);
    } catch (IntegrityException e) {
      throw e;
    } catch (RuntimeException e) {
      // zstd-jni throws ZstdException for corrupt frames; any other decode failure is damage too
      String detail = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      throw new IntegrityException(what + " cannot be decoded (damaged): " + detail, e);
    }
    if (plain.length != rawLength) {
      throw new IntegrityException(what + " decodes to " + plain.length + " bytes instead of " + rawLength
          + " (damaged)");
    }
    if ((rehash || !crypto.encrypted()) && !crypto.blobId(plain, 0, plain.length).equals(id)) {
      throw new IntegrityException(what + " does not match its id (damaged)");
    }
    return plain;
  }

  /**
   * A thread's reusable buffers for {@link #decodeInto}: the opened payload and the decompressed
   * plaintext, each grown to the largest blob the thread decoded. Not thread-safe.
   */
  public static final class Scratch {
    private byte[] payload = new byte[0];
    private byte[] plain = new byte[0];
    private byte[] data = plain;
    private int offset;

    /** @return the array holding the plaintext of the last {@link #decodeInto} */
    public byte[] data() {
      return data;
    }

    /** @return where that plaintext starts in {@link #data()} */
    public int offset() {
      return offset;
    }
  }

  /**
   * Like {@link #decode(byte, Id, int, byte[], int, int, String, boolean)}, without new arrays:
   * the payload is opened into {@code scratch} (or, unencrypted, read where it lies), a raw blob's
   * plaintext is that payload itself and a zstd blob's is decompressed into {@code scratch}.
   * The plaintext is verified exactly as {@code decode} verifies it before this returns.
   *
   * @param type blob type
   * @param id expected id
   * @param rawLength expected plaintext length
   * @param sealed stored bytes
   * @param off start
   * @param len length
   * @param where the pack, for errors
   * @param rehash as for {@link #decode(byte, Id, int, byte[], int, int, String, boolean)}
   * @param scratch this thread's buffers; on return its {@link Scratch#data()} holds the plaintext
   *     from {@link Scratch#offset()} (which may be inside {@code sealed} when unencrypted)
   * @return the plaintext length ({@code rawLength})
   * @throws IntegrityException naming the blob and pack when anything does not match
   */
  public int decodeInto(byte type, Id id, int rawLength, byte[] sealed, int off, int len, String where,
      boolean rehash, Scratch scratch) {
    if (rawLength < 0 || rawLength > MAX_RAW_LENGTH) {
      throw new IntegrityException(what(id, where) + " has an impossible length " + rawLength
          + " (damaged index or header)");
    }
    if (off < 0 || len < 0 || (long) off + len > sealed.length) {
      throw new IntegrityException(what(id, where) + " extends past the end of the pack (truncated)");
    }
    int n;
    try {
      byte[] payload;
      int pOff;
      int pLen;
      if (crypto.encrypted()) {
        String what = what(id, where);
        int need = crypto.openedLength(len, what);
        if (scratch.payload.length < need) {
          scratch.payload = new byte[need];
        }
        payload = scratch.payload;
        pOff = 0;
        pLen = crypto.openInto(sealed, off, len, aad(type, id), what, payload, 0);
      } else {
        payload = sealed;
        pOff = off;
        pLen = len;
      }
      if (pLen < 1) {
        throw new IntegrityException(what(id, where) + " is empty (damaged)");
      }
      if (payload[pOff] == RAW) {
        scratch.data = payload;
        scratch.offset = pOff + 1;
        n = pLen - 1;
      } else if (payload[pOff] == ZSTD) {
        if (scratch.plain.length < rawLength) {
          scratch.plain = new byte[rawLength];
        }
        long d = Zstd.decompressByteArray(scratch.plain, 0, rawLength, payload, pOff + 1, pLen - 1);
        if (Zstd.isError(d) || d != rawLength) {
          throw new IntegrityException(what(id, where) + " does not decompress to " + rawLength + " bytes (damaged)");
        }
        scratch.data = scratch.plain;
        scratch.offset = 0;
        n = rawLength;
      } else {
        throw new IntegrityException(what(id, where) + " has unknown codec " + payload[pOff] + " (damaged)");
      }
    } catch (IntegrityException e) {
      throw e;
    } catch (RuntimeException e) {
      String detail = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      throw new IntegrityException(what(id, where) + " cannot be decoded (damaged): " + detail, e);
    }
    if (n != rawLength) {
      throw new IntegrityException(what(id, where) + " decodes to " + n + " bytes instead of " + rawLength
          + " (damaged)");
    }
    if ((rehash || !crypto.encrypted()) && !crypto.blobId(scratch.data, scratch.offset, n).equals(id)) {
      throw new IntegrityException(what(id, where) + " does not match its id (damaged)");
    }
    return n;
  }

  private static String what(Id id, String where) {
    return "blob " + id.hex() + " in " + where;
  }

  private static byte[] decodePayload(byte[] payload, int rawLength, String what) {
    if (payload.length < 1) {
      throw new IntegrityException(what + " is empty (damaged)");
    }
    if (payload[0] == RAW) {
      byte[] plain = new byte[payload.length - 1];
      System.arraycopy(payload, 1, plain, 0, plain.length);
      return plain;
    }
    if (payload[0] == ZSTD) {
      byte[] plain = new byte[rawLength];
      long n = Zstd.decompressByteArray(plain, 0, rawLength, payload, 1, payload.length - 1);
      if (Zstd.isError(n) || n != rawLength) {
        throw new IntegrityException(what + " does not decompress to " + rawLength + " bytes (damaged)");
      }
      return plain;
    }
    throw new IntegrityException(what + " has unknown codec " + payload[0] + " (damaged)");
  }

  private static byte[] aad(byte type, Id id) {
    byte[] a = new byte[1 + Id.LENGTH];
    a[0] = type;
    System.arraycopy(id.bytes(), 0, a, 1, Id.LENGTH);
    return a;
  }
}
