package dev.drkit.backup.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link IsoInstants} writes exactly what {@link Instant#toString()} writes, for every kind of instant. */
class IsoInstantsTest {
  private static String fast(Instant t) {
    return IsoInstants.append(new StringBuilder(), t.getEpochSecond(), t.getNano()).toString();
  }

  private static String fast(long s, int n) {
    return IsoInstants.append(new StringBuilder(), s, n).toString();
  }

  @Test
  void matchesInstantToStringOnEdgeInstants() {
    List<Instant> edges = new ArrayList<>(List.of(Instant.EPOCH, Instant.MIN, Instant.MAX,
        Instant.ofEpochSecond(0, 1), Instant.ofEpochSecond(-1), Instant.ofEpochSecond(-1, 999_999_999),
        Instant.parse("2024-02-29T23:59:59.999999999Z"), Instant.parse("2000-03-01T00:00:00Z"),
        Instant.parse("1900-02-28T12:00:00.5Z"), Instant.parse("0000-01-01T00:00:00Z"),
        Instant.parse("9999-12-31T23:59:59.999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
        Instant.parse("-0001-12-31T23:59:59Z"), Instant.parse("0001-01-01T00:00:00.000001Z"),
        Instant.parse("1969-12-31T23:59:00Z"), Instant.parse("2038-01-19T03:14:08Z")));
    int[] nanos = {0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 120_000_000,
        123_000, 123_400_000, 999_999_999, 999_000_000, 999_999_000, 500_000_001};
    for (long s : new long[] {0, -1, 86_399, 86_400, -86_400, -62_167_219_200L, -62_167_219_201L,
        253_402_300_799L, 253_402_300_800L, 1_700_000_000L, -2_208_988_800L}) {
      for (int n : nanos) {
        edges.add(Instant.ofEpochSecond(s, n));
      }
    }
    for (Instant t : edges) {
      assertThat(fast(t)).as("%s", t).isEqualTo(t.toString());
    }
  }

  @Test
  void matchesInstantToStringOnRandomInstants() {
    SplittableRandom rnd = new SplittableRandom(15);
    for (int i = 0; i < 200_000; i++) {
      long s = switch (i % 4) {
        case 0 -> rnd.nextLong(-62_167_219_200L, 253_402_300_800L); // years 0000-9999
        case 1 -> rnd.nextLong(0, 4_102_444_800L); // 1970-2100, where file times are
        case 2 -> rnd.nextLong(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond() + 1);
        default -> rnd.nextLong(-4_000_000_000L, 0); // before 1970
      };
      int n = switch (i % 5) {
        case 0 -> 0;
        case 1 -> rnd.nextInt(1000) * 1_000_000;
        case 2 -> rnd.nextInt(1_000_000) * 1000;
        default -> rnd.nextInt(1_000_000_000);
      };
      Instant t = Instant.ofEpochSecond(s, n);
      assertThat(fast(s, n)).as("%d.%09d", s, n).isEqualTo(t.toString());
    }
  }

  @Test
  void appendsToWhatIsThere() {
    assertThat(IsoInstants.append(new StringBuilder("7:42:"), 1, 5_000_000).toString())
        .isEqualTo("7:42:1970-01-01T00:00:01.005Z");
  }

  @Test
  void refusesNanosOutsideOneSecond() {
    assertThatThrownBy(() -> fast(0, 1_000_000_000)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nano");
    assertThatThrownBy(() -> fast(0, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
