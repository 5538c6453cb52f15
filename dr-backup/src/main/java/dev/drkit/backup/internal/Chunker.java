package dev.drkit.backup.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * FastCDC-style content-defined chunker with a gear rolling hash and normalized chunking: between
 * {@code min} and {@code avg} a harder mask (2 more bits) applies, after {@code avg} an easier one
 * (2 fewer bits), which narrows the size distribution around {@code avg}. The first {@code min}
 * bytes of a chunk are skipped without hashing. The gear table is derived from a per-repository
 * secret seed, so chunk boundaries do not reveal content across repositories. Stateless and
 * thread-safe.
 */
public final class Chunker {
  private final long[] gear = new long[256];
  private final int min;
  private final int avg;
  private final int max;
  private final long maskHard;
  private final long maskEasy;

  /**
   * @param seed secret seed of the gear table
   * @param min minimum chunk size
   * @param avg target average size, a power of two
   * @param max maximum chunk size
   */
  public Chunker(byte[] seed, int min, int avg, int max) {
    if (Integer.bitCount(avg) != 1 || min < 64 || min >= avg || avg >= max) {
      throw new IllegalArgumentException("chunker sizes need 64 <= min < avg < max and avg a power of two: "
          + min + "/" + avg + "/" + max);
    }
    this.min = min;
    this.avg = avg;
    this.max = max;
    int bits = Integer.numberOfTrailingZeros(avg);
    this.maskHard = highMask(bits + 2);
    this.maskEasy = highMask(bits - 2);
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (int i = 0; i < 256; i += 4) {
        sha.update(seed);
        sha.update(ByteBuffer.allocate(4).putInt(i).array());
        ByteBuffer h = ByteBuffer.wrap(sha.digest());
        for (int j = 0; j < 4; j++) {
          gear[i + j] = h.getLong();
        }
      }
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long highMask(int bits) {
    return bits >= 64 ? -1L : ~(-1L >>> bits);
  }

  /** @return the minimum chunk size */
  public int min() {
    return min;
  }

  /** @return the target average chunk size */
  public int avg() {
    return avg;
  }

  /** @return the maximum chunk size */
  public int max() {
    return max;
  }

  /**
   * Finds the end of the chunk starting at {@code off}. The caller passes at least {@code max}
   * bytes unless the data ends within them, so cut points do not depend on buffering.
   *
   * @param b data
   * @param off chunk start
   * @param len bytes available from {@code off}
   * @return the chunk's length, {@code 1..min(len, max)}
   */
  public int cut(byte[] b, int off, int len) {
    if (len <= min) {
      return len;
    }
    int n = Math.min(len, max);
    int normal = Math.min(n, avg);
    long h = 0;
    final long[] g = gear;
    int i = off + min;
    int end = off + normal;
    final long mh = maskHard;
    for (; i < end; i++) {
      h = (h << 1) + g[b[i] & 0xff];
      if ((h & mh) == 0) {
        return i - off + 1;
      }
    }
    end = off + n;
    final long me = maskEasy;
    for (; i < end; i++) {
      h = (h << 1) + g[b[i] & 0xff];
      if ((h & me) == 0) {
        return i - off + 1;
      }
    }
    return n;
  }
}
