package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EpochHistoryTest {
  static EpochHistory h(long... pairs) {
    EpochHistory e = EpochHistory.empty();
    for (int i = 0; i < pairs.length; i += 2) {
      e = e.with(pairs[i], pairs[i + 1]);
    }
    return e;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "old primary ahead in its epoch; 1 0; 120; 1 0 2 100; 150; 100",
      "old primary behind; 1 0; 90; 1 0 2 100; 150; 90",
      "identical; 1 0 2 100; 150; 1 0 2 100; 150; 150",
      "two failovers, target stuck in epoch 2; 1 0 2 100; 130; 1 0 2 100 3 120; 160; 120",
      "target epoch unknown to source; 1 0 3 50; 70; 1 0 2 40; 90; 40",
      "nothing in common; 5 0; 10; 6 0; 10; 0",
  })
  void findsWhereHistoriesDiverge(String name, String target, long targetEnd, String source, long sourceEnd,
      long expected) {
    assertThat(EpochHistory.divergenceOffset(parse(target), targetEnd, parse(source), sourceEnd)).isEqualTo(expected);
  }

  static EpochHistory parse(String s) {
    String[] p = s.trim().split(" ");
    long[] v = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      v[i] = Long.parseLong(p[i]);
    }
    return h(v);
  }

  @Test
  void rejectsNonIncreasingEntries() {
    assertThatThrownBy(() -> new EpochHistory(List.of(new EpochHistory.Entry(2, 0), new EpochHistory.Entry(1, 5))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must increase");
  }

  @Test
  void answersWhichEpochWroteAnOffset() {
    EpochHistory e = h(1, 0, 3, 10);
    assertThat(e.epochAt(9)).isEqualTo(1);
    assertThat(e.epochAt(10)).isEqualTo(3);
    assertThat(e.endOf(1, 20)).isEqualTo(10);
    assertThat(e.truncatedTo(9).entries()).containsExactly(new EpochHistory.Entry(1, 0));
  }
}
