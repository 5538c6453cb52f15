package dev.drkit.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.RetentionPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Checks the planner on generated histories against an independent, set-based statement of the
 * rules: the kept set is the union of what each rule keeps on its own, and each kept snapshot's
 * reasons are exactly the rules that keep it.
 */
class RetentionPropertiesTest {
  private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
  private static final RetentionPlanner PLANNER = RetentionPlanner.create(ZONE, EnumSet.of(GroupBy.HOST));

  @Property(tries = 300)
  void keptSetIsTheUnionOfWhatEachRuleKeeps(@ForAll("histories") List<SnapshotDescriptor> history,
      @ForAll("policies") RetentionPolicy policy) {
    RetentionPlan plan = PLANNER.plan(history, policy, NOW);

    Map<String, Set<RetentionRule>> expected = new HashMap<>();
    Map<String, List<SnapshotDescriptor>> byHost = new HashMap<>();
    history.forEach(s -> byHost.computeIfAbsent(s.host(), h -> new ArrayList<>()).add(s));
    for (List<SnapshotDescriptor> group : byHost.values()) {
      expected.putAll(oracle(group, policy));
    }

    assertThat(plan.toKeep().size() + plan.toRemove().size()).isEqualTo(history.size());
    Map<String, Set<RetentionRule>> actual = new HashMap<>();
    for (RetentionDecision d : plan.toKeep()) {
      Set<RetentionRule> rules = EnumSet.noneOf(RetentionRule.class);
      d.reasons().forEach(r -> rules.add(r.rule()));
      actual.put(d.snapshot().id(), rules);
      assertThat(d.why()).isEmpty();
    }
    for (RetentionDecision d : plan.toRemove()) {
      assertThat(d.why()).as("a removal explains itself").isNotEmpty();
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Property(tries = 200)
  void raisingACountNeverRemovesASnapshotThatWasKept(@ForAll("histories") List<SnapshotDescriptor> history,
      @ForAll("policies") RetentionPolicy policy) {
    RetentionPolicy.Builder moreBuilder = RetentionPolicy.builder().keepLast(policy.keepLast()).keepHourly(policy.keepHourly() + 1)
        .keepDaily(policy.keepDaily() + 1).keepWeekly(policy.keepWeekly()).keepMonthly(policy.keepMonthly() + 2)
        .keepYearly(policy.keepYearly()).keepWithin(policy.keepWithin());
    policy.keepTags().forEach(moreBuilder::keepTag);
    RetentionPolicy more = moreBuilder.build();
    Set<String> before = new HashSet<>(PLANNER.plan(history, policy, NOW).toKeep().stream().map(d -> d.snapshot().id()).toList());
    Set<String> after = new HashSet<>(PLANNER.plan(history, more, NOW).toKeep().stream().map(d -> d.snapshot().id()).toList());
    if (!policy.isKeepAll()) {
      assertThat(after).containsAll(before);
    }
  }

  @Property(tries = 200)
  void everyGroupKeepsItsNewestUnlessThePolicyIsTagsOnly(@ForAll("histories") List<SnapshotDescriptor> history,
      @ForAll("policies") RetentionPolicy policy) {
    RetentionPlan plan = PLANNER.plan(history, policy, NOW);
    boolean tagsOnly = policy.keepLast() + policy.keepHourly() + policy.keepDaily() + policy.keepWeekly()
        + policy.keepMonthly() + policy.keepYearly() == 0 && policy.keepWithin().isZero() && !policy.isKeepAll();
    for (GroupPlan g : plan.groups()) {
      if (!tagsOnly) {
        assertThat(g.decisions().get(0).keep()).isTrue();
      } else if (g.kept().isEmpty()) {
        assertThat(plan.emptiedGroups()).contains(g.group());
      }
    }
  }

  /** The rules restated as independent set computations over one group. */
  private static Map<String, Set<RetentionRule>> oracle(List<SnapshotDescriptor> group, RetentionPolicy p) {
    List<SnapshotDescriptor> list = new ArrayList<>(group);
    list.sort(Comparator.comparing(SnapshotDescriptor::time).reversed().thenComparing(SnapshotDescriptor::id));
    Map<String, Set<RetentionRule>> kept = new HashMap<>();
    if (p.isKeepAll()) {
      list.forEach(s -> kept.put(s.id(), EnumSet.of(RetentionRule.EMPTY_POLICY)));
      return kept;
    }
    for (int i = 0; i < Math.min(p.keepLast(), list.size()); i++) {
      mark(kept, list.get(i), RetentionRule.LAST);
    }
    bucketRule(kept, list, p.keepHourly(), RetentionRule.HOURLY, t -> t.toLocalDate() + "T" + t.getHour());
    bucketRule(kept, list, p.keepDaily(), RetentionRule.DAILY, t -> t.toLocalDate().toString());
    bucketRule(kept, list, p.keepWeekly(), RetentionRule.WEEKLY,
        t -> t.get(java.time.temporal.IsoFields.WEEK_BASED_YEAR) + "W" + t.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    bucketRule(kept, list, p.keepMonthly(), RetentionRule.MONTHLY, t -> t.getYear() + "-" + t.getMonthValue());
    bucketRule(kept, list, p.keepYearly(), RetentionRule.YEARLY, t -> String.valueOf(t.getYear()));
    if (!p.keepWithin().isZero()) {
      Instant newest = list.stream().map(SnapshotDescriptor::time).filter(t -> t.isBefore(NOW))
          .max(Comparator.naturalOrder()).orElse(null);
      for (SnapshotDescriptor s : list) {
        if (newest == null || s.time().isAfter(newest.minus(p.keepWithin()))) {
          mark(kept, s, RetentionRule.WITHIN);
        }
      }
    }
    for (SnapshotDescriptor s : list) {
      if (s.tags().stream().anyMatch(p.keepTags()::contains)) {
        mark(kept, s, RetentionRule.TAG);
      }
    }
    return kept;
  }

  /** The newest snapshot of each of the n newest buckets, plus the oldest snapshot if fewer than n buckets exist. */
  private static void bucketRule(Map<String, Set<RetentionRule>> kept, List<SnapshotDescriptor> list, int n,
      RetentionRule rule, Function<ZonedDateTime, String> bucketOf) {
    if (n == 0 || list.isEmpty()) {
      return;
    }
    Map<String, SnapshotDescriptor> newestOfBucket = new java.util.LinkedHashMap<>();
    for (SnapshotDescriptor s : list) {
      newestOfBucket.putIfAbsent(bucketOf.apply(s.time().atZone(ZONE)), s);
    }
    List<SnapshotDescriptor> firsts = new ArrayList<>(newestOfBucket.values());
    firsts.subList(0, Math.min(n, firsts.size())).forEach(s -> mark(kept, s, rule));
    if (firsts.size() < n) {
      mark(kept, list.get(list.size() - 1), rule);
    }
  }

  private static void mark(Map<String, Set<RetentionRule>> kept, SnapshotDescriptor s, RetentionRule rule) {
    kept.computeIfAbsent(s.id(), k -> EnumSet.noneOf(RetentionRule.class)).add(rule);
  }

  @Provide
  Arbitrary<List<SnapshotDescriptor>> histories() {
    // spacing from minutes to months, so that every bucket size sees both collisions and gaps
    Arbitrary<Long> spacing = Arbitraries.oneOf(Arbitraries.longs().between(0, 7200),
        Arbitraries.longs().between(0, 4 * 86_400), Arbitraries.longs().between(0, 90L * 86_400));
    Arbitrary<SnapshotDraft> draft = Combinators.combine(spacing, Arbitraries.of("h1", "h2"),
        Arbitraries.subsetOf("a", "b", "c")).as(SnapshotDraft::new);
    return draft.list().ofMinSize(0).ofMaxSize(40).map(drafts -> {
      List<SnapshotDescriptor> out = new ArrayList<>();
      Instant t = NOW.plus(Duration.ofDays(3)); // a few may be in the future
      int i = 0;
      for (SnapshotDraft d : drafts) {
        t = t.minusSeconds(d.gapSeconds);
        out.add(SnapshotDescriptor.of(String.format("s%03d", i++), t, d.host, new LinkedHashSet<>(d.tags), List.of("/")));
      }
      return out;
    });
  }

  private record SnapshotDraft(long gapSeconds, String host, Set<String> tags) {}

  @Provide
  Arbitrary<RetentionPolicy> policies() {
    Arbitrary<Integer> count = Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(0, 6));
    Arbitrary<Duration> within = Arbitraries.oneOf(Arbitraries.just(Duration.ZERO),
        Arbitraries.longs().between(1, 60L * 86_400).map(Duration::ofSeconds));
    Arbitrary<Set<String>> tags = Arbitraries.oneOf(Arbitraries.just(Set.<String>of()), Arbitraries.subsetOf("a", "b", "c"));
    return Combinators.combine(count.list().ofSize(6), within, tags).as((c, w, t) -> {
      RetentionPolicy.Builder b = RetentionPolicy.builder().keepLast(c.get(0)).keepHourly(c.get(1)).keepDaily(c.get(2))
          .keepWeekly(c.get(3)).keepMonthly(c.get(4)).keepYearly(c.get(5)).keepWithin(w);
      t.forEach(b::keepTag);
      return b.build();
    });
  }
}
