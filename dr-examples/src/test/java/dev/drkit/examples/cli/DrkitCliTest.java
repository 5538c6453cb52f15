package dev.drkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

  @Test
  void aNamedCommandIsSetUpAlone() {
    assertThat(DrkitCli.commandLineFor(new String[] {"snapshots", "--repo", "r"}).getSubcommands())
        .containsOnlyKeys("snapshots");
    assertThat(DrkitCli.commandLineFor(new String[] {"plan", "show"}).getSubcommands()).containsOnlyKeys("plan");
  }

  @Test
  void optionsNoCommandAndUnknownNamesGetTheWholeTree() {
    int all = DrkitCli.commandLine().getSubcommands().size();
    for (String[] args : new String[][] {{}, {"--help"}, {"-V"}, {"teleport"}, {"@args.txt"}}) {
      assertThat(DrkitCli.commandLineFor(args).getSubcommands()).as(String.join(" ", args)).hasSize(all);
    }
  }

  @Test
  void everyCommandSetUpAloneHasTheSameUsageAsInTheWholeTree() {
    Map<String, CommandLine> whole = DrkitCli.commandLine().getSubcommands();
    for (Map.Entry<String, CommandLine> e : whole.entrySet()) {
      CommandLine alone = DrkitCli.commandLineFor(new String[] {e.getKey()}).getSubcommands().get(e.getKey());
      assertThat(alone).as(e.getKey()).isNotNull();
      assertThat(alone.getUsageMessage()).as(e.getKey()).isEqualTo(e.getValue().getUsageMessage());
      assertThat(alone.getSubcommands().keySet()).as(e.getKey()).isEqualTo(e.getValue().getSubcommands().keySet());
    }
  }

  @Test
  void aCommandRunThroughTheLeanSetUpBehavesAsBefore() {
    CliRun run = CliRun.of("plan", "show");
    assertThat(run.exitCode()).isZero();
    CliRun missing = CliRun.of("plan");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("missing subcommand").contains("check").contains("show");
  }
}
