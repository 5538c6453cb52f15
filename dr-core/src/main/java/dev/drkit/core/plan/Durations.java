package dev.drkit.core.plan;

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
 * Durations as written in plan files. A bare number means minutes (as in the design's
 * {@code rpo: 15}); otherwise one or more number-unit pairs ({@code 500ms}, {@code 90s},
 * {@code 5m}, {@code 1h}, {@code 2d}, {@code 1h30m}, {@code 1.5h}) or an ISO-8601 duration
 * ({@code PT1H}, {@code P1D}). A leading {@code -} makes a negative duration, which the config
 * model then rejects where durations must be positive, with a clearer message than a syntax error.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d{1,18}(?:\\.\\d{1,9})?)(ms|s|m|h|d)");
  private static final Pattern COMPOUND = Pattern.compile("(?:\\d{1,18}(?:\\.\\d{1,9})?(?:ms|s|m|h|d))+");
  private static final Pattern NUMBER = Pattern.compile("\\d{1,18}(?:\\.\\d{1,9})?");
  private static final BigDecimal NANOS_PER_MINUTE = BigDecimal.valueOf(60_000_000_000L);
  private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

  private Durations() {}

  /**
   * @param text a duration as written in a plan file
   * @return the duration
   * @throws ConfigException with an empty path (the caller prefixes the field) when the text is
   *     not a duration or is too large (more than about 292 years)
   */
  public static Duration parse(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.trim().toLowerCase(Locale.ROOT);
    boolean negative = s.startsWith("-");
    if (negative) {
      s = s.substring(1).trim();
    }
    Duration d;
    if (NUMBER.matcher(s).matches()) {
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
        throw invalid(text);
      }
    } else {
      throw invalid(text);
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
   * Formats compactly in the syntax {@link #parse} reads, for example {@code 15m}, {@code 1h30m},
   * {@code 90s} is written {@code 1m30s}, {@code 500ms}.
   *
   * @param d a duration
   * @return its compact form; {@code 0s} for zero
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
      case "ms" -> BigDecimal.valueOf(1_000_000L);
      case "s" -> BigDecimal.valueOf(1_000_000_000L);
      case "m" -> NANOS_PER_MINUTE;
      case "h" -> BigDecimal.valueOf(3_600_000_000_000L);
      case "d" -> BigDecimal.valueOf(86_400_000_000_000L);
      default -> throw new IllegalStateException("unit " + unit);
    };
  }

  private static Duration ofNanos(BigDecimal nanos, String original) {
    BigDecimal rounded = nanos.setScale(0, RoundingMode.HALF_UP);
    if (rounded.abs().compareTo(MAX_NANOS) > 0) {
      throw new ConfigException("", "'" + original + "' is too large (at most about 292 years)");
    }
    return Duration.ofNanos(rounded.longValueExact());
  }

  private static ConfigException invalid(String text) {
    String shown = text.length() <= 40 ? text : text.substring(0, 37) + "...";
    return new ConfigException("", "'" + shown
        + "' is not a duration (write a number of minutes, or e.g. 500ms, 90s, 5m, 1h, 2d, 1h30m, PT1H)");
  }
}
