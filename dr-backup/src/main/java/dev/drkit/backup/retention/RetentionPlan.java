package dev.drkit.backup.retention;

import dev.drkit.core.config.RetentionPolicy;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a {@link RetentionPolicy} keeps and removes, group by group, with the reasons. Produced by
 * {@link RetentionPlanner#plan}; nothing is removed until a caller acts on {@link #toRemove()}.
 */
public final class RetentionPlan {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  private final RetentionPolicy policy;
  private final ZoneId zone;
  private final List<GroupPlan> groups;

  RetentionPlan(RetentionPolicy policy, ZoneId zone, List<GroupPlan> groups) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.zone = Objects.requireNonNull(zone, "zone");
    this.groups = List.copyOf(groups);
  }

  /** @return the policy applied */
  public RetentionPolicy policy() {
    return policy;
  }

  /** @return the plan of each group, ordered by group */
  public List<GroupPlan> groups() {
    return groups;
  }

  /** @return every kept decision, group by group, newest first within a group */
  public List<RetentionDecision> toKeep() {
    return groups.stream().flatMap(g -> g.kept().stream()).toList();
  }

  /** @return every removed decision, group by group, newest first within a group */
  public List<RetentionDecision> toRemove() {
    return groups.stream().flatMap(g -> g.removed().stream()).toList();
  }

  /** @return the ids of the snapshots to remove */
  public List<String> idsToRemove() {
    return toRemove().stream().map(d -> d.snapshot().id()).toList();
  }

  /**
   * Groups that would lose every snapshot. Only a policy made of {@code keep-tag} alone can do that
   * (every count or window keeps at least the newest snapshot); like restic, callers should refuse
   * to act on such a plan rather than delete a whole backup set by a mistyped tag.
   *
   * @return the groups whose snapshots would all be removed
   */
  public List<SnapshotGroup> emptiedGroups() {
    return groups.stream().filter(g -> !g.decisions().isEmpty() && g.kept().isEmpty()).map(GroupPlan::group).toList();
  }

  /**
   * A human-readable listing of the plan, as printed by {@code forget --dry-run}: for each group the
   * snapshots kept with their reasons, then those removed with why no rule kept them.
   *
   * @param idLength how many characters of each id to show ({@code 0} for all)
   * @return the listing, lines ending in {@code \n}
   */
  public String render(int idLength) {
    StringBuilder sb = new StringBuilder();
    sb.append("Applying policy: ").append(describe(policy)).append('\n');
    for (GroupPlan g : groups) {
      sb.append('\n').append("snapshots for ").append(g.group().describe()).append(":\n");
      List<RetentionDecision> kept = g.kept();
      List<RetentionDecision> removed = g.removed();
      sb.append("keep ").append(kept.size()).append(kept.size() == 1 ? " snapshot" : " snapshots")
          .append(kept.isEmpty() ? "\n" : ":\n");
      for (RetentionDecision d : kept) {
        line(sb, d, idLength, d.reasons().stream().map(KeepReason::describe).collect(Collectors.joining(", ")));
      }
      sb.append("remove ").append(removed.size()).append(removed.size() == 1 ? " snapshot" : " snapshots")
          .append(removed.isEmpty() ? "\n" : ":\n");
      for (RetentionDecision d : removed) {
        line(sb, d, idLength, String.join("; ", d.why()));
      }
    }
    return sb.toString();
  }

  private void line(StringBuilder sb, RetentionDecision d, int idLength, String text) {
    String id = d.snapshot().id();
    if (idLength > 0 && id.length() > idLength) {
      id = id.substring(0, idLength);
    }
    sb.append("  ").append(id).append("  ").append(TIME.format(d.snapshot().time().atZone(zone)))
        .append("  ").append(text).append('\n');
  }

  /**
   * @param policy the policy to describe in words
   * @return a sentence such as {@code keep 7 daily, 4 weekly snapshots and all within PT48H of the newest}
   */
  public static String describe(RetentionPolicy policy) {
    if (policy.isKeepAll()) {
      return "keep all snapshots (the policy is empty)";
    }
    StringBuilder counts = new StringBuilder();
    count(counts, policy.keepLast(), "last");
    count(counts, policy.keepHourly(), "hourly");
    count(counts, policy.keepDaily(), "daily");
    count(counts, policy.keepWeekly(), "weekly");
    count(counts, policy.keepMonthly(), "monthly");
    count(counts, policy.keepYearly(), "yearly");
    StringBuilder sb = new StringBuilder("keep ");
    if (counts.length() > 0) {
      sb.append(counts).append(" snapshots");
    }
    if (!policy.keepTags().isEmpty()) {
      sb.append(sb.length() > 5 ? " and " : "").append("all snapshots with a tag of ")
          .append(new java.util.TreeSet<>(policy.keepTags()));
    }
    if (!policy.keepWithin().isZero()) {
      sb.append(sb.length() > 5 ? " and " : "").append("all snapshots within ").append(policy.keepWithin())
          .append(" of the newest");
    }
    return sb.toString();
  }

  private static void count(StringBuilder sb, int n, String what) {
    if (n > 0) {
      sb.append(sb.length() > 0 ? ", " : "").append(n == Integer.MAX_VALUE ? "all" : String.valueOf(n))
          .append(' ').append(what);
    }
  }

  @Override
  public String toString() {
    return "RetentionPlan{" + policy + ", keep " + toKeep().size() + ", remove " + toRemove().size() + "}";
  }
}
