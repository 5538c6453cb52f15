package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A cron schedule, parsed and validated with cron-utils. Two flavours are accepted: UNIX
 * (five fields: minute hour day-of-month month day-of-week) and Quartz (six or seven fields,
 * starting with seconds, with {@code ?} in one of the day fields). The flavour is taken from the
 * number of fields unless given. Immutable and thread-safe.
 */
public final class CronSchedule {
  /** The cron dialect of an expression. */
  public enum Flavour {
    /** Five fields, as in crontab(5). */
    UNIX,
    /** Six or seven fields with seconds (and optional year), as in Quartz. */
    QUARTZ
  }

  private static final CronParser UNIX_PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser QUARTZ_PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ));

  private final String expression;
  private final Flavour flavour;
  private final ExecutionTime executionTime;

  private CronSchedule(String expression, Flavour flavour, Cron cron) {
    this.expression = expression;
    this.flavour = flavour;
    this.executionTime = ExecutionTime.forCron(cron);
  }

  /**
   * Parses an expression, choosing the flavour by its number of fields (5: UNIX; 6 or 7: Quartz).
   *
   * @param expression the cron expression
   * @return the schedule
   * @throws ConfigException naming field {@code schedule} when the expression is invalid
   */
  public static CronSchedule parse(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new ConfigException("schedule", "a cron expression is required");
    }
    String trimmed = expression.trim();
    int fields = trimmed.split("\\s+").length;
    Flavour flavour = fields == 5 ? Flavour.UNIX : Flavour.QUARTZ;
    if (fields < 5 || fields > 7) {
      throw new ConfigException("schedule", "'" + expression
          + "' has " + fields + " fields; expected 5 (UNIX: min hour dom month dow) or 6-7 (Quartz: sec min hour dom month dow [year])");
    }
    return parse(trimmed, flavour);
  }

  /**
   * @param expression the cron expression
   * @param flavour its dialect
   * @return the schedule
   * @throws ConfigException naming field {@code schedule} when the expression is invalid in that
   *     dialect
   */
  public static CronSchedule parse(String expression, Flavour flavour) {
    Objects.requireNonNull(flavour, "flavour");
    if (expression == null || expression.isBlank()) {
      throw new ConfigException("schedule", "a cron expression is required");
    }
    String trimmed = expression.trim();
    try {
      Cron cron = (flavour == Flavour.UNIX ? UNIX_PARSER : QUARTZ_PARSER).parse(trimmed);
      cron.validate();
      CronSchedule schedule = new CronSchedule(trimmed, flavour, cron);
      // An expression such as "0 0 30 2 *" parses but never fires: refuse it.
      if (schedule.nextAfter(ZonedDateTime.parse("2000-01-01T00:00:00Z")).isEmpty()) {
        throw new ConfigException("schedule", "'" + expression + "' never fires");
      }
      return schedule;
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ConfigException("schedule", "invalid " + flavour.name().toLowerCase(Locale.ROOT)
          + " cron expression '" + expression + "': " + e.getMessage());
    }
  }

  /**
   * @param time a point in time
   * @return the first execution strictly after {@code time}, or empty if the schedule never fires
   *     again
   */
  public Optional<ZonedDateTime> nextAfter(ZonedDateTime time) {
    return executionTime.nextExecution(time);
  }

  /**
   * @param time a point in time
   * @return the last execution strictly before {@code time}, if any
   */
  public Optional<ZonedDateTime> lastBefore(ZonedDateTime time) {
    return executionTime.lastExecution(time);
  }

  /** @return the expression as given (trimmed) */
  public String expression() {
    return expression;
  }

  /** @return the dialect */
  public Flavour flavour() {
    return flavour;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronSchedule c && expression.equals(c.expression) && flavour == c.flavour;
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, flavour);
  }

  @Override
  public String toString() {
    return expression + " (" + flavour.name().toLowerCase(Locale.ROOT) + ")";
  }
}
