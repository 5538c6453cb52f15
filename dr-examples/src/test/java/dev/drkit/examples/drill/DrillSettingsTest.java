package dev.drkit.examples.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DrillSettingsTest {
  @TempDir
  Path tmp;

  private static DrillSettings parse(String yaml) {
    return DrillSettings.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "settings.yaml");
  }

  @Test
  void validSettingsOverrideTheDefaults() {
    DrillSettings s = parse("""
        service: orders
        detection:
          interval: 100ms
          failures: 2
        load:
          writers: 4
        """);
    assertThat(s.probeInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.failuresToDown()).isEqualTo(2);
    assertThat(s.writers()).isEqualTo(4);
  }

  @Test
  void durationsAreReadInTheOneGrammarAndANumberAloneNeedsAUnit() {
    DrillSettings s = parse("""
        service: orders
        detection:
          interval: PT0.25S
        pacing:
          warmup: 1m 30s
        """);
    assertThat(s.probeInterval()).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> parse("""
        service: orders
        detection:
          interval: 200
        """)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).extracting(Object::toString)
            .containsExactly("settings.yaml:3:3: detection.interval: '200' is not a duration (like 200ms, 1.5s, 2m);"
                + " a number needs a unit"));
  }

  @Test
  void eachBadFieldIsNamedWithItsLineAndColumn() {
    assertThatThrownBy(() -> parse("""
        service: orders
        detection:
          interval: soon
          failures: 0
        load:
          writerz: 4
        colour: blue
        """)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).extracting(Object::toString).containsExactlyInAnyOrder(
            "settings.yaml:3:3: detection.interval: 'soon' is not a duration (like 200ms, 1.5s, 2m)",
            "settings.yaml:6:3: load.writerz: unknown field (expected one of [rate, writers])",
            "settings.yaml:7:1: colour: unknown field (expected one of [detection, load, pacing, rebuild, replication, service])"));
    assertThatThrownBy(() -> parse("""
        service: orders
        detection:
          interval: soon
          failures: 0
        """)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).extracting(Object::toString)
            .containsExactly("settings.yaml:3:3: detection.interval: 'soon' is not a duration (like 200ms, 1.5s, 2m)"));
    assertThatThrownBy(() -> parse("""
        detection:
          failures: 0
        load:
          rate: 0
        """)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).extracting(Object::toString)
            .anySatisfy(t -> assertThat(t).startsWith("settings.yaml:2:3: detection.failures: must be >= 1"))
            .anySatisfy(t -> assertThat(t).startsWith("settings.yaml:4:3: load.rate: must be in (0, 10000]")));
  }

  @Test
  void aSyntaxErrorInAFileNamesTheFileLineAndColumn() throws Exception {
    Path file = tmp.resolve("broken.yaml");
    Files.writeString(file, "service: orders\ndetection:\n  interval: [200ms\n");
    assertThatThrownBy(() -> DrillSettings.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString() + ":").hasMessageContaining("not valid YAML");
  }
}
