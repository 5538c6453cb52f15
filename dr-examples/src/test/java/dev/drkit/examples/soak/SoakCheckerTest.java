package dev.drkit.examples.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.examples.soak.SoakChecker.Accept;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SoakCheckerTest {
  private static final long MS = 1_000_000L;

  @Test
  void aCleanHandOverHasNoSplitBrainAndItsGapIsTheLongestNoServingWindow() {
    List<Accept> log = List.of(new Accept("primary", 1, "a", 10 * MS), new Accept("primary", 1, "b", 100 * MS),
        new Accept("backup", 2, "c", 400 * MS), new Accept("backup", 2, "d", 450 * MS));
    SoakChecker.Verdict v = SoakChecker.check(List.of("a", "b", "c", "d"), log, Set.of("a", "b", "c", "d"), true, 0,
        500 * MS);
    assertThat(v.splitBrainMs()).isZero();
    assertThat(v.sharedEpochs()).isEmpty();
    assertThat(v.longestNoServingMs()).isEqualTo(300);
    assertThat(v.lostAcknowledged()).isZero();
    assertThat(v.clean()).isTrue();
  }

  @Test
  void twoSitesAcceptingAtOnceIsSplitBrainForTheOverlapOfTheirTenures() {
    // The old primary goes on accepting at epoch 1 until 300 ms; the backup took over at 200 ms.
    List<Accept> log = List.of(new Accept("primary", 1, "a", 0), new Accept("primary", 1, "b", 300 * MS),
        new Accept("backup", 2, "c", 200 * MS), new Accept("backup", 2, "d", 600 * MS));
    SoakChecker.Verdict v = SoakChecker.check(List.of("a", "b", "c", "d"), log, Set.of("a", "b", "c", "d"), true, 0,
        600 * MS);
    assertThat(v.splitBrainMs()).isEqualTo(100);
    assertThat(v.clean()).isFalse();
  }

  @Test
  void bothSitesAcceptingUnderOneEpochIsSplitBrainWhateverTheTiming() {
    List<Accept> log = List.of(new Accept("primary", 2, "a", 0), new Accept("backup", 2, "b", 500 * MS));
    SoakChecker.Verdict v = SoakChecker.check(List.of(), log, Set.of(), true, 0, 500 * MS);
    assertThat(v.splitBrainMs()).isZero();
    assertThat(v.sharedEpochs()).containsExactly(2L);
    assertThat(v.clean()).isFalse();
  }

  @Test
  void acknowledgedWritesMissingFromTheFinalSiteAreLostAndNoServingSiteLosesThemAll() {
    List<Accept> log = List.of(new Accept("primary", 1, "a", 0), new Accept("primary", 1, "b", 10 * MS));
    SoakChecker.Verdict v = SoakChecker.check(List.of("a", "b"), log, Set.of("a"), true, 0, 20 * MS);
    assertThat(v.lostAcknowledged()).isEqualTo(1);
    assertThat(v.lostIds()).containsExactly("b");

    SoakChecker.Verdict none = SoakChecker.check(List.of("a", "b"), log, null, false, 0, 1000 * MS);
    assertThat(none.servingAtEnd()).isFalse();
    assertThat(none.lostAcknowledged()).isEqualTo(2);
    // Nothing accepted after 10 ms until the load stopped at 1 s.
    assertThat(none.longestNoServingMs()).isEqualTo(990);
    // No site serves, but the engine's active site still holds both: an outage, not a loss.
    SoakChecker.Verdict held = SoakChecker.check(List.of("a", "b"), log, Set.of("a", "b"), false, 0, 1000 * MS);
    assertThat(held.lostAcknowledged()).isZero();
    assertThat(held.clean()).isFalse();
  }
}
