package dev.drkit.examples.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code pitr} scenario end to end: real H2 sites, real sockets, a bulk delete through the
 * primary, the library's rebuild to just before it.
 */
@Tag("integration")
class PitrDrillTest {
  @TempDir Path tmp;

  @Test
  void pointInTimeRebuildRestoresEveryWriteBeforeTheBadInstantAndNoneOfTheBadWrites() throws Exception {
    DrillReport r = new OrdersDrill(TestPlans.orders(Duration.ofSeconds(20)), "test", TestPlans.quick("sync"), tmp,
        Clock.systemUTC()).run(Scenario.PITR);
    System.out.println(ReportWriter.summary(r));

    assertThat(r.passed()).as("objectives %s, phases %s", r.objectives(), r.phases()).isTrue();
    assertThat(r.objectives()).extracting(DrillReport.Objective::name).contains("RTO (point-in-time rebuild)",
        "acknowledged writes before the bad instant present", "bad writes applied",
        "replay stopped before the bad writes", "acknowledged writes on the final active site");
    assertThat(r.rpo().acknowledgedWrites()).isPositive();
    assertThat(r.rpo().lostWrites()).isZero();
    assertThat(r.rto()).isNotNull();
    assertThat(r.rto().breakdown()).containsKeys("rebuild: load snapshot");
    assertThat(r.phases()).extracting(DrillReport.Phase::name).contains("bad writes: bulk delete through the primary",
        "rebuild the replica from the primary");
    assertThat(r.phases()).filteredOn(p -> p.name().startsWith("pitr: rebuild to")).singleElement()
        .satisfies(p -> assertThat(p.detail()).contains("PRIMARY_ACTIVE").contains("stopped at target")
            .contains("NOT replayed"));
    assertThat(r.events()).extracting(DrillReport.Event::type).contains("drill.bad.writes", "backup.run.succeeded",
        "failover.rebuild.loaded", "failover.rebuild.replayed");
    // The burst deleted something, and every deleted order is back.
    assertThat(r.objectives()).filteredOn(o -> o.name().equals("bad writes applied")).singleElement()
        .satisfies(o -> assertThat(o.target()).doesNotStartWith("0 of 0"));
  }
}
