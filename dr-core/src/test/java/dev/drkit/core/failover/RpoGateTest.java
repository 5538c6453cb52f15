package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.spi.DrEvent;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Automatic and operator failovers pass the same RPO gate: the same boundary (an estimate equal to
 * the RPO passes, one nanosecond more is refused) and the same refusal event.
 */
class RpoGateTest {
  private static final Duration RPO = Duration.ofMinutes(1);

  @Test
  void anEstimateEqualToTheRpoPassesTheGateOfBothKindsOfFailover() {
    Harness auto = new Harness();
    auto.loss.set(RPO);
    FailoverEngine a = auto.engine();
    a.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(a.state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);

    Harness manual = new Harness();
    manual.loss.set(RPO);
    assertThat(manual.engine().failover("ops", "rack down").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
  }

  @Test
  void oneNanosecondOverTheRpoIsRefusedByBothWithTheSameEvent() {
    Duration over = RPO.plusNanos(1);
    Harness auto = new Harness();
    auto.loss.set(over);
    FailoverEngine a = auto.engine();
    a.onVerdict(HealthVerdict.DOWN, "detector");
    assertThat(a.state().state()).isEqualTo(FailoverState.PRIMARY_DEGRADED);

    Harness manual = new Harness();
    manual.loss.set(over);
    FailoverEngine m = manual.engine();
    assertThatThrownBy(() -> m.failover("ops", "rack down")).isInstanceOf(FailoverRefusedException.class)
        .hasMessage("failover of 'orders' refused: estimated data loss " + over + " exceeds the RPO " + RPO
            + "; force it to accept the loss");
    assertThat(m.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);

    DrEvent ae = auto.events("failover.refused").get(0);
    DrEvent me = manual.events("failover.refused").get(0);
    assertThat(ae.message()).isEqualTo("automatic failover of 'orders' refused: estimated data loss " + over
        + " exceeds the RPO " + RPO + "; an operator may force it");
    assertThat(ae.attributes()).containsEntry("gate", "rpo").containsEntry("estimatedLoss", over.toString())
        .containsEntry("rpo", RPO.toString());
    assertThat(me.attributes()).containsEntry("gate", "rpo").containsEntry("estimatedLoss", over.toString())
        .containsEntry("rpo", RPO.toString()).containsEntry("by", "ops");
    assertThat(auto.sites.calls).isEmpty();
    assertThat(manual.sites.calls).isEmpty();
  }

  @Test
  void aForcedFailoverSkipsTheGateAndPublishesNoRefusal() {
    Harness h = new Harness();
    h.loss.set(RPO.multipliedBy(10));
    assertThat(h.engine().forceFailover("ops", "rack down").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(h.events("failover.refused")).isEmpty();
    assertThat(h.events("failover.forced")).hasSize(1);
  }
}
