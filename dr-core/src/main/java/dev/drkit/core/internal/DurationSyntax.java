package dev.drkit.core.internal;

import dev.drkit.core.ConfigException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one grammar of every duration a user writes in drkit: plan fields ({@code rpo},
 * {@code rto}, step timeouts, intervals) and check parameters ({@code connectTimeout},
 * {@code p95}, ...). Documented for users in docs/plan-format.md ("Durations").
 *
 * <pre>
 * duration  = ["-"] (compound | iso | number)       ; case-insensitive, blanks around it ignored
 * compound  = part {[blanks] part}                   ; 1h30m, 1h 30m, 250ms, 1.5s, 2 s
 * part      = number [blanks] unit
 * unit      = "ns" | "us" | "ms" | "s" | "m" | "h" | "d" | "w"   ; d = 24 h, w = 7 d
 * number    = 1-18 digits ["." 1-9 digits]
 * iso       = an ISO-8601 duration java.time.Duration reads: PT5M, PT1H30M, P2D
 * </pre>
 *
 * <p><b>A number without a unit</b> depends on where it is written, and nowhere else does the
 * grammar differ: in plan fields it means minutes ({@link BareNumber#MINUTES}), as plans have
 * written {@code rpo: 15} since the first format; in check parameters it is refused
 * ({@link BareNumber#REFUSED}), because their values are latencies and timeouts where a guessed
 * unit would silently weaken the check ({@code p95: 200} read as 200 minutes would never fail).
 *
 * <p>Results are rounded to whole nanoseconds and must fit a {@link Duration} of nanoseconds
 * (about 292 years). A leading {@code -} gives a negative duration, which the field then refuses
 * with a clearer message than a syntax error. Errors are {@link ConfigException}s with an empty
 * path, for the caller to prefix with the field; their message quotes the value. Internal: shared
 * by drkit's modules, not part of the API (users see {@code dev.drkit.core.plan.Durations}).
 */
public final class DurationSyntax {
  /** What a number without a unit means where it is written. */
  public enum BareNumber {
    /** A number of minutes (plan fields). */
    MINUTES,
    /** Refused: the value needs a unit (check parameters). */
    REFUSED
  }

  private static final String NUM = "\\d{1,18}(?:\\.\\d{1,9})?";
  private static final String UNIT = "(?:ns|us|ms|s|m|h|d|w)";
  private static final Pattern PART = Pattern.compile("(" + NUM + ")\\s*(" + UNIT + ")");
  private static final Pattern COMPOUND = Pattern.compile("(?:" + NUM + "\\s*" + UNIT + "\\s*)+");
  private static final Pattern NUMBER = Pattern.compile(NUM);
  private static final BigDecimal NANOS_PER_MINUTE = BigDecimal.valueOf(60_000_000_000L);
  private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);
  private static final String EXAMPLES = "500ms, 30s, 5m, 1h30m, 2d or PT5M";

  private DurationSyntax() {}

  /**
   * Parses a duration.
   *
   * @param text the text as written
   * @param bare what a number without a unit means here
   * @return the duration
   * @throws ConfigException with an empty path when the text is not a duration, is a bare number
   *     where that is refused, or is too large
   */
  public static Duration parse(String text, BareNumber bare) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(bare, "bare");
    String s = text.trim().toLowerCase(Locale.ROOT);
    boolean negative = s.startsWith("-");
    if (negative) {
      s = s.substring(1).trim();
    }
    Duration d;
    if (NUMBER.matcher(s).matches()) {
      if (bare == BareNumber.REFUSED) {
        throw new ConfigException("", "'" + shown(text) + "' has no unit; write one, for example " + s + "ms, " + s
            + "s or " + s + "m (a number alone is not read as any unit here)");
      }
      d = ofMinutes(new BigDecimal(s));
    } else if (COMPOUND.matcher(s).matches()) {
      BigDecimal nanos = BigDecimal.ZERO;
      Matcher m = PART.matcher(s);
      while (m.find()) {
        nanos = nanos.add(new BigDecimal(m.group(1)).multiply(unitNanos(m.group(2))));
      }
      d = ofNanos(nanos, text);
    } else if (s.startsWith("p")) {
      try {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException | ArithmeticException e) {
        throw invalid(text, bare);
      }
    } else {
      throw invalid(text, bare);
    }
    return negative ? d.negated() : d;
  }

  /**
   * @param minutes a number of minutes, possibly fractional or negative
   * @return the duration, rounded to whole nanoseconds
   * @throws ConfigException with an empty path when it is too large
   */
  public static Duration ofMinutes(BigDecimal minutes) {
    Objects.requireNonNull(minutes, "minutes");
    // Compare before printing or multiplying: 1e999999999 is a valid BigDecimal whose plain form
    // would be a billion characters long.
    if (minutes.abs().compareTo(BigDecimal.valueOf(100_000_000L)) > 0) {
      throw new ConfigException("", "the number of minutes is too large (at most 100000000)");
    }
    if (minutes.signum() == 0 || minutes.precision() - minutes.scale() < -20) {
      // Below 1e-20 minutes: zero nanoseconds. Rounding such a number exactly would need a power of
      // ten as large as its scale, which for 1e-999999999 is out of reach.
      return Duration.ZERO;
    }
    return ofNanos(minutes.multiply(NANOS_PER_MINUTE), minutes + " minutes");
  }

  /**
   * Formats compactly in the syntax {@link #parse} reads: {@code 15m}, {@code 1h30m}, {@code 1m30s},
   * {@code 500ms}, {@code 0s}.
   *
   * @param d a duration
   * @return its compact form, which parses back to {@code d}
   */
  public static String format(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (d.isNegative()) {
      sb.append('-');
      d = d.negated();
    }
    long days = d.toDays();
    int hours = d.toHoursPart();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    int millis = d.toMillisPart();
    int nanos = d.toNanosPart() % 1_000_000;
    if (days > 0) sb.append(days).append('d');
    if (hours > 0) sb.append(hours).append('h');
    if (minutes > 0) sb.append(minutes).append('m');
    if (seconds > 0) sb.append(seconds).append('s');
    if (millis > 0 || nanos > 0) {
      if (nanos > 0) {
        sb.append(BigDecimal.valueOf(millis * 1_000_000L + nanos, 6).stripTrailingZeros().toPlainString());
      } else {
        sb.append(millis);
      }
      sb.append("ms");
    }
    return sb.toString();
  }

  private static BigDecimal unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> BigDecimal.ONE;
      case "us" -> BigDecimal.valueOf(1_000L);
      case "ms" -> BigDecimal.valueOf(1_000_000L);
      case "s" -> BigDecimal.valueOf(1_000_000_000L);
      case "m" -> NANOS_PER_MINUTE;
      case "h" -> BigDecimal.valueOf(3_600_000_000_000L);
      case "d" -> BigDecimal.valueOf(86_400_000_000_000L);
      case "w" -> BigDecimal.valueOf(604_800_000_000_000L);
      default -> throw new IllegalStateException("unit " + unit);
    };
  }

  private static Duration ofNanos(BigDecimal nanos, String original) {
    BigDecimal rounded = nanos.setScale(0, RoundingMode.HALF_UP);
    if (rounded.abs().compareTo(MAX_NANOS) > 0) {
      throw new ConfigException("", "'" + shown(original) + "' is too large (at most about 292 years)");
    }
    return Duration.ofNanos(rounded.longValueExact());
  }

  private static String shown(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }

  private static ConfigException invalid(String text, BareNumber bare) {
    return new ConfigException("", "'" + shown(text) + "' is not a duration (write "
        + (bare == BareNumber.MINUTES ? "a number of minutes, or e.g. " : "e.g. ") + EXAMPLES + ")");
  }
}
