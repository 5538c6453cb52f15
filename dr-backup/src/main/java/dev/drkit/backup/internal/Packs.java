package dev.drkit.backup.internal;

import dev.drkit.core.IntegrityException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The pack file format: {@code blob* sealedHeader u32(len(sealedHeader))}. The header plaintext is
 * {@code "DRKP" u8(1) u32(count) (u8 type, 32 id, u32 rawLength, u32 length)*}; blob offsets are
 * cumulative from 0 in header order. Sealed with associated data {@code drkit-pack-header}.
 */
public final class Packs {
  private static final byte[] MAGIC = {'D', 'R', 'K', 'P'};
  private static final byte[] AAD = Crypto.aad("drkit-pack-header");
  /** Bytes of one blob's entry in a pack's header (before the header is sealed). */
  static final int ENTRY = 1 + Id.LENGTH + 4 + 4;

  private Packs() {}

  /** @param id a pack id @return its blob store key */
  public static String key(Id id) {
    String h = id.hex();
    return "packs/" + h.substring(0, 2) + "/" + h;
  }

  /**
   * @param key a blob store key under {@code packs/}
   * @return the pack id, or null when the key is not a pack's
   */
  public static @Nullable Id idOfKey(String key) {
    int slash = key.lastIndexOf('/');
    try {
      return Id.parse(key.substring(slash + 1));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * A blob as a pack's header lists it.
   *
   * @param type blob type
   * @param id keyed id of its plaintext
   * @param rawLength plaintext length
   * @param length sealed length: the bytes it takes in the pack
   */
  public record Slot(byte type, Id id, int rawLength, int length) {}

  /**
   * @param crypto seals the header
   * @param count blobs in the pack
   * @return the bytes after a pack's blobs: the sealed header and its 4-byte length
   */
  public static int trailerLength(Crypto crypto, int count) {
    return Math.toIntExact(crypto.sealedLength(MAGIC.length + 1 + 4 + (long) count * ENTRY) + 4);
  }

  /**
   * Completes a pack whose blobs lie in {@code pack[0, dataEnd)} in the order of {@code blobs}:
   * writes the sealed header and its length after them.
   *
   * @param crypto encrypts and authenticates the header
   * @param blobs the pack's blobs in order (their lengths add up to {@code dataEnd})
   * @param pack the buffer holding the blobs, with room for {@link #trailerLength} more bytes
   * @param dataEnd where the blobs end
   * @return the pack's length: {@code dataEnd + trailerLength(crypto, blobs.size())}
   * @throws IllegalArgumentException when the trailer does not fit in {@code pack}
   */
  public static int writeTrailer(Crypto crypto, List<Slot> blobs, byte[] pack, int dataEnd) {
    ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 1 + 4 + blobs.size() * ENTRY);
    header.put(MAGIC).put((byte) 1).putInt(blobs.size());
    for (Slot b : blobs) {
      header.put(b.type());
      b.id().writeTo(header);
      header.putInt(b.rawLength()).putInt(b.length());
    }
    int hlen = crypto.sealInto(header.array(), 0, header.position(), AAD, pack, dataEnd);
    if (pack.length - dataEnd - hlen < 4) {
      throw new IllegalArgumentException("pack buffer of " + pack.length + " bytes has no room for the header length");
    }
    ByteBuffer.wrap(pack, dataEnd + hlen, 4).putInt(hlen);
    return dataEnd + hlen + 4;
  }

  /**
   * Parses the header from the pack's tail.
   *
   * @param crypto decrypts and authenticates the header
   * @param packId the pack's id
   * @param tail the last bytes of the pack (at least the sealed header and its length)
   * @param packLength the pack's total length
   * @return the blobs it holds
   * @throws IntegrityException naming the pack when malformed
   */
  public static List<PackEntry> parseHeader(Crypto crypto, Id packId, byte[] tail, long packLength) {
    String what = "header of pack " + packId.hex();
    if (tail.length < 4) {
      throw new IntegrityException(what + " is truncated");
    }
    int hlen = ByteBuffer.wrap(tail, tail.length - 4, 4).getInt();
    if (hlen < 0 || hlen > tail.length - 4 || hlen > packLength - 4) {
      throw new IntegrityException(what + " has an impossible length " + hlen);
    }
    byte[] plain = crypto.open(tail, tail.length - 4 - hlen, hlen, AAD, what);
    ByteBuffer h = ByteBuffer.wrap(plain);
    try {
      byte[] magic = new byte[4];
      h.get(magic);
      if (!java.util.Arrays.equals(magic, MAGIC) || h.get() != 1) {
        throw new IntegrityException(what + " has a bad magic or version");
      }
      int count = h.getInt();
      if (count < 0 || count > (plain.length - 9) / ENTRY) {
        throw new IntegrityException(what + " has an impossible blob count " + count);
      }
      List<PackEntry> out = new ArrayList<>(count);
      long offset = 0;
      long dataEnd = packLength - 4 - hlen;
      for (int i = 0; i < count; i++) {
        byte type = h.get();
        byte[] id = new byte[Id.LENGTH];
        h.get(id);
        int raw = h.getInt();
        int len = h.getInt();
        if (len < 0 || raw < 0 || offset + len > dataEnd) {
          throw new IntegrityException(what + " lists a blob past the data area");
        }
        out.add(new PackEntry(packId, type, Id.of(id), (int) offset, len, raw));
        offset += len;
      }
      return out;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IntegrityException(what + " is truncated", e);
    }
  }
}
