package dev.drkit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.LeadershipStatus;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.micrometer.DrkitMetrics;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.StateStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The auto-configuration, context by context. */
class DrkitAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(DrkitAutoConfiguration.class, DrkitDetectionConfiguration.class,
          DrkitActuatorConfiguration.class))
      .withPropertyValues("drkit.plan=classpath:drkit/test-plan.yaml", "drkit.leadership-poll-interval=20ms");

  @Test
  void withoutDrkitPlanNothingIsConfigured() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DrkitAutoConfiguration.class, DrkitActuatorConfiguration.class))
        .withBean(FailoverActions.class, RecordingActions::new)
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RecoveryPlan.class).doesNotHaveBean(DrkitServices.class)
            .doesNotHaveBean(EventBus.class));
  }

  @Test
  void aPlanAndTheHostsActionsGiveOneStartedEnginePerServiceOnOneSharedBus() {
    AtomicReference<DrkitServices> kept = new AtomicReference<>();
    RecordingActions actions = new RecordingActions();
    runner.withBean(FailoverActions.class, () -> actions).run(ctx -> {
      assertThat(ctx).hasSingleBean(RecoveryPlan.class).hasSingleBean(EventBus.class)
          .hasSingleBean(DrkitServices.class).hasSingleBean(DrkitHealthIndicator.class)
          .hasSingleBean(DrkitEndpoint.class);
      assertThat(ctx.getBean(StateStore.class)).isInstanceOf(InMemoryStateStore.class);
      assertThat(ctx.getBean(Coordinator.class)).isInstanceOf(LocalCoordinator.class);
      DrkitServices services = ctx.getBean(DrkitServices.class);
      kept.set(services);
      assertThat(services.engines()).containsOnlyKeys("db", "orders");
      for (FailoverEngine e : services.engines().values()) {
        assertThat(e.leadership()).as("started with the context").isEqualTo(LeadershipStatus.LEADING);
        assertThat(e.awaitLeading(Duration.ofSeconds(60))).isTrue();
      }
      List<String> types = new CopyOnWriteArrayList<>();
      ctx.getBean(EventBus.class).subscribe(ev -> types.add(ev.service() + " " + ev.type()));
      assertThat(services.engine("orders").failover("ops", "test").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
      assertThat(types).as("the engines publish to the shared bus bean").contains("orders failover.transition");
      assertThat(actions.calls).contains("orders fence PRIMARY@2");
    });
    assertThat(kept.get().engines().values()).as("closed with the context")
        .allSatisfy(e -> assertThat(e.leadership()).isEqualTo(LeadershipStatus.CLOSED));
  }

  @Test
  void theHostsStoreCoordinatorAndEstimatorBeansAreUsed() {
    InMemoryStateStore store = new InMemoryStateStore();
    LocalCoordinator coordinator = new LocalCoordinator(41);
    DataLossEstimator lag = (service, target) -> Duration.ofSeconds(7);
    runner.withBean(FailoverActions.class, RecordingActions::new)
        .withBean(StateStore.class, () -> store)
        .withBean(Coordinator.class, () -> coordinator)
        .withBean(DataLossEstimator.class, () -> lag)
        .run(ctx -> {
          assertThat(store.load("db")).as("the engine's state lives in the host's store").isPresent();
          assertThat(coordinator.currentLease()).hasValueSatisfying(l -> assertThat(l.token()).isEqualTo(42));
          Health h = ctx.getBean(DrkitHealthIndicator.class).health();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          @SuppressWarnings("unchecked")
          Map<String, Object> db = (Map<String, Object>) h.getDetails().get("db");
          assertThat(db).containsEntry("state", "PRIMARY_ACTIVE").containsEntry("lag", "PT7S")
              .containsEntry("leadership", "LEADING");
        });
  }

  @Test
  void aFailedServiceMakesTheHealthDownAndTheEndpointListsEveryService() {
    RecordingActions failing = new RecordingActions() {
      @Override
      public void promote(String service, Site site, long epoch) {
        throw new IllegalStateException("backup of " + service + " cannot be promoted");
      }
    };
    runner.withBean(FailoverActions.class, () -> failing).run(ctx -> {
      FailoverEngine db = ctx.getBean(DrkitServices.class).engine("db");
      assertThat(db.awaitLeading(Duration.ofSeconds(60))).isTrue();
      assertThat(db.forceFailover("ops", "test").state()).isEqualTo(FailoverState.FAILED);
      assertThat(ctx.getBean(DrkitHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
      Map<String, Object> all = ctx.getBean(DrkitEndpoint.class).services();
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> list = (Map<String, Map<String, Object>>) all.get("services");
      assertThat(list).containsOnlyKeys("db", "orders");
      assertThat(list.get("db")).containsEntry("state", "FAILED").containsKey("lastPhase");
      assertThat(list.get("orders")).containsEntry("state", "PRIMARY_ACTIVE");
    });
  }

  @Test
  void aMissingPlanFailsTheContextNamingTheProperty() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DrkitAutoConfiguration.class))
        .withPropertyValues("drkit.plan=classpath:drkit/nope.yaml")
        .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause().isInstanceOf(ConfigException.class)
            .hasMessageContaining("drkit.plan").hasMessageContaining("nope.yaml"));
  }

  @Test
  void withMicrometerTheMetricsBinderIsABean() {
    runner.withBean(FailoverActions.class, RecordingActions::new)
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(DrkitMetrics.class);
          MeterRegistry registry = new SimpleMeterRegistry();
          ctx.getBean(DrkitMetrics.class).bindTo(registry);
          assertThat(registry.find("drkit.service.state").tag("service", "orders").meters()).isNotEmpty();
        });
  }
}
