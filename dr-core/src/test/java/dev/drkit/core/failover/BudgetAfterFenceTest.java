package dev.drkit.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.FailoverState;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, finding 1: FAILING_BACK fenced the backup and promoted the primary, the budget check
 * before {@code redirect} found 1,003 ms over a 1,000 ms budget, the engine went to FAILED and no
 * site served. A budget is an objective to measure: past the fence the phase completes and the
 * breach is recorded; before it, aborting is safe and still happens.
 */
class BudgetAfterFenceTest {
  private final MutableClock clock = new MutableClock();
  private final SiteModel sites = new SiteModel();
  private final LocalCoordinator coordinator = new LocalCoordinator();
  private final List<DrEvent> events = Collections.synchronizedList(new ArrayList<>());
  private final RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
      .rto(Duration.ofSeconds(1)).build();

  private FailoverEngine engine() {
    coordinator.awaitLeadership(Duration.ZERO);
    return FailoverEngine.builder(config).stateStore(new InMemoryStateStore()).actions(sites)
        .coordinator(coordinator).validator(sites.validator(clock)).dataLossEstimator(sites.estimator())
        .eventBus(EventBus.of(events::add)).clock(clock).sleeper(clock.sleeper()).retries(1, Duration.ZERO)
        .build();
  }

  @Test
  void failbackPastItsBudgetAfterTheFenceStillRedirectsAndRecordsTheMissedObjective() {
    FailoverEngine e = engine();
    assertThat(e.forceFailover("setup", "start from the backup").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(e.phaseBudget(FailoverState.FAILING_BACK)).isEqualTo(Duration.ofSeconds(1));
    sites.script((i, label) -> {
      if (label.equals("promote PRIMARY @3")) {
        clock.advance(Duration.ofMillis(1003));
      }
    });
    ServiceState s = e.failback("ops", "primary repaired");

    assertThat(s.state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(s.epoch()).isEqualTo(3);
    assertThat(sites.serving()).contains(Site.PRIMARY);
    assertThat(sites.calls()).contains("redirect PRIMARY @3", "demote BACKUP @3");
    PhaseRecord failingBack = e.phaseHistory().get(e.phaseHistory().size() - 1);
    assertThat(failingBack.phase()).isEqualTo(FailoverState.FAILING_BACK);
    assertThat(failingBack.outcome()).isEqualTo("succeeded");
    assertThat(failingBack.budgetBreached()).isTrue();
    assertThat(failingBack.duration()).isEqualTo(Duration.ofMillis(1003));
    assertThat(s.attributes().get(FailoverEngine.ATTR_BUDGET_BREACHED)).contains("FAILING_BACK").contains("PT1.003S");
    DrEvent breach = events.stream().filter(ev -> ev.type().equals("failover.budget.breached")).findFirst()
        .orElseThrow();
    assertThat(breach.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(breach.attributes()).containsEntry("escalated", "false").containsEntry("phase", "FAILING_BACK");
  }

  @Test
  void failbackPastItsBudgetBeforeTheFenceAbortsAndTheBackupKeepsServing() {
    FailoverEngine e = engine();
    e.forceFailover("setup", "start from the backup");
    sites.resetCalls();
    sites.script((i, label) -> {
      if (label.startsWith("resync")) {
        clock.advance(Duration.ofMillis(1003));
      }
    });
    ServiceState s = e.failback("ops", "primary repaired");

    assertThat(s.state()).isEqualTo(FailoverState.FAILED);
    assertThat(s.attributes()).containsEntry(FailoverEngine.ATTR_SERVING_SITE, "BACKUP")
        .containsEntry(FailoverEngine.ATTR_FAILED_PHASE, "FAILING_BACK");
    assertThat(s.epoch()).as("the roles never switched").isEqualTo(2);
    assertThat(sites.serving()).contains(Site.BACKUP);
    assertThat(sites.calls()).noneMatch(c -> c.startsWith("fence") || c.startsWith("promote"));
    assertThat(events).filteredOn(ev -> ev.type().equals("failover.budget.breached"))
        .singleElement().satisfies(ev -> assertThat(ev.attributes()).containsEntry("escalated", "true"));
  }

  @Test
  void failoverPastItsBudgetCompletesTooBecauseItsFirstActionIsTheFence() {
    FailoverEngine e = engine();
    sites.script((i, label) -> {
      if (label.equals("fence PRIMARY @2")) {
        clock.advance(Duration.ofSeconds(5));
      }
    });
    ServiceState s = e.forceFailover("ops", "primary lost");
    assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(sites.serving()).contains(Site.BACKUP);
    assertThat(e.phaseHistory()).extracting(PhaseRecord::phase, PhaseRecord::budgetBreached)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(FailoverState.FAILING_OVER, true),
            org.assertj.core.groups.Tuple.tuple(FailoverState.VALIDATING, false));
  }
}
