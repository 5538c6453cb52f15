package dev.drkit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.validation.CheckRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example plan shipped for users must use the real check types and parameters of dr-validation:
 * loaded with the validation module's registry (after the host registers the DataSources the plan
 * names, as a host would), it has no problem at all.
 */
class ExamplePlanChecksTest {
  private static final Path PLAN = Path.of("plans/example-plan.yaml");

  private static CheckRegistry hostRegistry(Path dir) {
    JdbcDataSource primary = new JdbcDataSource();
    primary.setURL("jdbc:h2:" + dir.resolve("primary").toAbsolutePath());
    JdbcDataSource replica = new JdbcDataSource();
    replica.setURL("jdbc:h2:" + dir.resolve("replica").toAbsolutePath());
    return CheckRegistry.withBuiltIns()
        .registerDataSource("orders-db", primary)
        .registerDataSource("orders-replica-db", replica);
  }

  @Test
  void examplePlanValidatesAgainstTheBuiltInCheckTypes(@TempDir Path dir) {
    RecoveryPlan plan = PlanLoader.withCheckValidator(hostRegistry(dir).specValidator()).load(PLAN);
    assertThat(plan.services()).hasSize(3);
  }

  @Test
  void aMisspelledCheckParameterIsReportedWithItsLine(@TempDir Path dir) throws Exception {
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, Files.readString(PLAN).replace("expectedStatus: 200", "expect-status: 200"));
    assertThatThrownBy(() -> PlanLoader.withCheckValidator(hostRegistry(dir).specValidator()).load(broken))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("broken.yaml:")
        .hasMessageContaining("checks[1].expect-status")
        .hasMessageContaining("known: url, method, expectedStatus");
  }
}
