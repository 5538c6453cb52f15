package dev.drkit.core.failover;

import dev.drkit.core.EventBus;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one {@link FailoverEngine} was built with (its service, the host's SPI implementations,
 * time, retry and budget settings), shared by the classes that make up the engine, and how they
 * publish events: every event carries the service, the state's epoch and the engine's type prefix
 * ({@code failover.} or, in a drill, {@code drill.}).
 */
final class EngineContext {
  final RecoveryConfig config;
  final String service;
  final StateStore store;
  final FailoverActions actions;
  final Coordinator coordinator;
  final ServiceValidator validator;
  final DataLossEstimator estimator;
  final EventBus events;
  final Clock clock;
  final Sleeper sleeper;
  final PhaseBudgets budgets;
  final int maxAttempts;
  final Duration retryDelay;
  final Duration drainPollInterval;
  final Duration minTimeBetweenFailovers;
  final boolean automaticFailover;
  final String eventPrefix;
  final @Nullable RebuildSources rebuildSources;

  EngineContext(RecoveryConfig config, StateStore store, FailoverActions actions, Coordinator coordinator,
      ServiceValidator validator, DataLossEstimator estimator, EventBus events, Clock clock, Sleeper sleeper,
      PhaseBudgets budgets, int maxAttempts, Duration retryDelay, Duration drainPollInterval,
      Duration minTimeBetweenFailovers, boolean automaticFailover, String eventPrefix,
      @Nullable RebuildSources rebuildSources) {
    this.config = config;
    this.service = config.name();
    this.store = store;
    this.actions = actions;
    this.coordinator = coordinator;
    this.validator = validator;
    this.estimator = estimator;
    this.events = events;
    this.clock = clock;
    this.sleeper = sleeper;
    this.budgets = budgets;
    this.maxAttempts = maxAttempts;
    this.retryDelay = retryDelay;
    this.drainPollInterval = drainPollInterval;
    this.minTimeBetweenFailovers = minTimeBetweenFailovers;
    this.automaticFailover = automaticFailover;
    this.eventPrefix = eventPrefix;
    this.rebuildSources = rebuildSources;
  }

  /** Publishes {@code <prefix>.<type>} about the service in state {@code s}; attribute values as strings. */
  void publish(Severity severity, String type, String message, ServiceState s, Map<String, ?> attrs) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("state", s.state().name());
    attrs.forEach((k, v) -> a.put(k, String.valueOf(v)));
    events.publish(new DrEvent(clock.instant(), eventPrefix + "." + type, severity, service, s.epoch(), message, a));
  }

  /** Publishes {@code <prefix>.refused}: the named gate kept a failover from starting. */
  void refused(ServiceState s, String gate, String message, Map<String, Object> attrs) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("gate", gate);
    a.putAll(attrs);
    publish(Severity.WARN, "refused", message, s, a);
  }

  /** The rebuild sources, or an {@link IllegalStateException} saying they are needed. */
  RebuildSources requireRebuildSources() {
    if (rebuildSources == null) {
      throw new IllegalStateException("service '" + service + "': rebuild needs RebuildSources (a snapshot"
          + " catalogue, a replay log and a rebuild target); give them to the builder");
    }
    return rebuildSources;
  }
}
