package dev.drkit.spring;

import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.StateStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

/**
 * Auto-configuration of drkit from {@code drkit.plan=classpath:...}: the plan, one shared
 * {@link EventBus} (every drkit bean publishes to it; declare your own {@code EventBus} bean to
 * replace it), a {@link FailoverEngine} per service built on the application's
 * {@link FailoverActions} bean (required: without it no engine is built) and its
 * {@link StateStore}, {@link Coordinator} and {@link DataLossEstimator} beans when present
 * (defaults: a {@code FileStateStore} in {@code drkit.state-dir} or in memory, a
 * {@link LocalCoordinator}, no estimated loss; a {@link ServiceValidator} bean runs the plan's
 * validation steps), all started with the context and closed with it
 * ({@link DrkitServices}).
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = "drkit", name = "plan")
@EnableConfigurationProperties(DrkitProperties.class)
public class DrkitAutoConfiguration {
  /** Creates the configuration (Spring does). */
  public DrkitAutoConfiguration() {}

  /**
   * @return the application's one drkit event bus
   */
  @Bean
  @ConditionalOnMissingBean
  public EventBus drkitEventBus() {
    return new EventBus();
  }

  /**
   * @param properties {@code drkit.*}
   * @param resources resolves {@code drkit.plan}
   * @return the plan, loaded and validated
   * @throws ConfigException when the plan is missing or invalid (naming the resource)
   */
  @Bean
  @ConditionalOnMissingBean
  public RecoveryPlan drkitPlan(DrkitProperties properties, ResourceLoader resources) {
    String location = properties.getPlan() == null ? "" : properties.getPlan();
    Resource r = resources.getResource(location);
    if (!r.exists()) {
      throw new ConfigException("drkit.plan", "no plan at '" + location + "'");
    }
    try (InputStream in = r.getInputStream()) {
      return PlanLoader.create().load(in, location);
    } catch (IOException e) {
      throw new UncheckedIOException("drkit.plan: cannot read '" + location + "': " + e.getMessage(), e);
    }
  }

  /**
   * @param properties {@code drkit.*}
   * @return a {@code FileStateStore} in {@code drkit.state-dir}, or an in-memory store
   */
  @Bean
  @ConditionalOnMissingBean
  public StateStore drkitStateStore(DrkitProperties properties) {
    String dir = properties.getStateDir();
    return dir == null || dir.isBlank() ? new InMemoryStateStore() : FileStateStore.open(Path.of(dir));
  }

  /** @return the single-process coordinator: this application always leads */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public Coordinator drkitCoordinator() {
    return new LocalCoordinator();
  }

  /**
   * @param plan the loaded recovery plan
   * @param properties {@code drkit.*}
   * @param actions the application's failover actions
   * @param store the state store
   * @param coordinator the coordinator that grants the leadership lease the engines act under
   * @param bus the event bus
   * @param estimator the application's data-loss estimator, if any
   * @param validator the application's validator of the plan's validation steps, if any
   * @return the engines, started with the context
   */
  @Bean
  @ConditionalOnBean(FailoverActions.class)
  @ConditionalOnMissingBean
  public DrkitServices drkitServices(RecoveryPlan plan, DrkitProperties properties, FailoverActions actions,
      StateStore store, Coordinator coordinator, EventBus bus, ObjectProvider<DataLossEstimator> estimator,
      ObjectProvider<ServiceValidator> validator) {
    Map<String, FailoverEngine> engines = new LinkedHashMap<>();
    for (RecoveryConfig service : plan.recoveryOrder()) {
      FailoverEngine.Builder b = FailoverEngine.builder(service).stateStore(store).actions(actions)
          .coordinator(coordinator).eventBus(bus).automaticFailover(properties.isAutomaticFailover())
          .leadershipPollInterval(properties.getLeadershipPollInterval());
      estimator.ifAvailable(b::dataLossEstimator);
      validator.ifAvailable(b::validator);
      engines.put(service.name(), b.build());
    }
    return new DrkitServices(plan, engines);
  }
}
