package dev.drkit.core.orchestrator;

import dev.drkit.core.DrException;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.failover.DrillResult;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.LeadershipStatus;
import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.failover.PhaseRecord;
import dev.drkit.core.plan.DependencyGraph;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.DrEvent.Severity;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.ServiceState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers a plan of many services: in dependency waves ({@link DependencyGraph}), the services
 * of one wave in parallel on a bounded pool and started in priority order (critical first); a
 * service whose dependency failed or was blocked is not attempted and is reported BLOCKED with
 * the reason. Each service is driven by its own {@link FailoverEngine}, built by the host's
 * factory. The engines must publish to the orchestrator's {@link EventBus} for the report to carry
 * their events: with {@link #builder(Collection, EngineFactory)} the factory is handed that bus;
 * an engine whose events do not reach it is reported by a WARN {@code recovery.events.unseen}
 * event. Every run returns a {@link RecoveryReport}. Thread-safe; runs may not overlap on the same
 * services.
 */
public final class RecoveryOrchestrator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RecoveryOrchestrator.class);
  private final DependencyGraph graph;
  private final EngineFactory engines;
  private final int parallelism;
  private final Clock clock;
  private final EventBus events;
  private final Consumer<ServiceReport> progress;
  private final @Nullable Function<RecoveryConfig, FailoverActions> drillActions;
  private final ThreadFactory threadFactory;
  private final Map<String, FailoverEngine> started = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private boolean closed;

  private RecoveryOrchestrator(Builder b) {
    this.drillActions = b.drillActions;
    this.graph = b.graph;
    this.engines = b.engines;
    this.parallelism = b.parallelism;
    this.clock = b.clock;
    this.events = b.events;
    this.progress = b.progress;
    this.threadFactory = b.threadFactory;
  }

  /**
   * Builds (or returns) the engine of one service, given the orchestrator's event bus.
   */
  @FunctionalInterface
  public interface EngineFactory {
    /**
     * @param service the service to drive
     * @param bus the orchestrator's bus (see {@link Builder#eventBus}): build the engine with
     *     {@code .eventBus(bus)} so that its events reach the report and the application's listeners
     * @return the service's engine
     */
    FailoverEngine create(RecoveryConfig service, EventBus bus);
  }

  /**
   * The factory is not given the orchestrator's bus: the engines it builds must be given the bus
   * passed to {@link Builder#eventBus} by the host. Prefer {@link #builder(Collection, EngineFactory)}.
   *
   * @param services the plan's services (a DAG of dependencies)
   * @param engines builds (or returns) the engine of a service
   * @return a builder
   * @throws dev.drkit.core.ConfigException for duplicate names, unknown dependencies or cycles
   */
  public static Builder builder(Collection<RecoveryConfig> services, Function<RecoveryConfig, FailoverEngine> engines) {
    Objects.requireNonNull(engines, "engines");
    return new Builder(DependencyGraph.of(services), (service, bus) -> engines.apply(service));
  }

  /**
   * The factory is handed the orchestrator's bus, so that one bus carries every engine's events:
   * {@code builder(plan.services(), (service, bus) -> FailoverEngine.builder(service)...eventBus(bus).build())}.
   *
   * @param services the plan's services (a DAG of dependencies)
   * @param engines builds (or returns) the engine of a service on the bus it is given
   * @return a builder
   * @throws dev.drkit.core.ConfigException for duplicate names, unknown dependencies or cycles
   */
  public static Builder builder(Collection<RecoveryConfig> services, EngineFactory engines) {
    return new Builder(DependencyGraph.of(services), engines);
  }

  /**
   * Builds every service's engine once (through the factory given to {@link #builder}) and
   * {@linkplain FailoverEngine#start() starts} it: each follows the coordinator's leadership by
   * itself, resumes its stored state when it leads, and acts on verdicts. Later {@link #run runs}
   * use these engines. Calling it again does nothing.
   *
   * @return this orchestrator
   * @throws IllegalStateException when closed
   */
  public RecoveryOrchestrator start() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("this orchestrator is closed; build a new one");
      }
      if (started.isEmpty()) {
        for (List<RecoveryConfig> wave : graph.waves()) {
          for (RecoveryConfig c : wave) {
            FailoverEngine e = Objects.requireNonNull(engines.create(c, events),
                () -> "no engine for '" + c.name() + "'");
            started.put(c.name(), e);
            e.start();
          }
        }
      }
    }
    return this;
  }

  /**
   * Closes the engines {@link #start()} started (see {@link FailoverEngine#close()}). Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
      started.values().forEach(FailoverEngine::close);
    }
  }

  /** @return the engines {@link #start()} built, by service name (empty before it) */
  public Map<String, FailoverEngine> engines() {
    return Map.copyOf(started);
  }

  /** @return each started service's leadership status (empty before {@link #start()}) */
  public Map<String, LeadershipStatus> leadership() {
    Map<String, LeadershipStatus> m = new LinkedHashMap<>();
    started.forEach((name, e) -> m.put(name, e.leadership()));
    return m;
  }

  /**
   * Waits until every started engine leads and has resumed its stored state.
   *
   * @param timeout how long to wait in all
   * @return true when all lead, false when the timeout passed first or nothing was started
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean awaitLeading(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (started.isEmpty()) {
      return false;
    }
    for (FailoverEngine e : started.values()) {
      if (!e.awaitLeading(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
        return false;
      }
    }
    return true;
  }

  /** @return whether started and every engine leads */
  public boolean isLeader() {
    return !started.isEmpty() && started.values().stream().allMatch(FailoverEngine::isLeader);
  }

  private FailoverEngine engineOf(RecoveryConfig c) {
    FailoverEngine e = started.get(c.name());
    return e != null ? e : engines.create(c, events);
  }

  /** @return the dependency graph this orchestrator recovers in */
  public DependencyGraph graph() {
    return graph;
  }

  /**
   * Runs {@code action} for every service of the plan.
   *
   * @param action what to do
   * @param by who orders it
   * @param why why it is ordered (recorded in every service's state and events)
   * @return the report
   * @throws InterruptedException when interrupted while waiting for a wave (services already
   *     started finish their current step on their own threads)
   * @throws IllegalStateException for a DRILL without {@link Builder#drillActions}
   */
  public RecoveryReport run(RecoveryAction action, String by, String why) throws InterruptedException {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    if (action == RecoveryAction.DRILL && drillActions == null) {
      throw new IllegalStateException("a DRILL needs the isolated targets' actions: set Builder.drillActions(...)");
    }
    Instant start = clock.instant();
    Set<String> names = graph.names();
    Map<String, List<DrEvent>> collected = new ConcurrentHashMap<>();
    AutoCloseable subscription = events.register(e -> {
      if (e.service() != null && names.contains(e.service())) {
        collected.computeIfAbsent(e.service(), k -> Collections.synchronizedList(new ArrayList<>())).add(e);
      }
    });
    publish(Severity.INFO, "started", "recovery " + action + " of " + names.size() + " services in "
        + graph.waves().size() + " waves ordered by " + by + ": " + why, Map.of("action", action, "by", by));
    Map<String, ServiceReport> reports = new ConcurrentHashMap<>();
    List<List<String>> waveNames = new ArrayList<>();
    AtomicInteger threadNo = new AtomicInteger();
    ThreadFactory tf = r -> DrkitThreads.create(threadFactory, r, "drkit-recovery-" + threadNo.incrementAndGet());
    ExecutorService pool = Executors.newFixedThreadPool(parallelism, tf);
    try {
      List<List<RecoveryConfig>> waves = graph.waves();
      for (int w = 0; w < waves.size(); w++) {
        int wave = w;
        List<RecoveryConfig> configs = waves.get(w);
        waveNames.add(configs.stream().map(RecoveryConfig::name).toList());
        List<Future<ServiceReport>> running = new ArrayList<>();
        for (RecoveryConfig c : configs) {
          String blocker = blocker(c, reports);
          if (blocker != null) {
            ServiceReport blocked = new ServiceReport(c.name(), wave, c.priority(), ServiceOutcome.BLOCKED, blocker,
                null, 0, null, null, null, c.rto(), null, null, c.rpo(), null, null, List.of(), null, List.of());
            publishFor(c.name(), Severity.ERROR, "blocked", "service '" + c.name() + "' not recovered: " + blocker);
            reports.put(c.name(), blocked);
            progress.accept(blocked);
            continue;
          }
          running.add(pool.submit(() -> recover(c, wave, action, by, why, start)));
        }
        for (Future<ServiceReport> f : running) {
          ServiceReport r;
          try {
            r = f.get();
          } catch (ExecutionException e) {
            throw new DrException("recovery task failed unexpectedly: " + e.getCause(), e.getCause());
          }
          reports.put(r.name(), r);
          progress.accept(r);
          warnIfEngineEventsUnseen(r, collected);
        }
      }
    } finally {
      pool.shutdownNow();
      try {
        subscription.close();
      } catch (Exception e) {
        LOG.debug("ignored failure removing the report's event collector", e);
      }
    }
    List<ServiceReport> ordered = new ArrayList<>();
    for (RecoveryConfig c : graph.topologicalOrder()) {
      ServiceReport r = Objects.requireNonNull(reports.get(c.name()), c.name()); // every service ran
      List<DrEvent> evs = collected.getOrDefault(c.name(), List.of());
      synchronized (evs) {
        ordered.add(new ServiceReport(r.name(), r.wave(), r.priority(), r.outcome(), r.reason(), r.finalState(),
            r.epoch(), r.activeSite(), r.started(), r.ended(), r.rto(), r.measuredRto(), r.rtoMet(), r.rpo(),
            r.measuredRpo(), r.rpoMet(), r.phases(), r.validation(), List.copyOf(evs)));
      }
    }
    Instant end = clock.instant();
    RecoveryReport report = new RecoveryReport(action, by, why, start, end, waveNames, ordered);
    Map<String, Object> summary = new LinkedHashMap<>();
    for (ServiceOutcome o : ServiceOutcome.values()) {
      summary.put(o.name().toLowerCase(java.util.Locale.ROOT), report.count(o));
    }
    summary.put("duration", Duration.between(start, end));
    publish(report.succeeded() ? Severity.INFO : Severity.ERROR, "finished", "recovery " + action + " finished: "
        + summary, summary);
    return report;
  }

  /**
   * An engine that recovered its service published failover events for it; when none reached this
   * orchestrator's bus, the engine publishes elsewhere (usually a private bus because the factory
   * did not pass this one) and the report, the audit journal and the metrics miss its events.
   */
  private void warnIfEngineEventsUnseen(ServiceReport r, Map<String, List<DrEvent>> collected) {
    if (r.outcome() != ServiceOutcome.RECOVERED) {
      return;
    }
    List<DrEvent> seen = collected.getOrDefault(r.name(), List.of());
    synchronized (seen) {
      if (seen.stream().anyMatch(e -> !e.type().startsWith("recovery."))) {
        return;
      }
    }
    String message = "the engine of service '" + r.name() + "' publishes to another EventBus than this orchestrator's,"
        + " so the report carries none of its events: build it with .eventBus(bus) on the bus the factory of"
        + " RecoveryOrchestrator.builder(services, (service, bus) -> ...) is given";
    LOG.warn(message);
    publishFor(r.name(), Severity.WARN, "events.unseen", message);
  }

  private @Nullable String blocker(RecoveryConfig c, Map<String, ServiceReport> reports) {
    for (String d : c.dependencies()) {
      ServiceReport r = reports.get(d);
      if (r == null) {
        return "dependency '" + d + "' was not recovered";
      }
      if (r.outcome() == ServiceOutcome.FAILED || r.outcome() == ServiceOutcome.BLOCKED) {
        return "dependency '" + d + "' " + r.outcome().name().toLowerCase(java.util.Locale.ROOT) + ": " + r.reason();
      }
    }
    return null;
  }

  private ServiceReport recover(RecoveryConfig c, int wave, RecoveryAction action, String by, String why,
      Instant runStart) {
    Instant started = clock.instant();
    FailoverEngine engine = null;
    ServiceOutcome outcome;
    String reason;
    try {
      engine = engineOf(c);
      if (action == RecoveryAction.DRILL) {
        return drill(c, wave, engine, by, started, runStart);
      }
      ServiceState s = engine.resume();
      FailoverState target = action == RecoveryAction.FAILBACK ? FailoverState.PRIMARY_ACTIVE
          : FailoverState.BACKUP_ACTIVE;
      if (s.state() == target) {
        outcome = ServiceOutcome.ALREADY_RECOVERED;
        reason = "already " + target + " at epoch " + s.epoch();
      } else {
        s = switch (action) {
          case FAILOVER -> engine.failover(by, why);
          case FORCED_FAILOVER -> engine.forceFailover(by, why);
          case SWITCHOVER -> engine.switchover(by, why);
          case FAILBACK -> engine.failback(by, why);
          case DRILL -> throw new IllegalStateException("drills are run by drill()");
        };
        outcome = s.state() == target ? ServiceOutcome.RECOVERED : ServiceOutcome.FAILED;
        reason = outcome == ServiceOutcome.RECOVERED ? s.reason() : "ended " + s.state() + servingNote(s) + ": "
            + s.attributes().getOrDefault(FailoverEngine.ATTR_ERROR, s.reason());
      }
    } catch (RuntimeException e) {
      // A refused gate, an illegal state, lost leadership, or a broken engine factory: this service
      // fails, the run goes on.
      outcome = ServiceOutcome.FAILED;
      reason = e.getClass().getSimpleName() + ": " + e.getMessage();
      LOG.warn("recovery of service {} failed: {}", c.name(), e.getMessage());
    }
    Instant ended = clock.instant();
    if (engine == null) {
      publishFor(c.name(), Severity.ERROR, "failed", "service '" + c.name() + "': " + reason);
      return new ServiceReport(c.name(), wave, c.priority(), outcome, reason, null, 0, null, started, ended, c.rto(),
          null, null, c.rpo(), null, null, List.of(), null, List.of());
    }
    ServiceState s = engine.state();
    boolean recovered = outcome == ServiceOutcome.RECOVERED;
    Duration measuredRto = recovered ? Duration.between(runStart, ended) : null;
    String loss = s.attributes().get(FailoverEngine.ATTR_MEASURED_LOSS);
    Duration measuredRpo = recovered && loss != null ? Duration.ofMillis(Long.parseLong(loss)) : null;
    List<PhaseReport> phases = new ArrayList<>();
    for (PhaseRecord p : engine.phaseHistory()) {
      phases.add(PhaseReport.of(p, engine.phaseBudget(p.phase())));
    }
    if (outcome == ServiceOutcome.FAILED) {
      publishFor(c.name(), Severity.ERROR, "failed", "service '" + c.name() + "' not recovered: " + reason);
    }
    return new ServiceReport(c.name(), wave, c.priority(), outcome, reason, s.state(), s.epoch(), s.activeSite(),
        started, ended, c.rto(), measuredRto, measuredRto == null ? null : measuredRto.compareTo(c.rto()) <= 0,
        c.rpo(), measuredRpo, measuredRpo == null ? null : measuredRpo.compareTo(c.rpo()) <= 0, phases,
        engine.lastValidation().orElse(null), List.of());
  }

  /** @return for a FAILED state, which site serves (as the engine recorded it); else nothing */
  private static String servingNote(ServiceState s) {
    String serving = s.attributes().get(FailoverEngine.ATTR_SERVING_SITE);
    if (s.state() != FailoverState.FAILED || serving == null) {
      return "";
    }
    return FailoverEngine.NO_SITE.equals(serving) ? " (no site serves)" : " (" + serving + " serves)";
  }

  private ServiceReport drill(RecoveryConfig c, int wave, FailoverEngine engine, String by, Instant started,
      Instant runStart) {
    DrillResult d = engine.drill(Objects.requireNonNull(Objects.requireNonNull(drillActions).apply(c), "drill actions of " + c.name()), by);
    Instant ended = clock.instant();
    ServiceState s = d.result();
    boolean ok = d.succeeded();
    Duration measuredRto = ok ? Duration.between(runStart, ended) : null;
    Duration loss = ok ? d.measuredLoss() : null;
    List<PhaseReport> phases = new ArrayList<>();
    for (PhaseRecord p : d.phases()) {
      phases.add(PhaseReport.of(p, engine.phaseBudget(p.phase())));
    }
    String reason = ok ? "drill reached " + s.state() + " on the isolated target at epoch " + s.epoch()
        : "drill ended " + s.state() + servingNote(s) + ": "
            + s.attributes().getOrDefault(FailoverEngine.ATTR_ERROR, s.reason());
    if (!ok) {
      publishFor(c.name(), Severity.ERROR, "failed", "drill of '" + c.name() + "' failed: " + reason);
    }
    return new ServiceReport(c.name(), wave, c.priority(), ok ? ServiceOutcome.RECOVERED : ServiceOutcome.FAILED,
        reason, s.state(), s.epoch(), s.activeSite(), started, ended, c.rto(), measuredRto,
        measuredRto == null ? null : measuredRto.compareTo(c.rto()) <= 0, c.rpo(), loss,
        loss == null ? null : loss.compareTo(c.rpo()) <= 0, phases, d.validation(), List.of());
  }

  private void publish(Severity severity, String type, String message, Map<String, ?> attrs) {
    Map<String, String> a = new LinkedHashMap<>();
    attrs.forEach((k, v) -> a.put(k, String.valueOf(v)));
    events.publish(new DrEvent(clock.instant(), "recovery." + type, severity, null, 0, message, a));
  }

  private void publishFor(String service, Severity severity, String type, String message) {
    events.publish(new DrEvent(clock.instant(), "recovery." + type, severity, service, 0, message, Map.of()));
  }

  /** Builds a {@link RecoveryOrchestrator}; not thread-safe. */
  public static final class Builder {
    private final DependencyGraph graph;
    private final EngineFactory engines;
    private int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors());
    private Clock clock = Clock.systemUTC();
    private EventBus events = new EventBus();
    private Consumer<ServiceReport> progress = r -> {};
    private @Nullable Function<RecoveryConfig, FailoverActions> drillActions;
    private ThreadFactory threadFactory = DrkitThreads.daemon("drkit-recovery");

    private Builder(DependencyGraph graph, EngineFactory engines) {
      this.graph = graph;
      this.engines = Objects.requireNonNull(engines, "engines");
    }

    /**
     * @param n how many services of one wave recover at once (default: available processors)
     * @return this builder
     * @throws IllegalArgumentException when below 1
     */
    public Builder parallelism(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("parallelism must be >= 1 but was " + n);
      }
      this.parallelism = n;
      return this;
    }

    /**
     * @param clock the time of the report and events (default: UTC system clock)
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param events the application's shared bus: the orchestrator publishes its {@code recovery.*}
     *     events there, hands it to an {@link EngineFactory}, and collects the run's events from it
     *     (default: a bus of its own, which only an {@link EngineFactory}'s engines publish to)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /**
     * @param progress called with each service's report as soon as it is known (on the
     *     orchestrating thread)
     * @return this builder
     */
    public Builder progress(Consumer<ServiceReport> progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /**
     * @param isolated gives each service's actions on its isolated drill target (required for
     *     {@link RecoveryAction#DRILL}; production's actions are never used by a drill)
     * @return this builder
     */
    public Builder drillActions(Function<RecoveryConfig, FailoverActions> isolated) {
      this.drillActions = Objects.requireNonNull(isolated, "isolated");
      return this;
    }

    /**
     * @param threadFactory creates the threads that recover the services of a wave in parallel
     *     (default: daemon threads; the orchestrator names them {@code drkit-recovery-N})
     * @return this builder
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
      return this;
    }

    /** @return the orchestrator */
    public RecoveryOrchestrator build() {
      return new RecoveryOrchestrator(this);
    }
  }
}
