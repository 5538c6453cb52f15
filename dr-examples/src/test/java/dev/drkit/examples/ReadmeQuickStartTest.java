package dev.drkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Compiles and runs the README's quick start, and checks that the README shows exactly this code
 * (the block between the markers below), so the two cannot drift apart.
 */
class ReadmeQuickStartTest {
  private static final String BEGIN = "// README quick start: begin";
  private static final String END = "// README quick start: end";

  // README quick start: begin
  static RecoveryPlan quickStart(Path planFile) {
    // What must survive a disaster, and how fast it must come back.
    RecoveryConfig inventory = RecoveryConfig.builder("inventory")
        .rpo(Duration.ofMinutes(15))          // lose at most 15 minutes of data
        .rto(Duration.ofHours(1))             // be back within an hour
        .build();
    RecoveryConfig orders = RecoveryConfig.builder("orders")
        .rpo(Duration.ofMinutes(5))
        .rto(Duration.ofMinutes(30))
        .priority(Priority.CRITICAL)
        .dependsOn("inventory")               // recovered after inventory
        .validation(ValidationStep.allOf("reachable", Duration.ofSeconds(10),
            CheckSpec.of("tcp", Map.of("host", "orders.internal", "port", 8080))))
        .build();
    BackupStrategy nightly = BackupStrategy.builder()
        .name("nightly")
        .type(BackupType.FULL)
        .schedule("0 2 * * *")                // UNIX cron; Quartz (6-7 fields) works too
        .retention(RetentionPolicy.builder().keepDaily(7).keepWeekly(4).build())
        .encryption(EncryptionConfig.aes256Gcm("env:DRKIT_PASSPHRASE"))  // a reference, never the key
        .build();
    RecoveryPlan inCode = RecoveryPlan.builder().service(inventory).service(orders, nightly).build();
    System.out.println(inCode.recoveryOrder());  // inventory, then orders

    // The same from a file (YAML or JSON); every mistake is reported with file:line:column.
    RecoveryPlan plan = PlanLoader.create().load(planFile);
    List<List<RecoveryConfig>> waves = plan.waves();
    for (int w = 0; w < waves.size(); w++) {
      for (RecoveryConfig service : waves.get(w)) {
        System.out.println("wave " + w + ": " + service.name() + " rpo=" + service.rpo() + " rto=" + service.rto());
      }
    }
    return plan;
  }
  // README quick start: end

  @Test
  void theQuickStartRunsOnTheShippedExamplePlan() {
    RecoveryPlan plan = quickStart(Path.of("plans", "example-plan.yaml"));
    assertThat(plan.recoveryOrder()).extracting(RecoveryConfig::name).containsExactly("auth", "inventory", "orders");
    assertThat(plan.backups("orders")).hasSize(2);
  }

  @Test
  void theReadmeShowsExactlyThisCode() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    String source = Files.readString(
        Path.of("src", "test", "java", "dev", "drkit", "examples", "ReadmeQuickStartTest.java"), StandardCharsets.UTF_8);
    String code = source.substring(source.indexOf(BEGIN + "\n") + BEGIN.length() + 1, source.indexOf("  " + END));
    assertThat(normalize(readme)).contains(normalize(code));
  }

  /** Drops the indentation so the README may show the method flush left. */
  private static String normalize(String s) {
    return s.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
  }
}
