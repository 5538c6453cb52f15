package dev.drkit.examples.cli.backup;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Parses the values of {@code forget}'s {@code --keep-*} options. */
final class PolicyArgs {

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

  /**
   * Reads {@code --keep-within} in drkit's one duration grammar with a unit required
   * ({@link dev.drkit.core.plan.Durations#parseWithUnit}, which knows {@code w} for weeks), after
   * one guard: restic's {@code y} and {@code m} mean years and months there, which have no fixed
   * length, so {@code 6m} is refused rather than read as six minutes.
   */
  static Duration parseDuration(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!v.startsWith("p") && v.matches(".*\\d+\\s*[ym](?!s).*")) {
      throw new CommandLine.TypeConversionException("'" + value
          + "': years and months have no fixed length and keep-within is an exact duration; use days, e.g. 30d");
    }
    Duration d;
    try {
      d = dev.drkit.core.plan.Durations.parseWithUnit(value);
    } catch (dev.drkit.core.ConfigException e) {
      throw new CommandLine.TypeConversionException("'" + value
          + "' is not a duration; use weeks, days and hours such as 7d, 36h, 1w2d12h, or ISO-8601 such as P7D");
    }
    if (d.isNegative()) {
      throw new CommandLine.TypeConversionException("'" + value + "' is negative");
    }
    return d;
  }
}
