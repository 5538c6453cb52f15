package dev.drkit.examples.cli.rebuild;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.examples.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code drkit rebuild}'s handling of what a tired operator types: every plausible form of a time,
 * and every invalid option, plan or data directory, refused with one line naming the thing, exit
 * code 2 and no stack trace, before anything is opened (so nothing on the sites can change).
 */
class RebuildCommandInputTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "2026-01-31T02:00:00Z | 2026-01-31T02:00:00Z",
      "2026-01-31T02:00:00.250Z | 2026-01-31T02:00:00.250Z",
      "2026-01-31T03:00:00+01:00 | 2026-01-31T02:00:00Z",
      "2026-01-31 02:00:00Z | 2026-01-31T02:00:00Z",
      "' 2026-01-31T02:00Z ' | 2026-01-31T02:00:00Z",
      "2026-01-31T02:00 | 2026-01-31T07:00:00Z",
      "2026-07-31 02:00:00 | 2026-07-31T06:00:00Z"})
  void readsEveryIsoFormOfATimeWithAnOffsetOrInTheLocalZone(String typed, String instant) {
    assertThat(RebuildCommand.parseTime("--to", typed, NEW_YORK)).isEqualTo(Instant.parse(instant));
  }

  @Test
  void refusesADateAloneANumberAndGarbageSayingWhatToWriteInstead() {
    assertThatThrownBy(() -> RebuildCommand.parseTime("--to", "2026-01-31", NEW_YORK))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--to '2026-01-31' is a date without a time of day; give the moment, e.g. 2026-01-31T00:00:00Z"
            + " for the start of that day");
    assertThatThrownBy(() -> RebuildCommand.parseTime("--to", "1769824800", NEW_YORK))
        .hasMessage("--to '1769824800' is a number, not a time; if it is a Unix time in seconds, write it as"
            + " 2026-01-31T02:00:00Z");
    assertThatThrownBy(() -> RebuildCommand.parseTime("--to", "yesterday 2am", NEW_YORK))
        .hasMessageStartingWith("--to 'yesterday 2am' is not an ISO-8601 time such as 2026-01-31T02:00:00Z");
    assertThatThrownBy(() -> RebuildCommand.parseTime("--to", "2026-02-30T02:00:00Z", NEW_YORK))
        .hasMessageStartingWith("--to '2026-02-30T02:00:00Z' is not an ISO-8601 time");
  }

  @Test
  void refusesALocalTimeThatADaylightSavingChangeSkipsOrRepeats() {
    // 2026-03-08 02:30 does not exist in New York (clocks jump from 02:00 to 03:00).
    assertThatThrownBy(() -> RebuildCommand.parseTime("--to", "2026-03-08T02:30", NEW_YORK))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not exist in the local zone America/New_York")
        .hasMessageContaining("give the time with its offset");
    // 2026-11-01 01:30 happens twice (clocks fall back from 02:00 to 01:00).
    assertThatThrownBy(() -> RebuildCommand.parseTime("--to", "2026-11-01T01:30", NEW_YORK))
        .hasMessageContaining("happens twice in the local zone America/New_York")
        .hasMessageContaining("2026-11-01T01:30-04:00 or 2026-11-01T01:30-05:00");
  }

  private CliRun rebuild(String... more) {
    List<String> args = new ArrayList<>(List.of("rebuild", "--plan", tmp.resolve("no-plan.yaml").toString(),
        "--service", "orders", "--data", tmp.resolve("no-data").toString()));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static void assertRefused(CliRun r, String message) {
    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(RebuildCommand.EXIT_INVALID);
    assertThat(r.err()).contains(message).doesNotContain("\tat ").doesNotContain("Exception in");
  }

  @Test
  void refusesATargetTimeInTheFutureAndBadOffsetsBeforeOpeningAnything() {
    assertRefused(rebuild("--to", "2999-01-01T00:00:00Z"), "--to '2999-01-01T00:00:00Z' (2999-01-01T00:00:00Z) is in"
        + " the future");
    assertRefused(rebuild("--to-offset", "-1"), "--to-offset must be >= 0 but was -1");
    assertRefused(rebuild("--to-offset", "twelve"), "Invalid value for option '--to-offset': 'twelve' is not a long");
    assertRefused(rebuild("--to-offset", "99999999999999999999"), "Invalid value for option '--to-offset'");
    assertRefused(rebuild("--to", "2026-01-01T00:00:00Z", "--to-offset", "3"), "give --to TIME or --to-offset N,"
        + " not both");
    assertRefused(rebuild("--to", "2026-01-31"), "--to '2026-01-31' is a date without a time of day");
    assertRefused(rebuild("--snapshot", "ab"), "--snapshot 'ab' is shorter than 4 characters");
    assertRefused(rebuild("--snapshot", "4f2a\u001b[2J"), "--snapshot: character 5 is not a hex digit");
    assertRefused(rebuild("--last-acknowledged", "noon"), "--last-acknowledged 'noon' is not an ISO-8601 time");
    assertThat(tmp.resolve("no-data")).doesNotExist();
  }

  @Test
  void aMissingOrMalformedPlanIsRefusedNamingTheFileFieldAndLine() throws Exception {
    CliRun missing = rebuild();
    assertRefused(missing, "no-plan.yaml: cannot read the plan file");
    assertThat(missing.err()).contains("invalid plan: 1 problem(s)");

    Path plan = tmp.resolve("plan.yaml");
    Files.writeString(plan, "services:\n  - name: orders\n    rto: 30s\n    rpo: banana\n");
    CliRun malformed = CliRun.of("rebuild", "--plan", plan.toString(), "--service", "orders", "--data",
        tmp.toString());
    assertRefused(malformed, plan + ":4:10: services[0].rpo: 'banana' is not a duration");
  }

  @Test
  void aDirectoryThatIsNotAServicesDataDirectoryIsRefused() throws Exception {
    Path plan = tmp.resolve("plan.yaml");
    Files.writeString(plan, "services:\n  - name: orders\n    rto: 30s\n    rpo: 5s\n");
    CliRun r = CliRun.of("rebuild", "--plan", plan.toString(), "--service", "orders", "--data", tmp.toString());
    assertRefused(r, "--data " + tmp + " holds no backup-repo/ directory");
    CliRun unknown = CliRun.of("rebuild", "--plan", plan.toString(), "--service", "payments", "--data",
        tmp.toString());
    assertRefused(unknown, "no service named 'payments'");
  }
}
