package dev.drkit.validation.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations of check parameters: {@code 250ms}, {@code 2s}, {@code 1m}, {@code 1h}, ISO-8601. */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");

  private Durations() {}

  /**
   * @param text a duration such as {@code 500ms}, {@code 2s} or an ISO-8601 {@code PT2S}
   * @return the duration
   * @throws IllegalArgumentException with a message saying what is accepted
   */
  public static Duration parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      double v = Double.parseDouble(m.group(1));
      double nanosPer = switch (m.group(2)) {
        case "ns" -> 1;
        case "us" -> 1e3;
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        case "h" -> 3600e9;
        default -> 86400e9;
      };
      return Duration.ofNanos(Math.round(v * nanosPer));
    }
    if (t.startsWith("p")) {
      try {
        return Duration.parse(text.trim());
      } catch (DateTimeParseException e) {
        // fall through to the message below
      }
    }
    throw new IllegalArgumentException("'" + text
        + "' is not a duration; use a number with a unit (250ms, 2s, 1m, 1h) or ISO-8601 (PT2S)");
  }

  /**
   * @param d a duration
   * @return it in milliseconds with fractions
   */
  public static double millis(Duration d) {
    return d.toNanos() / 1e6;
  }
}
