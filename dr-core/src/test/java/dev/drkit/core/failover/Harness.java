package dev.drkit.core.failover;

import dev.drkit.core.CheckResult;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.StateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** Everything an engine test needs: fake clock, recording store, simulated sites, events. */
final class Harness {
  final MutableClock clock = new MutableClock();
  final RecordingStore store;
  final SimulatedSites sites;
  final LocalCoordinator coordinator = new LocalCoordinator();
  final List<DrEvent> events = Collections.synchronizedList(new ArrayList<>());
  final EventBus bus = EventBus.of(events::add);
  final AtomicReference<Duration> loss = new AtomicReference<>(Duration.ZERO);
  final AtomicBoolean validationPasses = new AtomicBoolean(true);
  final List<String> validations = Collections.synchronizedList(new ArrayList<>());
  final RecoveryConfig config;
  final ServiceValidator validator;

  Harness() {
    this(new InMemoryStateStore());
  }

  Harness(StateStore backing) {
    this(backing, RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10)).build());
  }

  Harness(StateStore backing, RecoveryConfig config) {
    this.store = new RecordingStore(backing);
    this.sites = new SimulatedSites(store);
    this.config = config;
    this.validator = (c, site, epoch) -> {
      validations.add(site + "@" + epoch);
      boolean ok = validationPasses.get();
      CheckResult check = new CheckResult("probe", ok ? CheckResult.Status.PASSED : CheckResult.Status.FAILED,
          Duration.ofMillis(5), ok ? "ok" : "down", null, Map.of());
      return new ValidationReport(c.name(), site, epoch, clock.instant(), Duration.ofMillis(5),
          List.of(new StepResult("smoke", ok, ok ? 1.0 : 0.0, 1.0, Duration.ofMillis(5), List.of(check))));
    };
    coordinator.awaitLeadership(Duration.ZERO);
  }

  FailoverEngine.Builder builder() {
    return FailoverEngine.builder(config).stateStore(store).actions(sites).coordinator(coordinator)
        .validator(validator).dataLossEstimator((s, t) -> loss.get()).eventBus(bus).clock(clock)
        .nanoTime(clock::nanos).sleeper(clock.sleeper()).retries(3, Duration.ofSeconds(1))
        .drainPollInterval(Duration.ofSeconds(1)).minTimeBetweenFailovers(Duration.ofMinutes(30))
        .detectionPolicy(new ConsecutiveFailuresPolicy(3, 2));
  }

  FailoverEngine engine() {
    return builder().build();
  }

  List<String> eventTypes() {
    synchronized (events) {
      return events.stream().map(DrEvent::type).toList();
    }
  }

  List<DrEvent> events(String type) {
    synchronized (events) {
      return events.stream().filter(e -> e.type().equals(type)).toList();
    }
  }

  /** @return the sites that are writable now */
  List<Site> writable() {
    return sites.writableSites();
  }
}
