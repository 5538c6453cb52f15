package dev.drkit.backup.internal;

import java.time.Instant;

/**
 * Writes an instant exactly as {@link Instant#toString()} does ({@code 2024-05-01T10:15:30.120Z}:
 * {@code yyyy-MM-ddTHH:mm:ss}, then 3, 6 or 9 fraction digits when the nanoseconds are not zero, then
 * {@code Z}), without a formatter, a {@code LocalDateTime} or a temporary string. The file scan
 * writes one per file into its change key ({@code dev:inode:ctime}), whose bytes earlier snapshots
 * hold, so the output must stay identical to {@code Instant.toString()}; years outside 0000-9999
 * (rare: {@code Instant.toString()} writes a sign and more digits) are delegated to it.
 */
public final class IsoInstants {
  /** 0000-01-01T00:00:00Z. */
  private static final long MIN_FAST = -62_167_219_200L;
  /** 9999-12-31T23:59:59Z. */
  private static final long MAX_FAST = 253_402_300_799L;

  private IsoInstants() {}

  /**
   * Appends {@code Instant.ofEpochSecond(epochSecond, nano).toString()}.
   *
   * @param sb where to append
   * @param epochSecond seconds since 1970-01-01T00:00:00Z
   * @param nano nanoseconds within the second, 0-999,999,999
   * @return {@code sb}
   * @throws IllegalArgumentException when {@code nano} is out of range
   * @throws java.time.DateTimeException when the instant is outside {@link Instant}'s range
   */
  public static StringBuilder append(StringBuilder sb, long epochSecond, int nano) {
    if (nano < 0 || nano > 999_999_999) {
      throw new IllegalArgumentException("nano must be 0-999999999, not " + nano);
    }
    if (epochSecond < MIN_FAST || epochSecond > MAX_FAST) {
      return sb.append(Instant.ofEpochSecond(epochSecond, nano));
    }
    long days = Math.floorDiv(epochSecond, 86_400L);
    int secs = (int) Math.floorMod(epochSecond, 86_400L);
    // civil date from days since the epoch (H. Hinnant's algorithm, proleptic Gregorian calendar)
    long z = days + 719_468L;
    long era = Math.floorDiv(z, 146_097L);
    int doe = (int) (z - era * 146_097L);
    int yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int day = doy - (153 * mp + 2) / 5 + 1;
    int month = mp < 10 ? mp + 3 : mp - 9;
    int year = (int) (yoe + era * 400L) + (month <= 2 ? 1 : 0);
    digits(sb, year, 4).append('-');
    digits(sb, month, 2).append('-');
    digits(sb, day, 2).append('T');
    digits(sb, secs / 3600, 2).append(':');
    digits(sb, secs / 60 % 60, 2).append(':');
    digits(sb, secs % 60, 2);
    if (nano != 0) {
      sb.append('.');
      if (nano % 1_000_000 == 0) {
        digits(sb, nano / 1_000_000, 3);
      } else if (nano % 1000 == 0) {
        digits(sb, nano / 1000, 6);
      } else {
        digits(sb, nano, 9);
      }
    }
    return sb.append('Z');
  }

  /** Appends {@code value} (>= 0) zero-padded to {@code width} digits (it has at most that many). */
  private static StringBuilder digits(StringBuilder sb, int value, int width) {
    int div = 1;
    for (int i = 1; i < width; i++) {
      div *= 10;
    }
    for (; div > 0; div /= 10) {
      sb.append((char) ('0' + value / div % 10));
    }
    return sb;
  }
}
