package dev.drkit.backup.retention;

import static dev.drkit.backup.retention.Snaps.utc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.RetentionPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RetentionPlannerTest {
  private static final RetentionPlanner UTC = RetentionPlanner.create(ZoneOffset.UTC);
  private static final Instant NOW = utc("2030-01-01 00:00:00");

  private static List<String> keptIds(RetentionPlan plan) {
    return plan.toKeep().stream().map(d -> d.snapshot().id()).toList();
  }

  /** The example of restic's manual: one backup every Sunday for 12 weeks, then --keep-daily 4. */
  @Test
  void keepDailyFourOnTwelveSundaysKeepsTheLastFourSundaysAsInResticsManual() {
    Snaps h = Snaps.history();
    String[] ids = {"0a1f9759", "46cfe4d5", "f6b1f037", "eb430a5d", "8cf1cb9a", "5d33b116", "b9553125", "e1a7b58b",
        "8f8018c0", "59403279", "dfee9fb4", "e1ae2f40"};
    LocalDate day = LocalDate.parse("2019-09-01");
    for (String id : ids) {
      h.add(id, day + " 11:00:00");
      day = day.plusWeeks(1);
    }
    RetentionPlan plan = UTC.plan(h.build(), RetentionPolicy.builder().keepDaily(4).build(), NOW);

    assertThat(keptIds(plan)).containsExactly("e1ae2f40", "dfee9fb4", "59403279", "8f8018c0");
    assertThat(plan.toRemove()).hasSize(8);
    assertThat(plan.toKeep().get(0).reasons()).extracting(KeepReason::describe)
        .containsExactly("daily snapshot 2019-11-17");
    assertThat(plan.toRemove().get(0).why())
        .containsExactly("keep-daily 4: the 4 days it keeps are taken by newer snapshots");
  }

  /**
   * restic's manual: a backup every day for 100 years and --keep-daily 7 --keep-weekly 5
   * --keep-monthly 12 --keep-yearly 75 keeps 7 dailies, 4 more weeklies, 11 or 12 monthlies and
   * 74 or 75 yearlies.
   */
  @Test
  void dailyBackupsForAHundredYearsKeepTheDocumentedNumbers() {
    // The manual's count assumes the 7 dailies hold exactly one end of week: the last backup is a Sunday.
    List<SnapshotDescriptor> list = new ArrayList<>();
    LocalDate d = LocalDate.parse("1930-01-01");
    for (int i = 0; !d.isAfter(LocalDate.parse("2029-12-30")); i++, d = d.plusDays(1)) {
      list.add(SnapshotDescriptor.of("s" + i, d.atTime(3, 0).toInstant(ZoneOffset.UTC), "h", Set.of(), List.of("/")));
    }
    RetentionPolicy p = RetentionPolicy.builder().keepDaily(7).keepWeekly(5).keepMonthly(12).keepYearly(75).build();
    RetentionPlan plan = UTC.plan(list, p, NOW);

    assertThat(plan.toKeep().size()).isBetween(7 + 4 + 11 + 74, 7 + 4 + 12 + 75);
    long dailies = count(plan, RetentionRule.DAILY);
    long weeklies = count(plan, RetentionRule.WEEKLY);
    long monthlies = count(plan, RetentionRule.MONTHLY);
    long yearlies = count(plan, RetentionRule.YEARLY);
    assertThat(List.of(dailies, weeklies, monthlies, yearlies)).containsExactly(7L, 5L, 12L, 75L);
    // a snapshot kept by several rules counts once
    assertThat(plan.toKeep().size()).isLessThan(7 + 5 + 12 + 75);
  }

  private static long count(RetentionPlan plan, RetentionRule rule) {
    return plan.toKeep().stream().filter(k -> k.reasons().stream().anyMatch(r -> r.rule() == rule)).count();
  }

  /** A slice of the history restic's own policy tests use. */
  private static List<SnapshotDescriptor> resticHistory() {
    return Snaps.history()
        .add("a01", "2014-09-01 10:20:30").add("a02", "2014-09-02 10:20:30").add("a03", "2014-09-05 10:20:30")
        .add("a04", "2014-11-15 10:20:30", "foo", "bar").add("a05", "2014-11-22 10:20:30")
        .add("a06", "2015-08-22 10:20:30").add("a07", "2015-09-22 10:20:30")
        .add("a08", "2015-10-22 10:20:30").add("a09", "2015-10-22 10:20:30", "foo")
        .add("a10", "2015-11-22 10:20:30")
        .add("b01", "2016-01-01 01:02:03").add("b02", "2016-01-01 01:03:03").add("b03", "2016-01-01 07:08:03")
        .add("b04", "2016-01-03 07:02:03").add("b05", "2016-01-04 10:23:03").add("b06", "2016-01-04 12:23:03")
        .add("b07", "2016-01-04 12:30:03").add("b08", "2016-01-05 09:02:03").add("b09", "2016-01-09 21:02:03")
        .add("b10", "2016-01-12 21:02:03").add("b11", "2016-01-12 21:08:03").add("b12", "2016-01-18 12:02:03")
        .build();
  }

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of("keep-last 3", (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepLast(3),
            List.of("b12", "b11", "b10")),
        Arguments.of("keep-daily 3: newest of each of the 3 newest days",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepDaily(3), List.of("b12", "b11", "b09")),
        Arguments.of("keep-hourly 8: hour 12 of 2016-01-04 keeps 12:30 only",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepHourly(8),
            List.of("b12", "b11", "b09", "b08", "b07", "b05", "b04", "b03")),
        Arguments.of("keep-weekly 3: ISO weeks 2016-W03, W02, W01",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepWeekly(3), List.of("b12", "b11", "b09")),
        Arguments.of("keep-weekly 4: 2016-01-03 is a Sunday of ISO week 2015-W53",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepWeekly(4), List.of("b12", "b11", "b09", "b04")),
        Arguments.of("keep-monthly 4: ties on one time are broken by id",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepMonthly(4), List.of("b12", "a10", "a08", "a07")),
        Arguments.of("keep-yearly 10 keeps one per year and the oldest in addition",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepYearly(10), List.of("b12", "a10", "a05", "a01")),
        Arguments.of("keep-tag foo",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepTag("foo"), List.of("a09", "a04")),
        Arguments.of("keep-tag foo and keep-last 1",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepTag("foo").keepLast(1), List.of("b12", "a09", "a04")),
        Arguments.of("keep-within 7 days of the newest (strictly after the cutoff)",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepWithin(Duration.ofDays(5).plusHours(15)),
            List.of("b12", "b11")),
        Arguments.of("keep-within just over the cutoff includes it",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepWithin(Duration.ofDays(5).plusHours(15).plusSeconds(1)),
            List.of("b12", "b11", "b10")),
        Arguments.of("keep-daily 2 and keep-weekly 2 overlap and count once",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepDaily(2).keepWeekly(2), List.of("b12", "b11")),
        Arguments.of("keep-last 2 keep-monthly 2",
            (UnaryOperator<RetentionPolicy.Builder>) b -> b.keepLast(2).keepMonthly(2), List.of("b12", "b11", "a10")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void appliesTheRulesOfResticsForget(String name, UnaryOperator<RetentionPolicy.Builder> policy, List<String> kept) {
    RetentionPlan plan = UTC.plan(resticHistory(), policy.apply(RetentionPolicy.builder()).build(), NOW);
    assertThat(keptIds(plan)).containsExactlyInAnyOrderElementsOf(kept);
    assertThat(plan.toKeep().size() + plan.toRemove().size()).isEqualTo(resticHistory().size());
  }

  @Test
  void keepsTheOldestSnapshotWhenABucketRuleHasCountsLeftAndMarksIt() {
    RetentionPlan plan = UTC.plan(resticHistory(), RetentionPolicy.builder().keepYearly(10).build(), NOW);
    RetentionDecision oldest = plan.toKeep().get(plan.toKeep().size() - 1);
    assertThat(oldest.snapshot().id()).isEqualTo("a01");
    assertThat(oldest.reasons()).containsExactly(new KeepReason(RetentionRule.YEARLY, true, "2014"));
    assertThat(oldest.reasons().get(0).describe()).isEqualTo("oldest yearly snapshot 2014");
  }

  @Test
  void listsEveryMatchingRuleOnceInTheReasons() {
    RetentionPlan plan = UTC.plan(resticHistory(),
        RetentionPolicy.builder().keepLast(1).keepDaily(1).keepWeekly(1).keepWithin(Duration.ofHours(1)).build(), NOW);
    RetentionDecision newest = plan.toKeep().get(0);
    assertThat(newest.snapshot().id()).isEqualTo("b12");
    assertThat(newest.reasons()).extracting(KeepReason::rule)
        .containsExactly(RetentionRule.WITHIN, RetentionRule.LAST, RetentionRule.DAILY, RetentionRule.WEEKLY);
    assertThat(plan.toKeep()).hasSize(1);
  }

  @Test
  void emptyPolicyKeepsEverySnapshot() {
    RetentionPlan plan = UTC.plan(resticHistory(), RetentionPolicy.keepAll(), NOW);
    assertThat(plan.toRemove()).isEmpty();
    assertThat(plan.toKeep()).allSatisfy(d ->
        assertThat(d.reasons()).containsExactly(new KeepReason(RetentionRule.EMPTY_POLICY, false, "")));
  }

  @Test
  void appliesThePolicyToEachHostAndPathSetSeparately() {
    List<SnapshotDescriptor> list = List.of(
        SnapshotDescriptor.of("h1a", utc("2020-01-01 10:00:00"), "h1", Set.of(), List.of("/srv")),
        SnapshotDescriptor.of("h1b", utc("2020-01-02 10:00:00"), "h1", Set.of(), List.of("/srv")),
        SnapshotDescriptor.of("h2a", utc("2020-01-01 11:00:00"), "h2", Set.of(), List.of("/srv")),
        SnapshotDescriptor.of("h1p", utc("2020-01-01 12:00:00"), "h1", Set.of(), List.of("/var", "/etc")),
        SnapshotDescriptor.of("h1q", utc("2019-01-01 12:00:00"), "h1", Set.of(), List.of("/etc", "/var", "/etc")));
    RetentionPolicy last1 = RetentionPolicy.builder().keepLast(1).build();

    RetentionPlan byHostPaths = UTC.plan(list, last1, NOW);
    assertThat(keptIds(byHostPaths)).containsExactlyInAnyOrder("h1b", "h2a", "h1p");
    assertThat(byHostPaths.groups()).hasSize(3);

    RetentionPlan byHost = RetentionPlanner.create(ZoneOffset.UTC, EnumSet.of(GroupBy.HOST)).plan(list, last1, NOW);
    assertThat(keptIds(byHost)).containsExactlyInAnyOrder("h1b", "h2a");

    RetentionPlan ungrouped = RetentionPlanner.create(ZoneOffset.UTC, Set.of()).plan(list, last1, NOW);
    assertThat(keptIds(ungrouped)).containsExactly("h1b");
    assertThat(ungrouped.groups().get(0).group().describe()).isEqualTo("all snapshots");
  }

  @Test
  void bucketsFollowTheCalendarOfTheConfiguredZone() {
    // 23:30 UTC on 2020-01-01 is already 2020-01-02 in Tokyo, the same day as the next snapshot there
    List<SnapshotDescriptor> list = Snaps.history()
        .add("late", "2020-01-01 23:30:00").add("next", "2020-01-02 05:00:00").add("first", "2020-01-01 01:00:00").build();
    RetentionPolicy daily2 = RetentionPolicy.builder().keepDaily(2).build();
    assertThat(keptIds(UTC.plan(list, daily2, NOW))).containsExactly("next", "late");
    assertThat(keptIds(RetentionPlanner.create(ZoneId.of("Asia/Tokyo")).plan(list, daily2, NOW)))
        .containsExactly("next", "first");
  }

  @Test
  void keepWithinIgnoresFutureSnapshotsWhenFindingTheNewestAndKeepsThem() {
    List<SnapshotDescriptor> list = Snaps.history()
        .add("future", "2040-01-01 00:00:00").add("recent", "2029-12-31 00:00:00")
        .add("old", "2029-12-01 00:00:00").build();
    RetentionPlan plan = UTC.plan(list, RetentionPolicy.builder().keepWithin(Duration.ofDays(2)).build(), NOW);
    assertThat(keptIds(plan)).containsExactly("future", "recent");
    assertThat(plan.toRemove().get(0).why()).singleElement().asString().startsWith("keep-within PT48H: not after");
  }

  @Test
  void explainsEachRemovalRuleByRule() {
    RetentionPlan plan = UTC.plan(resticHistory(),
        RetentionPolicy.builder().keepDaily(3).keepTag("nope").build(), NOW);
    RetentionDecision b10 = plan.toRemove().stream().filter(d -> d.snapshot().id().equals("b10")).findFirst().orElseThrow();
    assertThat(b10.why()).containsExactly("keep-tag: has none of [nope]", "keep-daily: 2016-01-12 already kept by b11");
  }

  @Test
  void reportsGroupsThatATagOnlyPolicyWouldEmpty() {
    RetentionPlan plan = UTC.plan(resticHistory(), RetentionPolicy.builder().keepTag("missing").build(), NOW);
    assertThat(plan.emptiedGroups()).hasSize(1);
    assertThat(UTC.plan(resticHistory(), RetentionPolicy.builder().keepTag("foo").build(), NOW).emptiedGroups())
        .isEmpty();
  }

  @Test
  void rendersADryRunListingOfWhatGoesAndWhy() {
    RetentionPlan plan = UTC.plan(Snaps.history().add("aaaaaaaaaaaa", "2020-01-02 10:00:00")
        .add("bbbbbbbbbbbb", "2020-01-02 09:00:00").build(), RetentionPolicy.builder().keepDaily(1).build(), NOW);
    assertThat(plan.render(8)).isEqualTo("""
        Applying policy: keep 1 daily snapshots

        snapshots for host host, paths [/data]:
        keep 1 snapshot:
          aaaaaaaa  2020-01-02 10:00:00  daily snapshot 2020-01-02
        remove 1 snapshot:
          bbbbbbbb  2020-01-02 09:00:00  keep-daily 1: the 1 days it keeps are taken by newer snapshots
        """);
  }

  @Test
  void describesPolicies() {
    assertThat(RetentionPlan.describe(RetentionPolicy.builder().keepLast(2).keepDaily(7).keepTag("x")
        .keepWithin(Duration.ofDays(3)).build()))
        .isEqualTo("keep 2 last, 7 daily snapshots and all snapshots with a tag of [x] and all snapshots within PT72H of the newest");
    assertThat(RetentionPlan.describe(RetentionPolicy.keepAll())).isEqualTo("keep all snapshots (the policy is empty)");
  }

  @Test
  void rejectsDuplicateIds() {
    List<SnapshotDescriptor> list = Snaps.history().add("x", "2020-01-01 00:00:00").add("x", "2020-01-02 00:00:00").build();
    assertThatThrownBy(() -> UTC.plan(list, RetentionPolicy.keepAll(), NOW))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate snapshot id x");
  }

  @Test
  void emptyHistoryProducesAnEmptyPlan() {
    RetentionPlan plan = UTC.plan(List.of(), RetentionPolicy.builder().keepLast(3).build(), NOW);
    assertThat(plan.groups()).isEmpty();
    assertThat(plan.idsToRemove()).isEmpty();
  }
}
