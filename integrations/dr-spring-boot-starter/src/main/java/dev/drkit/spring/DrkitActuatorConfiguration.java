package dev.drkit.spring;

import dev.drkit.core.EventBus;
import dev.drkit.micrometer.DrkitMetrics;
import dev.drkit.core.spi.DataLossEstimator;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With Spring Boot Actuator: the {@code drkit} health indicator and endpoint; with Micrometer and
 * dr-micrometer too: a {@link DrkitMetrics} binder fed by the shared event bus and every engine
 * (Boot binds every {@code MeterBinder} bean to its registries).
 */
@AutoConfiguration(after = DrkitAutoConfiguration.class)
@ConditionalOnBean(DrkitServices.class)
public class DrkitActuatorConfiguration {
  /** Creates the configuration (Spring does). */
  public DrkitActuatorConfiguration() {}

  /** Health indicator and endpoint (actuator on the classpath). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class Actuator {
    @Bean
    @ConditionalOnMissingBean
    DrkitHealthIndicator drkitHealthIndicator(DrkitServices services, ObjectProvider<DataLossEstimator> estimator) {
      return new DrkitHealthIndicator(services, estimator.getIfAvailable());
    }

    @Bean
    @ConditionalOnMissingBean
    DrkitEndpoint drkitEndpoint(DrkitServices services) {
      return new DrkitEndpoint(services);
    }
  }

  /** Micrometer wiring (Micrometer and dr-micrometer on the classpath). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({MeterRegistry.class, DrkitMetrics.class})
  static class Metrics {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    DrkitMetrics drkitMetrics(EventBus bus, DrkitServices services) {
      DrkitMetrics m = DrkitMetrics.of(bus);
      services.engines().values().forEach(m::engine);
      return m;
    }
  }
}
