package dev.drkit.examples.cli.backup;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses the values of {@code forget}'s {@code --keep-*} options. */
final class PolicyArgs {
  private static final Pattern DURATION = Pattern.compile("(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?");

  private PolicyArgs() {}

  /** A count: an integer {@code >= 0} or {@code unlimited}. */
  static final class Count implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      if (value.trim().equalsIgnoreCase("unlimited")) {
        return Integer.MAX_VALUE;
      }
      try {
        int n = Integer.parseInt(value.trim());
        if (n < 0) {
          throw new CommandLine.TypeConversionException("'" + value + "' is negative; use a count >= 0 or 'unlimited'");
        }
        return n;
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a count (an integer >= 0 or 'unlimited')");
      }
    }
  }

  /** A duration: {@code 7d}, {@code 36h}, {@code 2w}, {@code 1w2d12h}, or ISO-8601 ({@code P7D}). */
  static final class Within implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return parseDuration(value);
    }
  }

  static Duration parseDuration(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.startsWith("p")) {
      try {
        Duration d = Duration.parse(v.toUpperCase(Locale.ROOT));
        if (d.isNegative()) {
          throw new CommandLine.TypeConversionException("'" + value + "' is negative");
        }
        return d;
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not an ISO-8601 duration such as P7D or PT36H");
      }
    }
    if (v.matches(".*\\d+[ym].*")) {
      throw new CommandLine.TypeConversionException("'" + value
          + "': years and months have no fixed length and keep-within is an exact duration; use days, e.g. 30d");
    }
    Matcher m = DURATION.matcher(v);
    if (v.isEmpty() || !m.matches()) {
      throw new CommandLine.TypeConversionException("'" + value
          + "' is not a duration; use weeks, days and hours such as 7d, 36h, 1w2d12h, or ISO-8601 such as P7D");
    }
    Duration d = Duration.ZERO;
    if (m.group(1) != null) {
      d = d.plusDays(7L * Long.parseLong(m.group(1)));
    }
    if (m.group(2) != null) {
      d = d.plusDays(Long.parseLong(m.group(2)));
    }
    if (m.group(3) != null) {
      d = d.plusHours(Long.parseLong(m.group(3)));
    }
    return d;
  }
}
