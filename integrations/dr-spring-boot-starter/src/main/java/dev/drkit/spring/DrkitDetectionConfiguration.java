package dev.drkit.spring;

import dev.drkit.core.EventBus;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.EngineVerdictBridge;
import dev.drkit.validation.FailureDetector;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * With dr-validation on the classpath and a {@link DrkitProbes} bean: a {@link FailureDetector}
 * on each probed service's primary (every {@code drkit.detection-interval}, DOWN after three
 * failed probes in a row), wired to the service's engine by an {@link EngineVerdictBridge};
 * started after the engines and closed before them.
 */
@AutoConfiguration(after = DrkitAutoConfiguration.class)
@ConditionalOnClass(FailureDetector.class)
@ConditionalOnBean({DrkitServices.class, DrkitProbes.class})
public class DrkitDetectionConfiguration {
  /** Creates the configuration (Spring does). */
  public DrkitDetectionConfiguration() {}

  /** The detectors of the probed services, registered with {@link DrkitServices}. */
  public static final class Detectors implements InitializingBean {
    private final DrkitServices services;
    private final DrkitProbes probes;
    private final DrkitProperties properties;
    private final EventBus bus;
    private final List<FailureDetector> detectors = new ArrayList<>();

    Detectors(DrkitServices services, DrkitProbes probes, DrkitProperties properties, EventBus bus) {
      this.services = services;
      this.probes = probes;
      this.properties = properties;
      this.bus = bus;
    }

    @Override
    public void afterPropertiesSet() {
      for (FailoverEngine engine : services.engines().values()) {
        HealthCheck check = probes.primaryCheck(engine.config());
        if (check == null) {
          continue;
        }
        FailureDetector d = FailureDetector.builder(engine.config().name(), Site.PRIMARY, check,
                new ConsecutiveFailuresPolicy(3, 2))
            .interval(properties.getDetectionInterval()).eventBus(bus).build();
        detectors.add(d);
        EngineVerdictBridge[] bridge = new EngineVerdictBridge[1];
        services.alongside(() -> {
          bridge[0] = EngineVerdictBridge.connect(d, engine);
          d.start();
        }, () -> {
          d.close();
          if (bridge[0] != null) {
            bridge[0].close();
          }
        });
      }
    }

    /** @return the detectors, one per probed service */
    public List<FailureDetector> detectors() {
      return List.copyOf(detectors);
    }
  }

  /**
   * @param services the engines
   * @param probes the application's probes
   * @param properties {@code drkit.*}
   * @param bus the event bus
   * @return the detectors
   */
  @Bean
  public Detectors drkitDetectors(DrkitServices services, DrkitProbes probes, DrkitProperties properties,
      EventBus bus) {
    return new Detectors(services, probes, properties, bus);
  }
}
