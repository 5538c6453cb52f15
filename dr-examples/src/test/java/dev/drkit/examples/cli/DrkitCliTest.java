package dev.drkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DrkitCliTest {

  @Test
  void helpListsThePlanCommand() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("Usage: drkit").contains("plan").contains("--version");
  }

  @Test
  void versionNamesTheTool() {
    CliRun run = CliRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("drkit ").contains("Java ");
  }

  @Test
  void noCommandIsAUsageError() {
    CliRun run = CliRun.of();
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("missing command").contains("plan");
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    CliRun run = CliRun.of("teleport");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("teleport");
  }

  @Test
  void everyRegisteredGroupContributesItsCommands() {
    assertThat(DrkitCli.commandLine().getSubcommands())
        .containsKeys("plan", "drill", "rebuild", "init", "backup", "snapshots", "restore", "verify", "forget", "prune", "key");
  }
}
