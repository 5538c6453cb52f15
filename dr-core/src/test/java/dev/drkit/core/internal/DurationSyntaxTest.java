package dev.drkit.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import dev.drkit.core.internal.DurationSyntax.BareNumber;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one duration grammar; a bare number is the only thing whose meaning depends on the field. */
class DurationSyntaxTest {
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
      "1h30m, PT1H30M",
      "1h 30m, PT1H30M",
      "2 s, PT2S",
      "250ms, PT0.25S",
      "1500us, PT0.0015S",
      "7ns, PT0.000000007S",
      "1.5s, PT1.5S",
      "2d, PT48H",
      "1w2d12h, PT228H",
      "2w, PT336H",
      "PT5M, PT5M",
      "pt5m, PT5M",
      "5M, PT5M",
      "-30s, PT-30S"})
  void readsTheSameEverywhere(String text, String iso) {
    assertThat(DurationSyntax.parse(text, BareNumber.MINUTES)).isEqualTo(Duration.parse(iso));
    assertThat(DurationSyntax.parse(text, BareNumber.REFUSED)).isEqualTo(Duration.parse(iso));
  }

  @Test
  void aBareNumberIsMinutesInPlanFieldsAndRefusedInCheckParameters() {
    assertThat(DurationSyntax.parse("15", BareNumber.MINUTES)).isEqualTo(Duration.ofMinutes(15));
    assertThatThrownBy(() -> DurationSyntax.parse("15", BareNumber.REFUSED))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
            .satisfies(p -> {
              assertThat(p.path()).isEmpty();
              assertThat(p.message()).startsWith("'15' has no unit; write one, for example 15ms, 15s or 15m");
            }));
  }

  @Test
  void errorsQuoteTheValueAndSayWhatIsAccepted() {
    assertThatThrownBy(() -> DurationSyntax.parse("soon", BareNumber.MINUTES)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("'soon' is not a duration (write a number of minutes, or e.g. 500ms");
    assertThatThrownBy(() -> DurationSyntax.parse("soon", BareNumber.REFUSED)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("'soon' is not a duration (write e.g. 500ms, 30s, 5m, 1h30m, 2d or PT5M)");
    assertThatThrownBy(() -> DurationSyntax.parse("x".repeat(500), BareNumber.REFUSED))
        .isInstanceOf(ConfigException.class).hasMessageContaining("...'").satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
    assertThatThrownBy(() -> DurationSyntax.parse("9".repeat(18) + "d", BareNumber.REFUSED))
        .isInstanceOf(ConfigException.class).hasMessageContaining("too large");
    assertThatThrownBy(() -> DurationSyntax.parse("5 minutes", BareNumber.MINUTES)).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> DurationSyntax.parse("1h30", BareNumber.MINUTES)).isInstanceOf(ConfigException.class);
  }
}
