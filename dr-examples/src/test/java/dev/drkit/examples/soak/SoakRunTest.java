package dev.drkit.examples.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.FailoverState;
import dev.drkit.examples.cli.soak.SoakCommand;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One short soak schedule end to end on real sites, sockets and proxies: the primary is killed
 * (and restarted), its router path is partitioned, the backup is paused and the engine's clock
 * jumps. Whatever the timing, the service ends with a site serving, no acknowledged write lost
 * (sync replication) and no moment where two sites accepted writes.
 */
@Tag("integration")
class SoakRunTest {
  @TempDir Path tmp;

  @Test
  void aKilledPrimaryAPartitionAPauseAndAClockJumpLoseNoAcknowledgedWriteAndNeverSplitTheBrain() throws Exception {
    SoakSchedule schedule = new SoakSchedule(7, List.of(
        fault(300, 700, SoakSchedule.Kind.KILL, "primary", SoakSchedule.Link.REPLICATION, FaultProxy.Fault.PASS,
            Duration.ZERO),
        fault(1200, 0, SoakSchedule.Kind.CLOCK_JUMP, "", SoakSchedule.Link.REPLICATION, FaultProxy.Fault.PASS,
            Duration.ofSeconds(3)),
        fault(1400, 400, SoakSchedule.Kind.PARTITION, "", SoakSchedule.Link.ROUTER_PRIMARY,
            new FaultProxy.Fault(FaultProxy.Mode.RESET, Duration.ZERO), Duration.ZERO),
        fault(1500, 300, SoakSchedule.Kind.PAUSE, "backup", SoakSchedule.Link.REPLICATION, FaultProxy.Fault.PASS,
            Duration.ZERO)), Duration.ofMillis(1800));

    SoakRun.Result r = new SoakRun(schedule, tmp, true, SoakCommand.soakConfig(), Duration.ofSeconds(60)).run();

    assertThat(r.verdict().servingAtEnd()).as(r.notes().toString()).isTrue();
    assertThat(r.verdict().acknowledged()).isPositive();
    assertThat(r.verdict().lostAcknowledged()).as(r.verdict().lostIds().toString()).isZero();
    assertThat(r.verdict().splitBrainMs()).isZero();
    assertThat(r.verdict().sharedEpochs()).isEmpty();
    // The kill was detected and failed over (epoch 2); the primary came back through a failback
    // (epoch 3) or the backup still serves.
    assertThat(r.finalEpoch()).isGreaterThanOrEqualTo(2);
    assertThat(r.finalState()).isIn(FailoverState.PRIMARY_ACTIVE, FailoverState.BACKUP_ACTIVE);
    assertThat(r.verdict().clean()).isTrue();
  }

  /**
   * The shape of seed 1039: the replica dies, and while it is down the primary dies too. The
   * failover goes to the returning replica, so nothing acknowledged may exist on the primary alone.
   */
  @Test
  void theReplicaDyingThenThePrimaryDyingLosesNoAcknowledgedWrite() throws Exception {
    SoakSchedule schedule = new SoakSchedule(1039, List.of(
        fault(600, 1200, SoakSchedule.Kind.KILL, "backup", SoakSchedule.Link.REPLICATION, FaultProxy.Fault.PASS,
            Duration.ZERO),
        fault(1100, 1000, SoakSchedule.Kind.KILL, "primary", SoakSchedule.Link.REPLICATION, FaultProxy.Fault.PASS,
            Duration.ZERO)), Duration.ofMillis(2100));

    SoakRun.Result r = new SoakRun(schedule, tmp, true, SoakCommand.soakConfig(), Duration.ofSeconds(60)).run();

    assertThat(r.verdict().lostAcknowledged()).as(r.notes().toString()).isZero();
    assertThat(r.verdict().acknowledged()).isPositive();
    assertThat(r.verdict().splitBrainMs()).isZero();
    assertThat(r.verdict().servingAtEnd()).as(r.notes().toString()).isTrue();
  }

  private static SoakSchedule.Fault fault(long at, long duration, SoakSchedule.Kind kind, String site,
      SoakSchedule.Link link, FaultProxy.Fault network, Duration jump) {
    return new SoakSchedule.Fault(Duration.ofMillis(at), Duration.ofMillis(duration), kind, site, link, network, 0,
        jump);
  }
}
