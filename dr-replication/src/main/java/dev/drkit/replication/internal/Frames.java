package dev.drkit.replication.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The record frame shared by the on-disk log and the wire: {@code u32 length, u32 crc32c,
 * u64 epoch, u64 offset, u64 timestampMillis, payload[length]}, big-endian. The CRC32C covers the
 * length field and every byte after the CRC field.
 */
public final class Frames {
  /** Bytes of a frame before its payload. */
  public static final int HEADER = 32;
  /** The largest payload a record may carry. */
  public static final int MAX_PAYLOAD = 16 << 20;

  private Frames() {}

  /**
   * @param payloadLength payload size
   * @return the frame size
   */
  public static int frameSize(int payloadLength) {
    return HEADER + payloadLength;
  }

  /**
   * Writes one frame at the buffer's position and advances it.
   *
   * @param dst the buffer (must have room)
   * @param epoch the fencing epoch the record was written under
   * @param offset the record's offset in the log
   * @param timestamp timestamp millis
   * @param payload payload bytes
   * @param payloadOff start in payload
   * @param payloadLen payload length
   */
  public static void encode(ByteBuffer dst, long epoch, long offset, long timestamp, byte[] payload, int payloadOff,
      int payloadLen) {
    int start = dst.position();
    dst.putInt(payloadLen);
    dst.putInt(0);
    dst.putLong(epoch);
    dst.putLong(offset);
    dst.putLong(timestamp);
    dst.put(payload, payloadOff, payloadLen);
    int crc = crcOf(dst, start, HEADER + payloadLen);
    dst.putInt(start + 4, crc);
  }

  /**
   * @param buf a buffer holding a frame at {@code start} (absolute indexing; position untouched)
   * @param start frame start
   * @param frameLen frame length
   * @return the CRC32C the frame should carry
   */
  public static int crcOf(ByteBuffer buf, int start, int frameLen) {
    CRC32C crc = new CRC32C();
    ByteBuffer d = buf.duplicate();
    d.limit(start + 4).position(start);
    crc.update(d);
    d.limit(start + frameLen).position(start + 8);
    crc.update(d);
    return (int) crc.getValue();
  }

  /**
   * Checks the frame at {@code start}. Absolute indexing; the buffer's position is untouched.
   *
   * @param buf the buffer
   * @param start where the frame starts
   * @param end the end of valid bytes in the buffer
   * @return the frame length if a complete frame with a matching CRC is there, {@code -1} if the
   *     bytes are too few for the frame they announce, {@code -2} if the length is impossible, or
   *     {@code -3} on a CRC mismatch
   */
  public static int check(ByteBuffer buf, int start, int end) {
    if (end - start < HEADER) {
      return -1;
    }
    int len = buf.getInt(start);
    if (len < 0 || len > MAX_PAYLOAD) {
      return -2;
    }
    int frameLen = HEADER + len;
    if (end - start < frameLen) {
      return -1;
    }
    if (crcOf(buf, start, frameLen) != buf.getInt(start + 4)) {
      return -3;
    }
    return frameLen;
  }

  /**
   * @param buf the buffer
   * @param start where a frame header would start
   * @param end the end of valid bytes in the buffer
   * @return whether no frame starts there: fewer than {@link #HEADER} bytes remain, or the header
   *     is all zero (zero-filled space; a written header never is, its CRC32C covers it)
   */
  public static boolean endOfData(ByteBuffer buf, int start, int end) {
    if (end - start < HEADER) {
      return true;
    }
    for (int i = start; i < start + HEADER; i += 8) {
      if (buf.getLong(i) != 0) {
        return false;
      }
    }
    return true;
  }

  /** @param buf buffer @param start frame start @return the payload length field */
  public static int payloadLength(ByteBuffer buf, int start) {
    return buf.getInt(start);
  }

  /** @param buf buffer @param start frame start @return the epoch field */
  public static long epoch(ByteBuffer buf, int start) {
    return buf.getLong(start + 8);
  }

  /** @param buf buffer @param start frame start @return the offset field */
  public static long offset(ByteBuffer buf, int start) {
    return buf.getLong(start + 16);
  }

  /** @param buf buffer @param start frame start @return the timestamp field */
  public static long timestamp(ByteBuffer buf, int start) {
    return buf.getLong(start + 24);
  }

  /** @param buf buffer @param start frame start @return a copy of the payload */
  public static byte[] payload(ByteBuffer buf, int start) {
    int len = buf.getInt(start);
    byte[] out = new byte[len];
    buf.get(start + HEADER, out, 0, len);
    return out;
  }
}
