package dev.drkit.examples.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SoakScheduleTest {
  @Test
  void theSameSeedGivesTheSameSchedule() {
    assertThat(SoakSchedule.generate(42, Duration.ofMillis(2500)))
        .isEqualTo(SoakSchedule.generate(42, Duration.ofMillis(2500)));
    assertThat(SoakSchedule.generate(42, Duration.ofMillis(2500)).faults())
        .isNotEqualTo(SoakSchedule.generate(43, Duration.ofMillis(2500)).faults());
  }

  @Test
  void faultsStartInTheWindowInOrderAndTwoHundredSeedsCoverEveryKindOfFault() {
    Set<SoakSchedule.Kind> kinds = EnumSet.noneOf(SoakSchedule.Kind.class);
    Set<FaultProxy.Mode> modes = EnumSet.noneOf(FaultProxy.Mode.class);
    Set<SoakSchedule.Link> links = EnumSet.noneOf(SoakSchedule.Link.class);
    LongStream.range(0, 200).mapToObj(s -> SoakSchedule.generate(s, Duration.ofMillis(2500))).forEach(s -> {
      assertThat(s.faults()).hasSizeBetween(2, 4);
      assertThat(s.faults()).isSortedAccordingTo(java.util.Comparator.comparing(SoakSchedule.Fault::at));
      for (SoakSchedule.Fault f : s.faults()) {
        assertThat(f.at()).isLessThan(Duration.ofMillis(2500));
        assertThat(f.at().plus(f.duration())).isLessThanOrEqualTo(s.length());
        kinds.add(f.kind());
        if (f.kind() == SoakSchedule.Kind.PARTITION) {
          modes.add(f.network().mode());
          links.add(f.link());
        }
      }
    });
    assertThat(kinds).containsExactlyInAnyOrder(SoakSchedule.Kind.values());
    assertThat(modes).containsExactlyInAnyOrder(FaultProxy.Mode.DELAY, FaultProxy.Mode.BLACKHOLE,
        FaultProxy.Mode.DROP, FaultProxy.Mode.RESET);
    assertThat(links).containsExactlyInAnyOrder(SoakSchedule.Link.values());
  }
}
