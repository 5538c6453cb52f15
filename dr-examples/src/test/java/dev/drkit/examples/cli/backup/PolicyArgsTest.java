package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PolicyArgsTest {
  @Test
  void parsesKeepWithinDurations() {
    assertThat(PolicyArgs.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(PolicyArgs.parseDuration("36h")).isEqualTo(Duration.ofHours(36));
    assertThat(PolicyArgs.parseDuration("1w2d12h")).isEqualTo(Duration.ofDays(9).plusHours(12));
    assertThat(PolicyArgs.parseDuration("P7D")).isEqualTo(Duration.ofDays(7));
    assertThat(PolicyArgs.parseDuration("pt90m")).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void refusesCalendarUnitsAndGarbage() {
    assertThatThrownBy(() -> PolicyArgs.parseDuration("2y")).isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("use days");
    assertThatThrownBy(() -> PolicyArgs.parseDuration("6m")).hasMessageContaining("use days");
    assertThatThrownBy(() -> PolicyArgs.parseDuration("soon")).hasMessageContaining("is not a duration");
    assertThatThrownBy(() -> PolicyArgs.parseDuration("")).hasMessageContaining("is not a duration");
    assertThatThrownBy(() -> PolicyArgs.parseDuration("P-1D")).hasMessageContaining("negative");
  }

  @Test
  void parsesCountsIncludingUnlimited() {
    PolicyArgs.Count c = new PolicyArgs.Count();
    assertThat(c.convert("3")).isEqualTo(3);
    assertThat(c.convert("unlimited")).isEqualTo(Integer.MAX_VALUE);
    assertThatThrownBy(() -> c.convert("-1")).hasMessageContaining("negative");
    assertThatThrownBy(() -> c.convert("x")).hasMessageContaining("is not a count");
  }

  @Test
  void rendersAProgressLine() {
    assertThat(ProgressBar.render("restore", 0.5, 10, 512 * 1024, 1024 * 1024, 2048, Duration.ofSeconds(75)))
        .isEqualTo("restore [############............]  50.0%  10 files  512.0 KiB / 1.0 MiB  2.0 KiB/s  ETA 1:15");
    assertThat(ProgressBar.render("verify", -1, 1, 10, -1, 0, null))
        .isEqualTo("verify [........................]    ?    1 file  10 B  0 B/s");
    assertThat(ProgressBar.bytes(3L << 30)).isEqualTo("3.0 GiB");
  }

  @Test
  void aBarIsRewrittenInPlaceAndEndsWithANewline() {
    java.io.StringWriter sw = new java.io.StringWriter();
    ProgressBar bar = new ProgressBar(new java.io.PrintWriter(sw), true);
    bar.update("backup", 0.25, 1, 1, 4, 1, null, false);
    bar.update("backup", 1.0, 2, 4, 4, 1, Duration.ZERO, true);
    assertThat(sw.toString()).startsWith("\rbackup [######").contains("\rbackup [########################] 100.0%")
        .endsWith(System.lineSeparator());
    java.io.StringWriter quiet = new java.io.StringWriter();
    new ProgressBar(new java.io.PrintWriter(quiet), false).update("backup", 1, 1, 1, 1, 1, null, true);
    assertThat(quiet.toString()).isEmpty();
  }
}
