package dev.drkit.core.plan;

import dev.drkit.core.ConfigException;
import dev.drkit.core.internal.DurationSyntax;
import dev.drkit.core.internal.DurationSyntax.BareNumber;
import java.math.BigDecimal;
import java.time.Duration;

/**
 * Durations as written in plan files, in drkit's one duration grammar (docs/plan-format.md,
 * "Durations"): one or more number-unit pairs ({@code 500ms}, {@code 90s}, {@code 5m},
 * {@code 1h}, {@code 2d}, {@code 1w}, {@code 1h30m}, {@code 1.5h}; units {@code ns us ms s m h d w}) or an
 * ISO-8601 duration ({@code PT1H}, {@code P1D}). In plan fields a bare number means minutes (as
 * in the design's {@code rpo: 15}); check parameters use the same grammar but refuse a bare
 * number. A leading {@code -} makes a negative duration, which the config model then rejects
 * where durations must be positive, with a clearer message than a syntax error.
 */
public final class Durations {
  private Durations() {}

  /**
   * @param text a duration as written in a plan file
   * @return the duration
   * @throws ConfigException with an empty path (the caller prefixes the field) when the text is
   *     not a duration or is too large (more than about 292 years); the message quotes the text
   */
  public static Duration parse(String text) {
    return DurationSyntax.parse(text, BareNumber.MINUTES);
  }

  /**
   * The same grammar with a unit required: how check parameters, the drill's settings and the
   * command line's durations are read, where a number alone would be a guess ({@code 200} as
   * milliseconds, seconds or minutes).
   *
   * @param text a duration such as {@code 250ms}, {@code 1h30m}, {@code 2w} or {@code PT5M}
   * @return the duration
   * @throws ConfigException with an empty path (the caller prefixes the field) when the text is
   *     not a duration, has no unit, or is too large; the message quotes the text
   */
  public static Duration parseWithUnit(String text) {
    return DurationSyntax.parse(text, BareNumber.REFUSED);
  }

  /**
   * @param minutes a number of minutes, possibly fractional or negative
   * @return the duration, rounded to whole nanoseconds
   * @throws ConfigException with an empty path when it is too large
   */
  public static Duration ofMinutes(BigDecimal minutes) {
    return DurationSyntax.ofMinutes(minutes);
  }

  /**
   * Formats compactly in the syntax {@link #parse} reads, for example {@code 15m}, {@code 1h30m},
   * {@code 90s} is written {@code 1m30s}, {@code 500ms}.
   *
   * @param d a duration
   * @return its compact form; {@code 0s} for zero
   */
  public static String format(Duration d) {
    return DurationSyntax.format(d);
  }
}
