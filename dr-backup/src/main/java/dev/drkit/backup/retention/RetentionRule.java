package dev.drkit.backup.retention;

import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.Locale;

/** The rules of a {@link dev.drkit.core.config.RetentionPolicy}, each of which may keep a snapshot. */
public enum RetentionRule {
  /** {@code keep-last}: the newest snapshots. */
  LAST("keep-last", "last", "snapshots"),
  /** {@code keep-hourly}: the newest snapshot of each hour. */
  HOURLY("keep-hourly", "hourly", "hours"),
  /** {@code keep-daily}: the newest snapshot of each day. */
  DAILY("keep-daily", "daily", "days"),
  /** {@code keep-weekly}: the newest snapshot of each ISO week (Monday to Sunday). */
  WEEKLY("keep-weekly", "weekly", "weeks"),
  /** {@code keep-monthly}: the newest snapshot of each month. */
  MONTHLY("keep-monthly", "monthly", "months"),
  /** {@code keep-yearly}: the newest snapshot of each year. */
  YEARLY("keep-yearly", "yearly", "years"),
  /** {@code keep-within}: every snapshot within a duration of the newest one. */
  WITHIN("keep-within", "within", "snapshots"),
  /** {@code keep-tag}: every snapshot carrying one of the tags. */
  TAG("keep-tag", "tag", "snapshots"),
  /** The policy has no rule, so everything is kept. */
  EMPTY_POLICY("keep-all", "policy is empty", "snapshots");

  private final String option;
  private final String adjective;
  private final String unit;

  RetentionRule(String option, String adjective, String unit) {
    this.option = option;
    this.adjective = adjective;
    this.unit = unit;
  }

  /** @return the command-line option of the rule, such as {@code keep-daily} */
  public String option() {
    return option;
  }

  /** @return the word used in reasons, such as {@code daily} */
  public String adjective() {
    return adjective;
  }

  /** @return what a count of this rule counts, such as {@code days} */
  public String unit() {
    return unit;
  }

  /**
   * The calendar bucket of a time for a counted rule: two snapshots share a bucket exactly when
   * they fall in the same hour, day, ISO week, month or year. For {@link #LAST} every snapshot is
   * its own bucket (its position {@code nr}).
   */
  long bucket(ZonedDateTime t, int nr) {
    return switch (this) {
      case LAST -> -1L - nr;
      case HOURLY -> t.getYear() * 1_000_000L + t.getMonthValue() * 10_000L + t.getDayOfMonth() * 100L + t.getHour();
      case DAILY -> t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
      case WEEKLY -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
      case MONTHLY -> t.getYear() * 100L + t.getMonthValue();
      case YEARLY -> t.getYear();
      case WITHIN, TAG, EMPTY_POLICY -> throw new IllegalStateException(this + " has no buckets");
    };
  }

  /** A readable name of the bucket of {@code t}, such as {@code 2019-W46}. */
  String bucketLabel(ZonedDateTime t, int nr) {
    return switch (this) {
      case LAST -> "#" + (nr + 1);
      case HOURLY -> String.format(Locale.ROOT, "%04d-%02d-%02d %02d:00", t.getYear(), t.getMonthValue(),
          t.getDayOfMonth(), t.getHour());
      case DAILY -> String.format(Locale.ROOT, "%04d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth());
      case WEEKLY -> String.format(Locale.ROOT, "%04d-W%02d", t.get(IsoFields.WEEK_BASED_YEAR),
          t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
      case MONTHLY -> String.format(Locale.ROOT, "%04d-%02d", t.getYear(), t.getMonthValue());
      case YEARLY -> String.format(Locale.ROOT, "%04d", t.getYear());
      case WITHIN, TAG, EMPTY_POLICY -> throw new IllegalStateException(this + " has no buckets");
    };
  }
}
