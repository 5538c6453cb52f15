package dev.drkit.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
      "15, PT15M",
      "1.5, PT1M30S",
      "500ms, PT0.5S",
      "90s, PT1M30S",
      "5m, PT5M",
      "1h, PT1H",
      "2d, PT48H",
      "1h30m, PT1H30M",
      "1.5h, PT1H30M",
      "PT1H, PT1H",
      "pt10m, PT10M",
      "P1D, PT24H",
      "-5m, PT-5M",
      "' 10s ', PT10S",
      "0, PT0S"})
  void parsesEveryAcceptedForm(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "soon", "5 minutes", "5x", "m5", "1e3", "PT", "P1Y", "1.2.3s", "--5m",
      "99999999999999999999d"})
  void rejectsAnythingElseWithAConfigException(String text) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems().get(0).path()).isEmpty());
  }

  @Test
  void rejectsDurationsBeyondWhatANanosecondCountHolds() {
    assertThatThrownBy(() -> Durations.parse("200000d")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("too large");
    assertThatThrownBy(() -> Durations.ofMinutes(new BigDecimal("1e300"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("too large");
  }

  @Test
  void formatsCompactlyAndRoundTrips() {
    assertThat(Durations.format(Duration.ofMinutes(15))).isEqualTo("15m");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(Durations.format(Duration.ofHours(49))).isEqualTo("2d1h");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofMinutes(-5))).isEqualTo("-5m");
    Random random = new Random(3);
    for (int i = 0; i < 2_000; i++) {
      Duration d = Duration.ofNanos(random.nextLong() >>> random.nextInt(64));
      assertThat(Durations.parse(Durations.format(d))).as("%s", d).isEqualTo(d);
    }
  }
}
