package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which snapshots to keep, with the semantics of restic's {@code forget}: keep the newest
 * {@code last} snapshots, the newest one in each of the newest {@code hourly} hours (and likewise
 * days, ISO weeks, months, years), every snapshot within {@code within} of the newest one, and
 * every snapshot carrying one of {@code tags}. A snapshot kept by several rules counts once.
 * A policy whose rules are all zero/empty keeps everything ({@link #isKeepAll()}). Immutable.
 */
public final class RetentionPolicy {
  private static final RetentionPolicy KEEP_ALL = builder().build();

  private final int last;
  private final int hourly;
  private final int daily;
  private final int weekly;
  private final int monthly;
  private final int yearly;
  private final Duration within;
  private final Set<String> tags;

  private RetentionPolicy(Builder b) {
    this.last = b.last;
    this.hourly = b.hourly;
    this.daily = b.daily;
    this.weekly = b.weekly;
    this.monthly = b.monthly;
    this.yearly = b.yearly;
    this.within = b.within;
    this.tags = Set.copyOf(new TreeSet<>(b.tags));
  }

  /** @return a policy that keeps every snapshot */
  public static RetentionPolicy keepAll() {
    return KEEP_ALL;
  }

  /** @return a builder with every rule off */
  public static Builder builder() {
    return new Builder();
  }

  /** @return how many of the newest snapshots to keep */
  public int keepLast() {
    return last;
  }

  /** @return how many hours to keep the newest snapshot of */
  public int keepHourly() {
    return hourly;
  }

  /** @return how many days to keep the newest snapshot of */
  public int keepDaily() {
    return daily;
  }

  /** @return how many ISO weeks to keep the newest snapshot of */
  public int keepWeekly() {
    return weekly;
  }

  /** @return how many months to keep the newest snapshot of */
  public int keepMonthly() {
    return monthly;
  }

  /** @return how many years to keep the newest snapshot of */
  public int keepYearly() {
    return yearly;
  }

  /** @return keep every snapshot this close to the newest one; {@link Duration#ZERO} when off */
  public Duration keepWithin() {
    return within;
  }

  /** @return keep every snapshot carrying any of these tags */
  public Set<String> keepTags() {
    return tags;
  }

  /** @return whether no rule is set, which means keep everything */
  public boolean isKeepAll() {
    return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0
        && within.isZero() && tags.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetentionPolicy r && last == r.last && hourly == r.hourly && daily == r.daily
        && weekly == r.weekly && monthly == r.monthly && yearly == r.yearly && within.equals(r.within)
        && tags.equals(r.tags);
  }

  @Override
  public int hashCode() {
    return Objects.hash(last, hourly, daily, weekly, monthly, yearly, within, tags);
  }

  @Override
  public String toString() {
    if (isKeepAll()) {
      return "RetentionPolicy{keep all}";
    }
    StringBuilder sb = new StringBuilder("RetentionPolicy{");
    if (last > 0) sb.append("last=").append(last).append(' ');
    if (hourly > 0) sb.append("hourly=").append(hourly).append(' ');
    if (daily > 0) sb.append("daily=").append(daily).append(' ');
    if (weekly > 0) sb.append("weekly=").append(weekly).append(' ');
    if (monthly > 0) sb.append("monthly=").append(monthly).append(' ');
    if (yearly > 0) sb.append("yearly=").append(yearly).append(' ');
    if (!within.isZero()) sb.append("within=").append(within).append(' ');
    if (!tags.isEmpty()) sb.append("tags=").append(new TreeSet<>(tags)).append(' ');
    sb.setLength(sb.length() - 1);
    return sb.append('}').toString();
  }

  /** Builds a {@link RetentionPolicy}; not thread-safe. */
  public static final class Builder {
    private int last;
    private int hourly;
    private int daily;
    private int weekly;
    private int monthly;
    private int yearly;
    private Duration within = Duration.ZERO;
    private final Set<String> tags = new TreeSet<>();

    private Builder() {}

    /** @param n snapshots to keep, {@code >= 0} (checked in build) @return this builder */
    public Builder keepLast(int n) {
      last = n;
      return this;
    }

    /** @param n hours, {@code >= 0} (checked in build) @return this builder */
    public Builder keepHourly(int n) {
      hourly = n;
      return this;
    }

    /** @param n days, {@code >= 0} (checked in build) @return this builder */
    public Builder keepDaily(int n) {
      daily = n;
      return this;
    }

    /** @param n ISO weeks, {@code >= 0} (checked in build) @return this builder */
    public Builder keepWeekly(int n) {
      weekly = n;
      return this;
    }

    /** @param n months, {@code >= 0} (checked in build) @return this builder */
    public Builder keepMonthly(int n) {
      monthly = n;
      return this;
    }

    /** @param n years, {@code >= 0} (checked in build) @return this builder */
    public Builder keepYearly(int n) {
      yearly = n;
      return this;
    }

    /** @param d window before the newest snapshot, not negative (checked in build) @return this builder */
    public Builder keepWithin(Duration d) {
      within = d;
      return this;
    }

    /** @param tag a tag whose snapshots are always kept @return this builder */
    public Builder keepTag(String tag) {
      tags.add(tag);
      return this;
    }

    /**
     * @return the policy
     * @throws ConfigException naming every negative count ({@code keep-last}, ...), a negative or
     *     null {@code keep-within}, or a blank tag
     */
    public RetentionPolicy build() {
      List<ConfigException.Problem> problems = new ArrayList<>();
      nonNegative(problems, "keep-last", last);
      nonNegative(problems, "keep-hourly", hourly);
      nonNegative(problems, "keep-daily", daily);
      nonNegative(problems, "keep-weekly", weekly);
      nonNegative(problems, "keep-monthly", monthly);
      nonNegative(problems, "keep-yearly", yearly);
      if (within == null || within.isNegative()) {
        problems.add(ConfigException.Problem.of("keep-within", "must be a non-negative duration but was " + within));
      }
      for (String t : tags) {
        if (t == null || t.isBlank()) {
          problems.add(ConfigException.Problem.of("keep-tags", "tags must not be blank"));
        }
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new RetentionPolicy(this);
    }

    private static void nonNegative(List<ConfigException.Problem> problems, String field, int n) {
      if (n < 0) {
        problems.add(ConfigException.Problem.of(field, "must be >= 0 but was " + n));
      }
    }
  }
}
