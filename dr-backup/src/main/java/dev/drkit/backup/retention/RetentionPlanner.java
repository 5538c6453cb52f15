package dev.drkit.backup.retention;

import dev.drkit.core.config.RetentionPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which snapshots a {@link RetentionPolicy} keeps, with the semantics of restic's
 * {@code forget}:
 *
 * <ul>
 *   <li>Snapshots are first split into groups (by default by host and paths, see {@link GroupBy});
 *       the policy applies to each group on its own.
 *   <li>Within a group, snapshots are taken newest first (ties broken by id).
 *   <li>{@code keep-last n} keeps the {@code n} newest snapshots.
 *   <li>{@code keep-hourly/daily/weekly/monthly/yearly n}: walking from the newest, a snapshot is
 *       kept when it is in a different hour/day/ISO week/month/year than the previous snapshot the
 *       rule kept, until the rule has kept {@code n}; so each of the {@code n} newest buckets that
 *       hold a snapshot keeps its newest one. Buckets use the calendar of the planner's zone. If a
 *       rule still has counts left when it reaches the oldest snapshot of the group, that oldest
 *       snapshot is kept too (reason marked "oldest").
 *   <li>{@code keep-within d} keeps every snapshot strictly after {@code newest - d}, where
 *       {@code newest} is the newest snapshot that is not in the future; snapshots in the future
 *       are kept by it as well.
 *   <li>{@code keep-tag t} keeps every snapshot carrying tag {@code t} (several tags: any of them).
 *   <li>A snapshot is kept if any rule keeps it; every matching rule is listed once in its reasons.
 *       An empty policy keeps everything.
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class RetentionPlanner {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionPlanner.class);
  private static final Comparator<SnapshotDescriptor> NEWEST_FIRST =
      Comparator.comparing(SnapshotDescriptor::time).reversed().thenComparing(SnapshotDescriptor::id);

  private final ZoneId zone;
  private final Set<GroupBy> groupBy;

  private RetentionPlanner(ZoneId zone, Set<GroupBy> groupBy) {
    this.zone = zone;
    this.groupBy = groupBy.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(groupBy));
  }

  /**
   * @param zone the time zone whose calendar defines hours, days, weeks, months and years
   * @return a planner grouping by host and paths, as restic does by default
   */
  public static RetentionPlanner create(ZoneId zone) {
    return create(zone, EnumSet.of(GroupBy.HOST, GroupBy.PATHS));
  }

  /**
   * @param zone the time zone whose calendar defines hours, days, weeks, months and years
   * @param groupBy what to group snapshots by; empty to apply the policy to all snapshots at once
   * @return a planner
   */
  public static RetentionPlanner create(ZoneId zone, Set<GroupBy> groupBy) {
    return new RetentionPlanner(Objects.requireNonNull(zone, "zone"), Objects.requireNonNull(groupBy, "groupBy"));
  }

  /** @return the zone of the calendar */
  public ZoneId zone() {
    return zone;
  }

  /** @return what snapshots are grouped by */
  public Set<GroupBy> groupBy() {
    return groupBy;
  }

  /**
   * @param snapshots every snapshot to consider (for example all of a repository)
   * @param policy which snapshots to keep (the keep-last, hourly ... yearly and keep-within rules)
   * @param now the current time; snapshots after it do not count as the newest for {@code keep-within}
   * @return the decisions, group by group
   * @throws IllegalArgumentException if two snapshots share an id
   */
  public RetentionPlan plan(Collection<? extends SnapshotDescriptor> snapshots, RetentionPolicy policy, Instant now) {
    Objects.requireNonNull(snapshots, "snapshots");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(now, "now");
    Set<String> ids = new HashSet<>();
    Map<SnapshotGroup, List<SnapshotDescriptor>> groups = new TreeMap<>();
    for (SnapshotDescriptor s : snapshots) {
      Objects.requireNonNull(s, "snapshot");
      if (!ids.add(s.id())) {
        throw new IllegalArgumentException("duplicate snapshot id " + s.id());
      }
      groups.computeIfAbsent(SnapshotGroup.of(s, groupBy), k -> new ArrayList<>()).add(s);
    }
    List<GroupPlan> plans = new ArrayList<>();
    for (Map.Entry<SnapshotGroup, List<SnapshotDescriptor>> e : groups.entrySet()) {
      GroupPlan plan = new GroupPlan(e.getKey(), apply(e.getValue(), policy, now));
      LOG.debug("retention {} on {}: keep {}, remove {}", policy, e.getKey().describe(), plan.kept().size(),
          plan.removed().size());
      plans.add(plan);
    }
    return new RetentionPlan(policy, zone, plans);
  }

  /** A counted rule's progress through one group. */
  private static final class Bucket {
    final RetentionRule rule;
    final int initial;
    int left;
    long last = Long.MIN_VALUE;
    String lastId = "";

    Bucket(RetentionRule rule, int count) {
      this.rule = rule;
      this.initial = count;
      this.left = count;
    }
  }

  private List<RetentionDecision> apply(List<SnapshotDescriptor> group, RetentionPolicy policy, Instant now) {
    List<SnapshotDescriptor> list = new ArrayList<>(group);
    list.sort(NEWEST_FIRST);
    List<RetentionDecision> out = new ArrayList<>(list.size());
    if (policy.isKeepAll()) {
      for (SnapshotDescriptor s : list) {
        out.add(new RetentionDecision(s, true, List.of(new KeepReason(RetentionRule.EMPTY_POLICY, false, "")), List.of()));
      }
      return out;
    }
    List<Bucket> buckets = new ArrayList<>();
    add(buckets, RetentionRule.LAST, policy.keepLast());
    add(buckets, RetentionRule.HOURLY, policy.keepHourly());
    add(buckets, RetentionRule.DAILY, policy.keepDaily());
    add(buckets, RetentionRule.WEEKLY, policy.keepWeekly());
    add(buckets, RetentionRule.MONTHLY, policy.keepMonthly());
    add(buckets, RetentionRule.YEARLY, policy.keepYearly());

    Duration within = policy.keepWithin();
    Instant cutoff = null;
    if (!within.isZero()) {
      Instant latest = null;
      for (SnapshotDescriptor s : list) {
        if (s.time().isBefore(now) && (latest == null || s.time().isAfter(latest))) {
          latest = s.time();
        }
      }
      // With no snapshot in the past every snapshot is "within", as in restic.
      cutoff = latest == null ? Instant.MIN : latest.minus(within);
    }
    Set<String> keepTags = new TreeSet<>(policy.keepTags());

    for (int nr = 0; nr < list.size(); nr++) {
      SnapshotDescriptor cur = list.get(nr);
      ZonedDateTime t = cur.time().atZone(zone);
      List<KeepReason> reasons = new ArrayList<>();
      List<String> why = new ArrayList<>();

      if (!keepTags.isEmpty()) {
        boolean any = false;
        for (String tag : keepTags) {
          if (cur.tags().contains(tag)) {
            reasons.add(new KeepReason(RetentionRule.TAG, false, tag));
            any = true;
          }
        }
        if (!any) {
          why.add("keep-tag: has none of " + keepTags);
        }
      }
      if (cutoff != null) {
        if (cur.time().isAfter(cutoff)) {
          reasons.add(new KeepReason(RetentionRule.WITHIN, false, within.toString()));
        } else {
          why.add("keep-within " + within + ": not after " + cutoff);
        }
      }
      for (Bucket b : buckets) {
        if (b.left <= 0) {
          why.add(b.rule.option() + " " + b.initial + ": the " + b.initial + " " + b.rule.unit()
              + " it keeps are taken by newer snapshots");
          continue;
        }
        long val = b.rule.bucket(t, nr);
        String label = b.rule.bucketLabel(t, nr);
        boolean newBucket = val != b.last;
        if (newBucket || nr == list.size() - 1) {
          reasons.add(new KeepReason(b.rule, !newBucket, b.rule == RetentionRule.LAST ? label + "/" + b.initial : label));
          b.last = val;
          b.lastId = cur.id();
          b.left--;
        } else {
          why.add(b.rule.option() + ": " + label + " already kept by " + b.lastId);
        }
      }
      boolean keep = !reasons.isEmpty();
      out.add(new RetentionDecision(cur, keep, reasons, keep ? List.of() : why));
    }
    return out;
  }

  private static void add(List<Bucket> buckets, RetentionRule rule, int count) {
    if (count > 0) {
      buckets.add(new Bucket(rule, count));
    }
  }
}
