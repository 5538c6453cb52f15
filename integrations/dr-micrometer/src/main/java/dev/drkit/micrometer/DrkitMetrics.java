package dev.drkit.micrometer;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.Subscription;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.replication.Lag;
import dev.drkit.replication.LagTracker;
import dev.drkit.replication.PeerRefusal;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Micrometer {@link MeterBinder} for drkit, fed by the events of a shared {@link EventBus} and by
 * the few values that are polled rather than published (the engine's state, the replication lag,
 * the data-loss estimate). Bind it to one or more registries; it keeps listening until
 * {@link #close()}d.
 *
 * <p>Meters (every one also carries the common tags given to {@link #of(EventBus, Tags)}):
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>from</th></tr>
 *   <tr><td>{@code drkit.service.state}</td><td>gauge, 1 for the current state, 0 for the others</td>
 *       <td>service, state</td><td>{@link #engine} or {@code failover.transition} events</td></tr>
 *   <tr><td>{@code drkit.service.epoch}</td><td>gauge</td><td>service</td><td>same</td></tr>
 *   <tr><td>{@code drkit.failover.transitions}</td><td>counter</td><td>service, from, to, trigger</td>
 *       <td>{@code failover.transition}</td></tr>
 *   <tr><td>{@code drkit.failover.phase.duration}</td><td>timer</td><td>service, phase, outcome</td>
 *       <td>the times of the transitions into and out of FAILING_OVER, VALIDATING, FAILING_BACK</td></tr>
 *   <tr><td>{@code drkit.failover.budget.breaches}</td><td>counter</td><td>service, phase</td>
 *       <td>{@code failover.budget.breached}</td></tr>
 *   <tr><td>{@code drkit.failover.refused}, {@code drkit.rpo.exceeded}</td><td>counter</td><td>service</td>
 *       <td>{@code failover.refused}, {@code failover.rpo.exceeded}</td></tr>
 *   <tr><td>{@code drkit.rpo.objective}, {@code drkit.rto.objective}</td><td>time gauge</td><td>service</td>
 *       <td>{@link #engine}</td></tr>
 *   <tr><td>{@code drkit.rpo.estimate}</td><td>time gauge</td><td>service, site</td>
 *       <td>{@link #rpoEstimate}</td></tr>
 *   <tr><td>{@code drkit.replication.lag.records}, {@code .bytes}, {@code .time}</td><td>gauges</td>
 *       <td>service</td><td>{@link #replicationLag}</td></tr>
 *   <tr><td>{@code drkit.replication.lag.exceeded}</td><td>counter</td><td>service</td>
 *       <td>{@code replication.lag.exceeded}</td></tr>
 *   <tr><td>{@code drkit.replication.peer.refused}</td><td>counter</td><td>reason (a
 *       {@link PeerRefusal.Reason}; never the peer's address or the service it named, which a peer
 *       chooses)</td><td>{@code replication.peer.refused}, plus the counts of
 *       {@code replication.peer.refused.suppressed}, so it counts every refused connection, also those
 *       over the transport's event limits</td></tr>
 *   <tr><td>{@code drkit.backup.size}, {@code drkit.backup.stored}</td><td>summaries (bytes)</td>
 *       <td>repository, type</td><td>{@code backup.succeeded}</td></tr>
 *   <tr><td>{@code drkit.backup.duration}</td><td>timer</td><td>repository, type</td><td>same</td></tr>
 *   <tr><td>{@code drkit.backup.last.success}</td><td>gauge (epoch seconds)</td><td>repository</td><td>same</td></tr>
 *   <tr><td>{@code drkit.backup.failures}</td><td>counter</td><td>repository</td><td>{@code backup.failed}</td></tr>
 *   <tr><td>{@code drkit.backup.runs}</td><td>counter</td><td>service, strategy, result</td>
 *       <td>{@code backup.run.succeeded|failed|skipped|missed}</td></tr>
 *   <tr><td>{@code drkit.backup.run.duration}</td><td>timer</td><td>service, strategy</td>
 *       <td>{@code backup.run.succeeded}</td></tr>
 *   <tr><td>{@code drkit.backup.run.last.success}</td><td>gauge (epoch seconds)</td><td>service, strategy</td>
 *       <td>same</td></tr>
 *   <tr><td>{@code drkit.validation.step.duration}</td><td>timer</td><td>service, step, site, result</td>
 *       <td>{@code validation.step.passed|failed}</td></tr>
 *   <tr><td>{@code drkit.validation.check.duration}</td><td>timer</td><td>service, step, check, site, status</td>
 *       <td>{@code validation.check.passed|failed}</td></tr>
 * </table>
 *
 * <p>Events are read by their type and attributes, so this module needs neither dr-backup nor
 * dr-validation; only the replication lag is read from dr-replication's {@link LagTracker}, because
 * its events mark only the crossings of the bounds. Durations come from the events' own times and
 * attributes (the injected clock), not from when this binder saw them. A malformed event is logged
 * and skipped. Thread-safe.
 */
public final class DrkitMetrics implements MeterBinder, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DrkitMetrics.class);
  private static final Set<FailoverState> PHASES =
      EnumSet.of(FailoverState.FAILING_OVER, FailoverState.VALIDATING, FailoverState.FAILING_BACK);

  private final Tags common;
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
  /** What to register on every registry, bound now or later. */
  private final List<Consumer<MeterRegistry>> gauges = new CopyOnWriteArrayList<>();
  private final Map<String, ServiceGauge> services = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
  private final Subscription subscription;

  private DrkitMetrics(EventBus events, Tags common) {
    this.common = common;
    this.subscription = events.subscribe(this::onEvent);
  }

  /**
   * @param events the bus every drkit component publishes to
   * @return a binder listening to it from now on
   */
  public static DrkitMetrics of(EventBus events) {
    return of(events, Tags.empty());
  }

  /**
   * @param events the bus every drkit component publishes to
   * @param commonTags tags added to every meter (an application or site name)
   * @return a binder listening to it from now on
   */
  public static DrkitMetrics of(EventBus events, Tags commonTags) {
    return new DrkitMetrics(Objects.requireNonNull(events, "events"), Objects.requireNonNull(commonTags, "commonTags"));
  }

  /**
   * Reports an engine's service: its state and epoch (read from the engine whenever scraped) and
   * its RPO and RTO objectives.
   *
   * @param engine the engine whose service's state and epoch to report
   * @return this binder
   */
  public DrkitMetrics engine(FailoverEngine engine) {
    Objects.requireNonNull(engine, "engine");
    String service = engine.config().name();
    service(service).source = engine::state;
    Duration rpo = engine.config().rpo();
    Duration rto = engine.config().rto();
    addGauges(r -> {
      TimeGauge.builder("drkit.rpo.objective", rpo, TimeUnit.MILLISECONDS, Duration::toMillis).tags(common)
          .tag("service", service).strongReference(true).description("the service's recovery point objective")
          .register(r);
      TimeGauge.builder("drkit.rto.objective", rto, TimeUnit.MILLISECONDS, Duration::toMillis).tags(common)
          .tag("service", service).strongReference(true).description("the service's recovery time objective")
          .register(r);
    });
    return this;
  }

  /**
   * Reports a service's replication lag, read from its tracker whenever scraped.
   *
   * @param service the protected service, the gauge's {@code service} tag
   * @param tracker the primary's lag tracker
   * @return this binder
   */
  public DrkitMetrics replicationLag(String service, LagTracker tracker) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(tracker, "tracker");
    addGauges(r -> {
      Gauge.builder("drkit.replication.lag.records", tracker, t -> t.lag().records()).tags(common)
          .tag("service", service).strongReference(true).baseUnit("records")
          .description("records committed on the primary and not yet acknowledged by the replica").register(r);
      Gauge.builder("drkit.replication.lag.bytes", tracker, t -> t.lag().bytes()).tags(common)
          .tag("service", service).strongReference(true).baseUnit("bytes")
          .description("bytes committed on the primary and not yet acknowledged by the replica").register(r);
      TimeGauge.builder("drkit.replication.lag.time", tracker, TimeUnit.MILLISECONDS, t -> lagMillis(t.lag()))
          .tags(common).tag("service", service).strongReference(true)
          .description("age of the oldest record the replica has not acknowledged").register(r);
    });
    return this;
  }

  private static double lagMillis(Lag lag) {
    return lag.age().toMillis();
  }

  /**
   * Reports the estimated data loss of a failover to {@code target} now (what the RPO gate compares
   * with the objective), asked of the estimator whenever scraped.
   *
   * @param service the protected service, the gauge's {@code service} tag
   * @param target the site a failover would promote
   * @param estimator the estimator the engine uses (a {@link LagTracker}, for example)
   * @return this binder
   */
  public DrkitMetrics rpoEstimate(String service, Site target, DataLossEstimator estimator) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(estimator, "estimator");
    addGauges(r -> TimeGauge.builder("drkit.rpo.estimate", estimator, TimeUnit.MILLISECONDS,
            e -> e.estimate(service, target).toMillis())
        .tags(common).tag("service", service).tag("site", lower(target.name())).strongReference(true)
        .description("the data a failover to the site would lose now").register(r));
    return this;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    registries.add(registry);
    for (Consumer<MeterRegistry> g : gauges) {
      g.accept(registry);
    }
  }

  /** Stops listening to the bus; meters already registered stay in their registries. */
  @Override
  public void close() {
    subscription.close();
  }

  private void addGauges(Consumer<MeterRegistry> g) {
    gauges.add(g);
    for (MeterRegistry r : registries) {
      g.accept(r);
    }
  }

  // ------------------------------------------------------------------ service state

  /** A service's state as the gauges read it. */
  private static final class ServiceGauge {
    volatile FailoverState state = FailoverState.PRIMARY_ACTIVE;
    volatile long epoch = 1;
    volatile @Nullable Instant enteredAt;
    volatile @Nullable Supplier<ServiceState> source;

    FailoverState state() {
      Supplier<ServiceState> s = source;
      return s == null ? state : s.get().state();
    }

    long epoch() {
      Supplier<ServiceState> s = source;
      return s == null ? epoch : s.get().epoch();
    }
  }

  private ServiceGauge service(String name) {
    ServiceGauge[] created = new ServiceGauge[1];
    ServiceGauge g = services.computeIfAbsent(name, n -> created[0] = new ServiceGauge());
    if (created[0] != null) {
      addGauges(r -> {
        for (FailoverState s : FailoverState.values()) {
          Gauge.builder("drkit.service.state", g, x -> x.state() == s ? 1 : 0).tags(common).tag("service", name)
              .tag("state", s.name()).strongReference(true)
              .description("1 for the service's current failover state, 0 for the others").register(r);
        }
        Gauge.builder("drkit.service.epoch", g, ServiceGauge::epoch).tags(common).tag("service", name)
            .strongReference(true).description("the service's fencing epoch").register(r);
      });
    }
    return g;
  }

  // ------------------------------------------------------------------ events

  private void onEvent(DrEvent e) {
    try {
      String t = e.type();
      if (t.startsWith("failover.")) {
        onFailover(e);
      } else if (t.startsWith("backup.")) {
        onBackup(e);
      } else if (t.startsWith("validation.")) {
        onValidation(e);
      } else if (t.startsWith(PeerRefusal.TYPE)) {
        onPeerRefused(e);
      } else if (t.equals("replication.lag.exceeded") && e.service() != null) {
        each(r -> counter(r, "drkit.replication.lag.exceeded", "times the replication lag went over its bounds",
            "service", Objects.requireNonNull(e.service())).increment()); // checked above
      }
    } catch (RuntimeException ex) {
      LOG.warn("could not turn the {} event into metrics; skipped", e.type(), ex);
    }
  }

  /**
   * One refusal per {@value PeerRefusal#TYPE} event, and a window's suppressed ones from its
   * summary: their sum is every refused connection. Tagged by reason only, a closed set.
   */
  private void onPeerRefused(DrEvent e) {
    if (e.type().equals(PeerRefusal.TYPE)) {
      PeerRefusal r = PeerRefusal.from(e).orElseThrow(() -> new IllegalArgumentException(
          "not a readable " + PeerRefusal.TYPE + " event: " + e.attributes()));
      refused(r.reason(), 1);
    } else {
      PeerRefusal.suppressedByReason(e).forEach(this::refused);
    }
  }

  private void refused(PeerRefusal.Reason reason, long count) {
    each(r -> counter(r, "drkit.replication.peer.refused",
        "connections the replication listener refused, by reason (also those over its event limits)",
        "reason", reason.name()).increment((double) count));
  }

  private void onFailover(DrEvent e) {
    String service = e.service();
    if (service == null) {
      return;
    }
    Map<String, String> a = e.attributes();
    switch (e.type()) {
      case "failover.transition" -> {
        // a transition event has both (a missing one throws, and the event is skipped with a warning)
        FailoverState from = FailoverState.valueOf(Objects.requireNonNull(a.get("from"), "from"));
        FailoverState to = FailoverState.valueOf(Objects.requireNonNull(a.get("to"), "to"));
        ServiceGauge g = service(service);
        Instant entered = g.enteredAt;
        if (PHASES.contains(from) && g.state == from && entered != null) {
          Duration took = Duration.between(entered, e.time());
          each(r -> Timer.builder("drkit.failover.phase.duration").tags(common).tag("service", service)
              .tag("phase", from.name()).tag("outcome", to.name())
              .description("how long a failover phase ran, by the state it led to").register(r).record(took));
        }
        g.state = to;
        g.epoch = e.epoch();
        g.enteredAt = e.time();
        each(r -> counter(r, "drkit.failover.transitions", "failover state transitions", "service", service,
            "from", from.name(), "to", to.name(), "trigger", String.valueOf(a.get("trigger"))).increment());
      }
      case "failover.initialized", "failover.resumed" -> {
        ServiceGauge g = service(service);
        if (a.get("state") != null) {
          g.state = FailoverState.valueOf(a.get("state"));
        }
        g.epoch = e.epoch();
        g.enteredAt = e.time();
      }
      case "failover.budget.breached" -> each(r -> counter(r, "drkit.failover.budget.breaches",
          "phases that ran over their time budget", "service", service, "phase", String.valueOf(a.get("phase")))
          .increment());
      case "failover.refused" -> each(r -> counter(r, "drkit.failover.refused", "failovers refused",
          "service", service).increment());
      case "failover.rpo.exceeded" -> each(r -> counter(r, "drkit.rpo.exceeded",
          "failovers whose estimated data loss exceeded the RPO", "service", service).increment());
      default -> {
        // other failover events carry nothing the meters need
      }
    }
  }

  private void onBackup(DrEvent e) {
    Map<String, String> a = e.attributes();
    String repository = shortId(a.get("repository"));
    switch (e.type()) {
      case "backup.succeeded" -> {
        String type = String.valueOf(a.get("type"));
        long bytes = Long.parseLong(a.get("bytes"));
        long stored = Long.parseLong(a.get("bytesStored"));
        long millis = Long.parseLong(a.get("durationMillis"));
        each(r -> {
          DistributionSummary.builder("drkit.backup.size").tags(common).tag("repository", repository).tag("type", type)
              .baseUnit("bytes").description("bytes of source data a backup captured").register(r).record((double) bytes);
          DistributionSummary.builder("drkit.backup.stored").tags(common).tag("repository", repository)
              .tag("type", type).baseUnit("bytes").description("new bytes a backup stored after dedup and compression")
              .register(r).record((double) stored);
          Timer.builder("drkit.backup.duration").tags(common).tag("repository", repository).tag("type", type)
              .description("how long a backup took").register(r).record(Duration.ofMillis(millis));
        });
        lastSuccess("drkit.backup.last.success", e.time(), "repository", repository);
      }
      case "backup.failed" -> each(r -> counter(r, "drkit.backup.failures", "backups that failed",
          "repository", repository).increment());
      case "backup.run.succeeded", "backup.run.failed", "backup.run.skipped", "backup.run.missed" -> {
        String service = e.service() == null ? "" : e.service();
        String strategy = String.valueOf(a.get("strategy"));
        String result = e.type().substring("backup.run.".length());
        long count = e.type().equals("backup.run.missed") && a.get("count") != null ? Long.parseLong(a.get("count")) : 1;
        each(r -> counter(r, "drkit.backup.runs", "scheduled backup runs by result", "service", service,
            "strategy", strategy, "result", result).increment((double) count));
        if (result.equals("succeeded")) {
          Duration took = duration(a.get("duration"));
          if (took != null) {
            each(r -> Timer.builder("drkit.backup.run.duration").tags(common).tag("service", service)
                .tag("strategy", strategy).description("how long a scheduled backup run took").register(r)
                .record(took));
          }
          lastSuccess("drkit.backup.run.last.success", e.time(), "service", service, "strategy", strategy);
        }
      }
      default -> {
        // started, retrying, coalesced, retention: nothing to measure
      }
    }
  }

  private void onValidation(DrEvent e) {
    Map<String, String> a = e.attributes();
    String service = e.service() == null ? "" : e.service();
    String ms = a.get("durationMs");
    if (ms == null) {
      return;
    }
    Duration took = Duration.ofMillis(Long.parseLong(ms));
    String site = lower(String.valueOf(a.get("site")));
    switch (e.type()) {
      case "validation.step.passed", "validation.step.failed" -> each(r -> Timer.builder("drkit.validation.step.duration")
          .tags(common).tag("service", service).tag("step", String.valueOf(a.get("step"))).tag("site", site)
          .tag("result", e.type().substring("validation.step.".length()))
          .description("how long a validation step took").register(r).record(took));
      case "validation.check.passed", "validation.check.failed" -> each(r -> Timer.builder("drkit.validation.check.duration")
          .tags(common).tag("service", service).tag("step", String.valueOf(a.get("step")))
          .tag("check", String.valueOf(a.get("check"))).tag("site", site)
          .tag("status", String.valueOf(a.get("status")))
          .description("how long a validation check took").register(r).record(took));
      default -> {
        // validation.passed / failed: the steps carry the timings
      }
    }
  }

  private void lastSuccess(String name, Instant time, String... tags) {
    String key = name + Tags.of(tags);
    AtomicLong[] created = new AtomicLong[1];
    AtomicLong holder = lastSuccess.computeIfAbsent(key, k -> created[0] = new AtomicLong());
    holder.accumulateAndGet(time.toEpochMilli(), Math::max);
    if (created[0] != null) {
      AtomicLong h = created[0];
      addGauges(r -> Gauge.builder(name, h, x -> x.get() / 1000.0).tags(common).tags(tags).baseUnit("seconds")
          .strongReference(true).description("when the last successful backup finished, in seconds since the epoch")
          .register(r));
    }
  }

  private Counter counter(MeterRegistry r, String name, String description, String... tags) {
    return Counter.builder(name).tags(common).tags(tags).description(description).register(r);
  }

  private void each(Consumer<MeterRegistry> action) {
    for (MeterRegistry r : registries) {
      action.accept(r);
    }
  }

  private static @Nullable Duration duration(@Nullable String s) {
    if (s == null) {
      return null;
    }
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String shortId(@Nullable String id) {
    return id == null ? "" : id.length() > 8 ? id.substring(0, 8) : id;
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "DrkitMetrics{" + services.keySet() + ", " + registries.size() + " registries}";
  }

  /** @return the services whose state is reported, for diagnostics */
  List<String> services() {
    return new ArrayList<>(services.keySet());
  }
}
