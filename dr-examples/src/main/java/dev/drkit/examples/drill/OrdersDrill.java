package dev.drkit.examples.drill;

import dev.drkit.backup.Repository;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.failover.DrillResult;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.PhaseBudgets;
import dev.drkit.core.failover.PhaseRecord;
import dev.drkit.core.failover.RebuildReport;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.examples.orders.Ledger;
import dev.drkit.examples.orders.LogShippingReplication;
import dev.drkit.examples.orders.LoadGenerator;
import dev.drkit.examples.orders.OrderChecks;
import dev.drkit.examples.orders.OrderFailoverActions;
import dev.drkit.examples.orders.OrderReplication;
import dev.drkit.examples.orders.OrderSite;
import dev.drkit.examples.orders.OrderTopology;
import dev.drkit.examples.orders.Router;
import dev.drkit.examples.orders.SiteRole;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.FailureDetector;
import dev.drkit.validation.Validator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a disaster drill on the example orders service: two real H2 sites behind a router, clients
 * writing orders throughout, and drkit protecting it - dr-core's {@link FailoverEngine} driving the
 * example's {@link OrderFailoverActions}, dr-validation's {@link FailureDetector} and
 * {@link Validator} with the plan's validation steps - and reports what was measured. One instance
 * runs one scenario once.
 *
 * <p>Why this file is longer than 600 lines: each scenario is one method over the same running
 * service (the private {@code Stack}: sites, router, replication, engine, clients, sampler) and the
 * same measurements (RPO from the clients' ledger, objectives); moving the scenarios into their own
 * classes needs that stack as a type of its own first.
 */
public final class OrdersDrill {
  private static final Logger LOG = LoggerFactory.getLogger(OrdersDrill.class);
  private static final Duration SAMPLE_EVERY = Duration.ofMillis(100);
  private static final String BY = "drkit drill";

  private final RecoveryConfig config;
  private final String planSource;
  private final DrillSettings settings;
  private final Path workDir;
  private final Clock clock;
  private List<BackupStrategy> strategies = List.of();
  private int cpuStress;
  private @Nullable Path stressDir;

  /**
   * @param config the service's recovery config (RPO, RTO, validation steps) from the plan
   * @param planSource where the plan came from, for the report
   * @param settings how the drill runs
   * @param workDir a directory for the sites' databases and the engine's state (created; left for
   *     inspection)
   * @param clock the wall clock
   */
  public OrdersDrill(RecoveryConfig config, String planSource, DrillSettings settings, Path workDir, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.planSource = Objects.requireNonNull(planSource, "planSource");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.workDir = Objects.requireNonNull(workDir, "workDir");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * @param backups the drilled service's backup strategies from the plan; the {@code restore}
   *     scenario runs them on their cron schedules (when empty, {@link ScheduledBackups#DEFAULT})
   * @return this
   */
  public OrdersDrill backups(List<BackupStrategy> backups) {
    this.strategies = List.copyOf(backups);
    return this;
  }

  /**
   * Loads the machine for the run's duration: {@code busyThreads} busy threads plus one writer that
   * forces 64 MiB chunks to a temporary file in {@code dir} (deleted afterwards), see
   * {@link CpuStress}. The load is listed in the report's settings.
   *
   * @param busyThreads how many busy threads, {@code >= 0} (0: no load, the default)
   * @param dir where the writer's temporary file goes
   * @return this
   * @throws IllegalArgumentException for a negative count
   */
  public OrdersDrill cpuStress(int busyThreads, Path dir) {
    if (busyThreads < 0) {
      throw new IllegalArgumentException("cpu-stress must be >= 0 but was " + busyThreads);
    }
    this.cpuStress = busyThreads;
    this.stressDir = Objects.requireNonNull(dir, "dir");
    return this;
  }

  /**
   * The phase budgets the drill gives drkit's engine, as shares of the service's RTO (the reasons
   * and the measurements behind them are in docs/drill.md, "Phase budgets"). FAILING_OVER and
   * VALIDATING get the whole RTO each: both run after the fence, where a budget can no longer
   * abort anything and only marks a phase that alone used up the RTO; whether the service came
   * back within its RTO is the end-to-end RTO objective. FAILING_BACK gets ten times the RTO: its
   * resync and the primary's validation run before the fence while the backup still serves, so
   * they cost no availability, and their duration grows with the data and the disk, not with the
   * RTO; an overrun there aborts the failback (safe: the backup keeps serving). The failback's
   * outage (fence to redirect) is measured against the RTO as its own objective.
   */
  public static final PhaseBudgets BUDGETS = new PhaseBudgets(1.0, 1.0, 10.0);

  private static String describe(BackupStrategy s) {
    return s.name() + " (" + s.type().name().toLowerCase(java.util.Locale.ROOT) + ", cron '"
        + s.schedule().expression() + "')";
  }

  /**
   * The names under which the example registers its checks with dr-validation's
   * {@link CheckRegistry}; a plan may use them as check types (and {@code orders-health} as a
   * {@code performance} check's operation), and {@code orders-primary} / {@code orders-backup} as
   * {@code jdbc} data sources.
   *
   * @param registry the registry to add to
   * @param topology where the sites are
   * @param ledger the clients' ledger
   * @param maxLost acknowledged writes the integrity check tolerates (0 for synchronous replication)
   * @param rpo the window they may span
   * @param cutOff the moment whose acknowledged writes must be present
   * @return the registry
   */
  public static CheckRegistry register(CheckRegistry registry, OrderTopology topology, Ledger ledger, long maxLost,
      Duration rpo, Supplier<Instant> cutOff) {
    registry.registerCheck("orders-http", OrderChecks.http(topology));
    registry.registerCheck("orders-integrity", OrderChecks.ledgerIntegrity(topology, ledger, maxLost, rpo, cutOff));
    registry.registerCheck("orders-synthetic", OrderChecks.syntheticOrder(topology));
    registry.registerCheck("orders-health", OrderChecks.health(topology));
    registry.registerDataSource("orders-primary", OrderSite.dataSource(() -> topology.site(Site.PRIMARY)));
    registry.registerDataSource("orders-backup", OrderSite.dataSource(() -> topology.site(Site.BACKUP)));
    return registry;
  }

  /**
   * Runs a scenario.
   *
   * @param scenario what to rehearse: site loss, switchover, restore or a test failover
   * @return the report of the run (whether or not its objectives were met)
   * @throws IOException when the service cannot be set up
   * @throws InterruptedException when interrupted
   */
  public DrillReport run(Scenario scenario) throws IOException, InterruptedException {
    Recorder rec = new Recorder(clock);
    EventBus bus = EventBus.of(rec);
    long setUp = System.nanoTime();
    Path sd = stressDir;
    try (CpuStress stress = CpuStress.start(cpuStress, sd == null ? workDir : sd, CpuStress.DEFAULT_CHUNK_BYTES);
        Stack st = new Stack(bus, rec)) {
      rec.record("set-up", setUp, System.nanoTime(), null, null, "two H2 sites, router, " + st.replication.mode()
          + " replication, " + settings.writers() + " clients at " + settings.writeRate() + " writes/s");
      List<DrillReport.Objective> objectives = new ArrayList<>();
      Outcome outcome;
      try {
        outcome = switch (scenario) {
          case SITE_LOSS -> siteLoss(st, objectives);
          case SWITCHOVER -> switchover(st, objectives);
          case DRILL -> testFailover(st, objectives);
          case RESTORE -> restore(st, objectives);
          case PITR -> pointInTime(st, objectives);
        };
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        LOG.error("drill {} aborted", scenario, e);
        rec.note("the scenario aborted: " + e);
        bus.publish(new DrEvent(clock.instant(), "drill.aborted", DrEvent.Severity.ERROR, config.name(),
            st.engine.state().epoch(), "scenario aborted: " + e, Map.of()));
        objectives.add(new DrillReport.Objective("scenario completed", "all phases run", "aborted: " + e, false));
        outcome = new Outcome(rpo(st, java.util.Set.of(), Instant.MIN, "none"), null);
      }
      st.stopLoad();
      for (PhaseRecord p : st.engine.phaseHistory()) {
        rec.recordWall("engine " + p.phase() + " (epoch " + p.epoch() + ")", p.started(), p.ended(),
            st.engine.phaseBudget(p.phase()), !p.outcome().equals("succeeded"), p.outcome() + ": " + p.detail());
      }
      rec.note(st.load.acknowledged() + " writes acknowledged and " + st.load.failed()
          + " failed during the run; replication: " + st.replication.mode() + " (" + st.replication.getClass().getSimpleName()
          + ")");
      return new DrillReport(scenario.cliName(), scenario.description(), planSource, config.name(),
          settings.replicationMode(), rec.startedAt(), rec.nowMs(), config.rpo().toMillis(), config.rto().toMillis(),
          objectives, rec.phases(), outcome.rpo(), outcome.rto(), rec.samples(), rec.validations(), rec.events(),
          st.actions.quarantined().stream().map(o -> o.id()).toList(), rec.notes(), settings(stress));
    }
  }

  private Map<String, String> settings(CpuStress stress) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("replication", settings.replicationMode());
    m.put("detection", "probe every " + settings.probeInterval().toMillis() + " ms, down after "
        + settings.failuresToDown() + " failures, probe timeout " + settings.probeTimeout().toMillis() + " ms");
    m.put("load", settings.writers() + " clients, " + settings.writeRate() + " writes/s");
    m.put("pacing", "warm-up " + settings.warmup().toMillis() + " ms, on backup " + settings.onBackup().toMillis()
        + " ms, settle " + settings.settle().toMillis() + " ms");
    m.put("rebuild RTO", settings.rebuildRto().toMillis() + " ms (restore, pitr)");
    m.put("phase budgets", "FAILING_OVER " + BUDGETS.failingOver() + " x RTO, VALIDATING " + BUDGETS.validating()
        + " x RTO, FAILING_BACK " + BUDGETS.failingBack() + " x RTO");
    m.put("cpu stress", stress.describe());
    m.put("processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
    return m;
  }

  private record Outcome(DrillReport.Rpo rpo, DrillReport.@Nullable Rto rto) {}

  // ---------------------------------------------------------------- the service under test

  /** Production, or a drill's isolated copy, as the checks see it. */
  private static final class SwitchableTopology implements OrderTopology {
    private volatile OrderTopology delegate;

    SwitchableTopology(OrderTopology initial) {
      this.delegate = initial;
    }

    @Override
    public OrderSite site(Site site) {
      return delegate.site(site);
    }

    @Override
    public Router router() {
      return delegate.router();
    }
  }

  /** The running service: both sites, the router, replication, drkit, the clients and the sampler. */
  private final class Stack implements AutoCloseable, OrderTopology {
    final EventBus bus;
    final Recorder rec;
    final OrderSite primary;
    final OrderSite backup;
    final Router router;
    final Ledger ledger = new Ledger();
    final OrderReplication replication;
    final OrderFailoverActions actions;
    final SwitchableTopology topology = new SwitchableTopology(this);
    final FileStateStore store;
    final FailoverEngine engine;
    final RecordingValidator validator;
    final LoadGenerator load;
    final ScheduledExecutorService sampler;
    final List<AutoCloseable> closeables = new ArrayList<>();
    private volatile @Nullable Instant cutOff;
    private long lastAcked;
    private long lastFailed;
    private long lastSampleNanos = System.nanoTime();

    Stack(EventBus bus, Recorder rec) throws IOException {
      this.bus = bus;
      this.rec = rec;
      primary = new OrderSite("primary", Site.PRIMARY, workDir.resolve("primary"), clock).start();
      backup = new OrderSite("backup", Site.BACKUP, workDir.resolve("backup"), clock).start();
      router = new Router(clock, Duration.ofSeconds(2));
      replication = new LogShippingReplication(config.name(), settings.replicationMode().equals("sync"), bus, clock);
      // Fencing drains for at most the RTO (it is outage); resync may wait for the returning site
      // to catch up as long as the failback may take (the active site serves meanwhile).
      actions = new OrderFailoverActions(primary, backup, router, replication, bus, clock, config.rto(),
          BUDGETS.budget(FailoverState.FAILING_BACK, config.rto()));
      CheckRegistry registry = register(CheckRegistry.withBuiltIns(), topology, ledger,
          settings.replicationMode().equals("sync") ? 0 : Long.MAX_VALUE, config.rpo(), this::integrityCutOff);
      validator = new RecordingValidator(Validator.builder(registry).eventBus(bus).clock(clock).build(), rec, this);
      store = FileStateStore.open(workDir.resolve("state"));
      LocalCoordinator coordinator = new LocalCoordinator();
      var unused = coordinator.awaitLeadership(Duration.ofSeconds(5))
          .orElseThrow(() -> new IOException("the local coordinator granted no leadership"));
      engine = FailoverEngine.builder(config).stateStore(store).actions(new TimedActions(actions, rec, () -> engine()))
          .coordinator(coordinator).validator(validator)
          .dataLossEstimator((service, target) -> replication.lag()).eventBus(bus).clock(clock)
          .detectionPolicy(new ConsecutiveFailuresPolicy(settings.failuresToDown(), 1))
          .phaseBudgets(BUDGETS).build();
      try {
        long epoch = engine.state().epoch();
        replication.ship(primary, epoch);
        primary.promote(epoch);
        backup.demote(epoch);
        replication.attach(backup, epoch);
        router.switchTo(primary, epoch);
      } catch (Exception e) {
        closeQuietly();
        throw new IOException("could not set up the orders service: " + e.getMessage(), e);
      }
      bus.publish(new DrEvent(clock.instant(), "drill.started", DrEvent.Severity.INFO, config.name(),
          engine.state().epoch(), "orders service up: primary " + primary.uri() + ", backup " + backup.uri()
              + ", router " + router.uri() + ", " + replication.mode() + " replication", Map.of()));
      load = new LoadGenerator(router.uri(), ledger, clock, settings.writers(), settings.writeRate(), "o");
      sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drill-sampler");
        t.setDaemon(true);
        return t;
      });
      load.start();
      // Steady state first: the clients' first acknowledged write (cold JVM, cold caches).
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (ledger.size() == 0 && System.nanoTime() < deadline) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (ledger.size() == 0) {
        close();
        throw new IOException("the orders service acknowledged no write within 30 s of starting");
      }
      lastAcked = load.acknowledged();
      lastFailed = load.failed();
      lastSampleNanos = System.nanoTime();
      sampler.scheduleAtFixedRate(this::sample, SAMPLE_EVERY.toMillis(), SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    FailoverEngine engine() {
      return engine;
    }

    /**
     * @return the moment whose acknowledged writes the integrity check requires: now, or the
     *     point-in-time target once a rebuild deliberately went back to it
     */
    Instant integrityCutOff() {
      Instant c = cutOff;
      return c != null ? c : clock.instant();
    }

    @Override
    public OrderSite site(Site s) {
      return s == Site.PRIMARY ? primary : backup;
    }

    @Override
    public Router router() {
      return router;
    }

    OrderSite active() {
      return site(engine.state().activeSite());
    }

    private synchronized void sample() {
      long now = System.nanoTime();
      long acked = load.acknowledged();
      long failed = load.failed();
      double secs = Math.max(1e-3, (now - lastSampleNanos) / 1e9);
      OrderSite a = primary.role() == SiteRole.PRIMARY ? primary : backup;
      OrderSite other = a == primary ? backup : primary;
      Long lag = a.isRunning() && a.role() == SiteRole.PRIMARY && other.isRunning() && other.role() == SiteRole.REPLICA
          ? replication.lag().toMillis() : null;
      rec.sample(new DrillReport.Sample(rec.msAt(now), (acked - lastAcked) / secs, (failed - lastFailed) / secs, lag));
      lastAcked = acked;
      lastFailed = failed;
      lastSampleNanos = now;
    }

    void stopLoad() {
      if (load != null) {
        load.close();
      }
      if (sampler != null) {
        sampler.shutdownNow();
      }
    }

    private void closeQuietly() {
      replication.close();
      router.close();
      primary.stop();
      backup.stop();
    }

    @Override
    public void close() {
      stopLoad();
      for (AutoCloseable c : closeables) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.warn("could not close {}", c, e);
        }
      }
      closeQuietly();
      store.close();
    }
  }

  /** Records every action drkit takes as a phase of the run, named after the engine's state. */
  private static final class TimedActions implements FailoverActions {
    private final FailoverActions delegate;
    private final Recorder rec;
    private final Supplier<FailoverEngine> engine;

    TimedActions(FailoverActions delegate, Recorder rec, Supplier<FailoverEngine> engine) {
      this.delegate = delegate;
      this.rec = rec;
      this.engine = engine;
    }

    private String prefix() {
      FailoverEngine e = engine.get();
      FailoverState s = e == null ? FailoverState.PRIMARY_ACTIVE : e.state().state();
      return switch (s) {
        case FAILING_OVER -> "planned".equals(e.state().attributes().get(FailoverEngine.ATTR_MODE)) ? "switchover: "
            : "failover: ";
        case FAILING_BACK -> "failback: ";
        case REBUILDING -> "rebuild: ";
        case PRIMARY_ACTIVE, PRIMARY_DEGRADED, VALIDATING, BACKUP_ACTIVE, FAILED -> "";
      };
    }

    private static String name(Site s) {
      return s.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void fence(String service, Site site, long epoch) throws Exception {
      rec.phase(prefix() + "fence " + name(site), null, () -> {
        delegate.fence(service, site, epoch);
        return name(site) + " fenced at epoch " + epoch;
      });
    }

    @Override
    public void promote(String service, Site site, long epoch) throws Exception {
      rec.phase(prefix() + "promote " + name(site), null, () -> {
        delegate.promote(service, site, epoch);
        return name(site) + " primary at epoch " + epoch;
      });
    }

    @Override
    public void redirect(String service, Site site, long epoch) throws Exception {
      rec.phase(prefix() + "redirect to " + name(site), null, () -> {
        delegate.redirect(service, site, epoch);
        return "router sends traffic to " + name(site);
      });
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) throws Exception {
      rec.phase(prefix() + "resync " + name(target) + " from " + name(source), null, () -> {
        delegate.resync(service, target, source, epoch);
        return name(target) + " caught up with " + name(source);
      });
    }

    @Override
    public void demote(String service, Site site, long epoch) throws Exception {
      rec.phase(prefix() + "demote " + name(site), null, () -> {
        delegate.demote(service, site, epoch);
        return name(site) + " replica at epoch " + epoch;
      });
    }
  }

  /** Runs dr-validation's validator and records each run in the report, with when it passed. */
  private static final class RecordingValidator implements ServiceValidator {
    private final ServiceValidator delegate;
    private final Recorder rec;
    private final OrderTopology topology;
    private volatile String label = "validation";
    private final AtomicLong lastPassedNanos = new AtomicLong();

    RecordingValidator(ServiceValidator delegate, Recorder rec, OrderTopology topology) {
      this.delegate = delegate;
      this.rec = rec;
      this.topology = topology;
    }

    void label(String l) {
      label = l;
    }

    long lastPassedNanos() {
      return lastPassedNanos.get();
    }

    @Override
    public ValidationReport validate(RecoveryConfig config, Site site, long epoch) throws InterruptedException {
      long t0 = System.nanoTime();
      ValidationReport r = delegate.validate(config, site, epoch);
      long t1 = System.nanoTime();
      String siteName = topology.site(site).name();
      String l = label + " (" + siteName + ")";
      rec.validation(l, siteName, r, t0);
      rec.record("validation: " + l, t0, t1, null, r.passed() ? null : new IllegalStateException("validation failed"),
          r.steps().size() + " steps " + (r.passed() ? "passed" : "FAILED"));
      if (r.passed()) {
        lastPassedNanos.set(t1);
      }
      return r;
    }
  }

  // ---------------------------------------------------------------- measurements

  private DrillReport.Rpo rpo(Stack st, java.util.Set<String> present, Instant before, String lostFrom) {
    Ledger.Loss loss = st.ledger.missingFrom(present, before);
    long acked = st.ledger.entries().stream().filter(e -> e.ackedAt().isBefore(before)).count();
    Long from = loss.from().map(t -> Duration.between(st.rec.startedAt(), t).toMillis()).orElse(null);
    Long to = loss.to().map(t -> Duration.between(st.rec.startedAt(), t).toMillis()).orElse(null);
    List<String> ids = loss.missing().stream().limit(100).map(Ledger.Entry::id).toList();
    if (loss.count() > 0) {
      st.bus.publish(new DrEvent(clock.instant(), "drill.rpo.lost", DrEvent.Severity.WARN, config.name(),
          st.engine.state().epoch(), loss.count() + " acknowledged writes missing from " + lostFrom,
          Map.of("windowMs", Long.toString(loss.window().toMillis()))));
    }
    return new DrillReport.Rpo(acked, loss.count(), loss.window().toMillis(), from, to, ids);
  }

  private void rpoObjectives(List<DrillReport.Objective> objectives, DrillReport.Rpo rpo, String what) {
    boolean sync = settings.replicationMode().equals("sync");
    objectives.add(new DrillReport.Objective("RPO (" + what + ")", "<= " + config.rpo().toMillis() + " ms of writes",
        rpo.lostWrites() + " lost, window " + rpo.windowMs() + " ms",
        rpo.windowMs() <= config.rpo().toMillis() && (!sync || rpo.lostWrites() == 0)));
    if (sync) {
      objectives.add(new DrillReport.Objective("lost writes (" + what + ", sync)", "0", Long.toString(rpo.lostWrites()),
          rpo.lostWrites() == 0));
    }
  }

  private static void pause(Duration d) throws InterruptedException {
    if (!d.isZero()) {
      Thread.sleep(d.toMillis());
    }
  }

  private void warmUp(Stack st, String where) throws Exception {
    st.rec.phase("warm-up on " + where, null, () -> {
      pause(settings.warmup());
      return st.load.acknowledged() + " writes acknowledged";
    });
  }

  private void objective(List<DrillReport.Objective> objectives, String name, String target, String measured,
      boolean met) {
    objectives.add(new DrillReport.Objective(name, target, measured, met));
  }

  private void engineReached(Stack st, List<DrillReport.Objective> objectives, FailoverState expected, String what) {
    FailoverState s = st.engine.state().state();
    objective(objectives, what + " completed", expected.name(), s + " (" + st.engine.state().reason() + ")",
        s == expected);
  }

  private void finalIntegrity(Stack st, List<DrillReport.Objective> objectives, long allowedLost)
      throws InterruptedException {
    st.replication.awaitCaughtUp(Duration.ofSeconds(5));
    OrderSite finalSite = serving(st);
    Router.Route route = st.router.route().orElse(null);
    objective(objectives, "a site serves at the end", "the router's site is primary at the route's epoch",
        finalSite == null ? "none (route: " + (route == null ? "none" : route.siteName() + " at epoch " + route.epoch())
            + ")" : finalSite.name() + " at epoch " + finalSite.epoch(), finalSite != null);
    if (finalSite == null) {
      objective(objectives, "acknowledged writes on the final active site", "all but the " + allowedLost
          + " lost at failover", "no site serves", false);
      return;
    }
    Ledger.Loss loss = st.ledger.missingFrom(finalSite.orderIds());
    objective(objectives, "acknowledged writes on the final active site",
        "all but the " + allowedLost + " lost at failover", (st.ledger.size() - loss.count()) + " of "
            + st.ledger.size() + " present on " + finalSite.name(), loss.count() <= allowedLost);
  }

  // ---------------------------------------------------------------- site-loss

  private Outcome siteLoss(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    String svc = config.name();
    Duration rto = config.rto();
    warmUp(st, "primary");

    // Detection: dr-validation's failure detector probes the primary; its DOWN verdict goes to the
    // failover engine (on another thread: listeners must be quick).
    ExecutorService decisions = Executors.newSingleThreadExecutor(r -> new Thread(r, "drill-failover"));
    st.closeables.add(decisions::shutdownNow);
    CountDownLatch down = new CountDownLatch(1);
    AtomicLong downNanos = new AtomicLong();
    FailureDetector detector = FailureDetector.builder(svc, Site.PRIMARY, OrderChecks.siteAlive(st.topology),
            new ConsecutiveFailuresPolicy(settings.failuresToDown(), 1))
        .interval(settings.probeInterval()).probeTimeout(settings.probeTimeout()).eventBus(st.bus).clock(clock)
        .epoch(() -> st.engine.state().epoch()).build();
    st.closeables.add(detector);
    detector.addListener((service, site, previous, current, cause) -> {
      if (current == dev.drkit.core.HealthVerdict.DOWN && downNanos.compareAndSet(0, System.nanoTime())) {
        down.countDown();
      }
      decisions.submit(() -> st.engine.onVerdict(current, "failure detector"));
    });
    st.validator.label("after failover");
    detector.start();
    pause(settings.probeInterval());

    long killNanos = System.nanoTime();
    st.primary.kill();
    Instant killedAt = clock.instant();
    st.bus.publish(new DrEvent(killedAt, "drill.site.killed", DrEvent.Severity.ERROR, svc, 1,
        "primary killed: server stopped, database shut down without checkpoint", Map.of("site", "primary")));
    Duration detectionBudget = settings.detectionWindow().plus(settings.probeTimeout());
    if (!down.await(detectionBudget.multipliedBy(10).toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
      rec.record("detection", killNanos, System.nanoTime(), detectionBudget, new IllegalStateException("not detected"),
          "the primary was not declared down");
      throw new IllegalStateException("the dead primary was not declared down");
    }
    rec.record("detection", killNanos, downNanos.get(), detectionBudget, null, settings.failuresToDown()
        + " consecutive failed probes " + settings.probeInterval().toMillis() + " ms apart");
    // The engine fails over on its own: fence, measure loss, promote, redirect, then validates.
    FailoverState reached = awaitSteady(st, Duration.ofMillis(rto.toMillis() * 3 + 10_000));
    long recoveredNanos = st.validator.lastPassedNanos();
    detector.close();
    long e2 = st.engine.state().epoch();
    DrillReport.Rpo rpo = rpo(st, st.backup.isRunning() ? st.backup.orderIds() : java.util.Set.of(), killedAt,
        "the promoted backup");
    engineReached(st, objectives, FailoverState.BACKUP_ACTIVE, "automatic failover");
    DrillReport.Rto measured = null;
    if (reached == FailoverState.BACKUP_ACTIVE && recoveredNanos > downNanos.get()) {
      long rtoMs = Math.round((recoveredNanos - killNanos) / 1e6);
      Map<String, Long> breakdown = new LinkedHashMap<>();
      breakdown.put("detection", Math.round((downNanos.get() - killNanos) / 1e6));
      for (PhaseRecord p : st.engine.phaseHistory()) {
        breakdown.put(p.phase() == FailoverState.FAILING_OVER ? "failover"
            : p.phase() == FailoverState.VALIDATING ? "validation" : p.phase().name(), p.duration().toMillis());
      }
      long accounted = breakdown.values().stream().mapToLong(Long::longValue).sum();
      breakdown.put("hand-offs", Math.max(0, rtoMs - accounted));
      measured = new DrillReport.Rto(rec.msAt(killNanos), rec.msAt(recoveredNanos), rtoMs, breakdown);
      st.bus.publish(new DrEvent(clock.instant(), "drill.recovered", DrEvent.Severity.INFO, svc, e2,
          "backup validated and serving " + rtoMs + " ms after the primary died", Map.of("rtoMs", Long.toString(rtoMs))));
      objective(objectives, "RTO (failover)", "<= " + rto.toMillis() + " ms", rtoMs + " ms", rtoMs <= rto.toMillis());
    } else {
      objective(objectives, "RTO (failover)", "<= " + rto.toMillis() + " ms", "not recovered (" + reached + ")", false);
    }
    rpoObjectives(objectives, rpo, "failover");
    if (reached != FailoverState.BACKUP_ACTIVE) {
      st.stopLoad();
      finalIntegrity(st, objectives, rpo.lostWrites());
      return new Outcome(rpo, measured);
    }

    rec.phase("running on backup", null, () -> {
      pause(settings.onBackup());
      return st.ledger.entries().stream().filter(e -> e.site().equals("backup")).count()
          + " writes acknowledged by the backup so far";
    });
    rec.phase("primary restart", null, () -> {
      st.primary.start();
      return "primary up " + st.primary.role() + " at epoch " + st.primary.epoch();
    });
    // Failback: resync the primary (divergent writes quarantined), validate it, switch roles.
    st.validator.label("primary before failback");
    long fb0 = System.nanoTime();
    st.engine.failback(BY, "primary repaired");
    long fb1 = System.nanoTime();
    engineReached(st, objectives, FailoverState.PRIMARY_ACTIVE, "failback");
    long e3 = st.engine.state().epoch();
    // The instant is taken before the site is read: every write a client saw acknowledged before it
    // was committed before it, so the read that follows must hold it. (Read first, and a write
    // acknowledged between the read and the instant would count as lost.)
    Instant afterFailback = clock.instant();
    OrderSite servingAfter = serving(st);
    DrillReport.Rpo fbRpo = rpo(st, servingAfter == null ? java.util.Set.of() : servingAfter.orderIds(), afterFailback,
        servingAfter == null ? "no serving site" : "the " + servingAfter.name() + " after failback");
    long lostAtFailback = fbRpo.lostWrites() - rpo.lostWrites();
    objective(objectives, "lost writes (failback)", "0", Long.toString(Math.max(0, lostAtFailback)), lostAtFailback <= 0);
    Duration fbBudget = st.engine.phaseBudget(FailoverState.FAILING_BACK);
    objective(objectives, "failback time (resync to demote)", "<= " + fbBudget.toMillis() + " ms",
        Math.round((fb1 - fb0) / 1e6) + " ms", fb1 - fb0 <= fbBudget.toNanos());
    // The failback's outage: from the fence of the backup (no site takes writes) to the router's
    // switch to the primary. The resync before it runs while the backup serves.
    Long outage = between(rec, "failback: fence backup", "failback: redirect to primary");
    objective(objectives, "failback outage (fence to redirect)", "<= " + rto.toMillis() + " ms",
        outage == null ? "no switch (" + st.engine.state().state() + ")" : outage + " ms",
        outage != null && outage <= rto.toMillis());
    st.validator.label("after failback");
    if (servingAfter != null && servingAfter == st.primary) {
      ValidationReport after = st.validator.validate(config, Site.PRIMARY, e3);
      objective(objectives, "validation after failback", "passed", after.passed() ? "passed" : "failed", after.passed());
    } else {
      objective(objectives, "validation after failback", "passed", "not run: the primary does not serve", false);
    }
    rec.phase("settle on primary", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    st.stopLoad();
    finalIntegrity(st, objectives, rpo.lostWrites());
    return new Outcome(rpo, measured);
  }

  /** @return how long from the start of the first phase named {@code from} to the end of the last named {@code to} */
  private static @Nullable Long between(Recorder rec, String from, String to) {
    Long start = null;
    Long end = null;
    for (DrillReport.Phase p : rec.phases()) {
      if (start == null && p.name().equals(from)) {
        start = p.startMs();
      }
      if (p.name().equals(to) && p.verdict() != DrillReport.Verdict.FAIL) {
        end = p.startMs() + p.durationMs();
      }
    }
    return start == null || end == null || end < start ? null : end - start;
  }

  /**
   * @return the site clients reach through the router: the route's site, running as primary at the
   *     route's epoch; null when none serves
   */
  private static @Nullable OrderSite serving(Stack st) {
    Router.Route r = st.router.route().orElse(null);
    if (r == null) {
      return null;
    }
    for (OrderSite s : List.of(st.primary, st.backup)) {
      if (s.name().equals(r.siteName()) && s.isRunning() && s.role() == SiteRole.PRIMARY && s.epoch() == r.epoch()) {
        return s;
      }
    }
    return null;
  }

  private FailoverState awaitSteady(Stack st, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      FailoverState s = st.engine.state().state();
      if (s == FailoverState.BACKUP_ACTIVE || s == FailoverState.FAILED) {
        return s;
      }
      Thread.sleep(2);
    }
    return st.engine.state().state();
  }

  // ---------------------------------------------------------------- switchover

  private Outcome switchover(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    Duration rto = config.rto();
    warmUp(st, "primary");
    st.validator.label("after switchover");
    long t0 = System.nanoTime();
    st.engine.switchover(BY, "planned maintenance of the primary");
    long done = System.nanoTime();
    engineReached(st, objectives, FailoverState.BACKUP_ACTIVE, "switchover");
    Instant afterSwitch = clock.instant(); // before the read, as in the failback measurement
    DrillReport.Rpo rpo = rpo(st, st.backup.orderIds(), afterSwitch, "the promoted backup");
    long ms = Math.round((done - t0) / 1e6);
    Map<String, Long> breakdown = new LinkedHashMap<>();
    for (PhaseRecord p : st.engine.phaseHistory()) {
      breakdown.put(p.phase() == FailoverState.FAILING_OVER ? "switch (fence, drain, promote, redirect, demote)"
          : p.phase() == FailoverState.VALIDATING ? "validation" : p.phase().name(), p.duration().toMillis());
    }
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(t0), rec.msAt(done), ms, breakdown);
    objective(objectives, "RTO (switchover)", "<= " + rto.toMillis() + " ms", ms + " ms", ms <= rto.toMillis());
    objective(objectives, "lost writes (planned switchover)", "0", Long.toString(rpo.lostWrites()),
        rpo.lostWrites() == 0);
    rec.phase("settle on backup", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    st.stopLoad();
    finalIntegrity(st, objectives, 0);
    return new Outcome(rpo, measured);
  }

  // ---------------------------------------------------------------- restore

  private Outcome restore(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    String svc = config.name();
    Duration rto = settings.rebuildRto();
    ScheduledBackups backups = new ScheduledBackups(svc, strategies, () -> st.primary, () -> st.replication instanceof LogShippingReplication l ? l.logPosition()
            : java.util.Optional.empty(),
        workDir, st.bus, clock);
    st.closeables.add(backups);
    rec.note("backups: " + (strategies.isEmpty() ? "the drill's default strategy " + describe(ScheduledBackups.DEFAULT)
        + " (the plan has none for " + svc + ")" : "the plan's strategies " + strategies.stream()
        .map(OrdersDrill::describe).toList()) + ", run by dr-backup's BackupScheduler on their cron schedules");
    st.rec.phase("warm-up on primary, backups on schedule", null, () -> {
      pause(settings.warmup());
      if (!backups.awaitFirstSnapshot(Duration.ofSeconds(30))) {
        throw new IllegalStateException("no scheduled backup completed within 30 s of the warm-up");
      }
      return st.load.acknowledged() + " writes acknowledged, " + backups.snapshots().size() + " scheduled snapshots";
    });
    // The scheduler's host goes down with the sites; it is stopped just before the loss, so that a
    // run in progress finishes (or a pending one is dropped) outside the measured recovery time.
    backups.close();
    List<Snapshot> scheduled = backups.snapshots();
    Snapshot snap = scheduled.get(scheduled.size() - 1);
    long lossNanos = System.nanoTime();
    Instant lostAt = clock.instant();
    st.primary.kill();
    st.backup.kill();
    st.primary.destroyData();
    st.backup.destroyData();
    st.bus.publish(new DrEvent(lostAt, "drill.data.lost", DrEvent.Severity.ERROR, svc, 1,
        "both sites killed and their databases deleted; the primary's replication log survives (separate volume)",
        Map.of()));
    // The library's rebuild: snapshot (with its recorded log position) + replay of the surviving log,
    // validate, promote and redirect at a new epoch, persisted in the same state store.
    long logEpoch = st.engine.state().epoch();
    Path logDir = LogShippingReplication.primaryLogDir(st.primary.directory(), logEpoch);
    dev.drkit.core.coord.LocalCoordinator rebuildLease = new dev.drkit.core.coord.LocalCoordinator();
    rebuildLease.awaitLeadership(Duration.ofSeconds(5));
    st.validator.label("after restore");
    dev.drkit.core.failover.RebuildReport[] rebuilt = new dev.drkit.core.failover.RebuildReport[1];
    try (dev.drkit.replication.ReplicationLogReplay replay = new dev.drkit.replication.ReplicationLogReplay(svc,
        () -> java.util.Optional.of(dev.drkit.replication.ReplicationLog.open(logDir,
            dev.drkit.replication.LogConfig.builder("archive-primary").eventBus(st.bus).clock(clock).build())))) {
      FailoverEngine rebuilder = FailoverEngine.builder(config).stateStore(st.store).actions(st.actions)
          .coordinator(rebuildLease).validator(st.validator).eventBus(st.bus).clock(clock)
          .rebuildSources(new dev.drkit.core.failover.RebuildSources(backups.catalog(), replay,
              new dev.drkit.examples.orders.OrderRebuildTarget(st.primary, st.backup, backups::open,
                  workDir.resolve("rebuild-staging"), java.util.Optional::empty)))
          .build();
      rec.phase("restore: rebuild (snapshot, log replay, validate, promote, redirect)", null, () -> {
        dev.drkit.core.spi.ServiceState after = rebuilder.rebuild(dev.drkit.core.failover.RebuildRequest.latest(), BY,
            "both databases lost");
        rebuilt[0] = dev.drkit.core.failover.RebuildReport.of(after).orElseThrow();
        if (after.state() != FailoverState.PRIMARY_ACTIVE) {
          throw new IllegalStateException(rebuilt[0].summary());
        }
        return rebuilt[0].summary();
      });
    } finally {
      st.engine.reload();
    }
    long e2 = st.engine.state().epoch();
    DrillReport.Rpo rpo = rpo(st, st.primary.orderIds(), lostAt, "the rebuilt primary");
    ValidationReport v = st.validator.validate(config, Site.PRIMARY, e2);
    long done = System.nanoTime();
    long ms = Math.round((done - lossNanos) / 1e6);
    Map<String, Long> breakdown = new LinkedHashMap<>();
    for (DrillReport.Phase p : rec.phases()) {
      if (p.name().startsWith("restore:") || p.name().startsWith("validation: after restore")) {
        breakdown.put(p.name(), p.durationMs());
      }
    }
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(lossNanos), rec.msAt(done), ms, breakdown);
    objective(objectives, "RTO (restore)", "<= " + rto.toMillis() + " ms (rebuild RTO)", ms + " ms", v.passed() && ms <= rto.toMillis());
    objective(objectives, "validation after restore", "passed", v.passed() ? "passed" : "failed", v.passed());
    rpoObjectives(objectives, rpo, "restore");
    objective(objectives, "snapshot restored", "the latest scheduled (" + snap.shortId() + ", " + scheduled.size()
        + " taken on schedule)", rebuilt[0].snapshotId().substring(0, 8), rebuilt[0].snapshotId().equals(snap.id()));
    rec.phase("rebuild the replica from the primary", null, () -> {
      st.backup.start();
      st.actions.resync(svc, Site.BACKUP, Site.PRIMARY, e2);
      return st.backup.orderIds().size() + " orders on the new replica";
    });
    rec.note("restore runs on the failover engine's rebuild command (REBUILDING persisted in the state store):"
        + " snapshot " + rebuilt[0].snapshotId().substring(0, 8) + " from log offset " + rebuilt[0].fromOffset() + ", "
        + rebuilt[0].applied() + " records replayed, epoch " + e2);
    rec.phase("settle on the rebuilt primary", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    st.stopLoad();
    finalIntegrity(st, objectives, 0);
    return new Outcome(rpo, measured);
  }

  // ---------------------------------------------------------------- pitr (point-in-time rebuild)

  private Outcome pointInTime(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    String svc = config.name();
    Duration rto = settings.rebuildRto();
    ScheduledBackups backups = new ScheduledBackups(svc, strategies, () -> st.primary,
        () -> st.replication instanceof LogShippingReplication l ? l.logPosition() : java.util.Optional.empty(),
        workDir, st.bus, clock);
    st.closeables.add(backups);
    Duration half = settings.warmup().dividedBy(2);
    rec.phase("warm-up on primary, backups on schedule", null, () -> {
      pause(half);
      if (!backups.awaitFirstSnapshot(Duration.ofSeconds(30))) {
        throw new IllegalStateException("no scheduled backup completed within 30 s of the warm-up");
      }
      return st.load.acknowledged() + " writes acknowledged, " + backups.snapshots().size() + " scheduled snapshots";
    });
    // The damage: a bulk delete of every order acknowledged so far, made through the primary like
    // any client write, so that replication ships it and the log records it at its commit time.
    Instant badAt = clock.instant();
    List<String> victims = st.ledger.entries().stream().filter(e -> e.ackedAt().isBefore(badAt))
        .map(Ledger.Entry::id).toList();
    // Records carry millisecond commit times: the burst starts in a later millisecond than the
    // instant, so "at or before the instant's millisecond" holds every write acknowledged before it
    // and none of the burst.
    while (clock.millis() <= badAt.toEpochMilli()) {
      Thread.sleep(1);
    }
    List<dev.drkit.examples.orders.Order> deleted = java.util.Collections.synchronizedList(new ArrayList<>());
    rec.phase("bad writes: bulk delete through the primary", null, () -> {
      // A burst from several clients at once, each deleting its share in one transaction.
      int clients = Math.max(1, settings.writers());
      ExecutorService burst = Executors.newFixedThreadPool(clients, r -> new Thread(r, "drill-bad-writes"));
      try {
        List<java.util.concurrent.Future<?>> parts = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          Set<String> share = new java.util.LinkedHashSet<>();
          for (int i = c; i < victims.size(); i += clients) {
            share.add(victims.get(i));
          }
          long epoch = st.primary.epoch();
          parts.add(burst.submit(() -> deleted.addAll(st.primary.delete(share, epoch))));
        }
        for (java.util.concurrent.Future<?> f : parts) {
          f.get();
        }
      } finally {
        burst.shutdownNow();
      }
      return deleted.size() + " orders deleted by " + clients + " clients (every order acknowledged before " + badAt
          + ")";
    });
    st.bus.publish(new DrEvent(clock.instant(), "drill.bad.writes", DrEvent.Severity.ERROR, svc,
        st.engine.state().epoch(), deleted.size() + " orders deleted by a bulk delete at " + badAt
            + "; replicated and logged like any write", Map.of("at", badAt.toString())));
    rec.phase("service runs on with the damage", null, () -> {
      pause(settings.warmup().minus(half));
      return st.load.acknowledged() + " writes acknowledged";
    });
    backups.close();
    Instant target = Instant.ofEpochMilli(badAt.toEpochMilli());
    st.cutOff = target;
    long logEpoch = st.engine.state().epoch();
    Path logDir = LogShippingReplication.primaryLogDir(st.primary.directory(), logEpoch);
    LocalCoordinator rebuildLease = new LocalCoordinator();
    rebuildLease.awaitLeadership(Duration.ofSeconds(5));
    st.validator.label("after point-in-time rebuild");
    dev.drkit.core.failover.RebuildReport[] rebuilt = new dev.drkit.core.failover.RebuildReport[1];
    FailoverEngine[] holder = new FailoverEngine[1];
    long t0 = System.nanoTime();
    try (dev.drkit.replication.ReplicationLogReplay replay = new dev.drkit.replication.ReplicationLogReplay(svc,
        () -> java.util.Optional.of(dev.drkit.replication.ReplicationLog.open(logDir,
            dev.drkit.replication.LogConfig.builder("archive-primary").eventBus(st.bus).clock(clock).build())))) {
      dev.drkit.core.spi.RebuildTarget target0 = new dev.drkit.examples.orders.OrderRebuildTarget(st.primary, st.backup,
          backups::open, workDir.resolve("rebuild-staging"), java.util.Optional::empty);
      holder[0] = FailoverEngine.builder(config).stateStore(st.store)
          .actions(new TimedActions(st.actions, rec, () -> holder[0])).coordinator(rebuildLease)
          .validator(st.validator).eventBus(st.bus).clock(clock)
          .rebuildSources(new dev.drkit.core.failover.RebuildSources(backups.catalog(), replay,
              new dev.drkit.examples.orders.OrderDeletesRebuildTarget(target0, st.primary, st.backup)))
          .build();
      rec.phase("pitr: rebuild to " + target + " (snapshot, log replay, validate, promote, redirect)", null, () -> {
        dev.drkit.core.spi.ServiceState after = holder[0].rebuild(
            dev.drkit.core.failover.RebuildRequest.latest().withTargetTime(target), BY, "bulk delete at " + badAt);
        rebuilt[0] = dev.drkit.core.failover.RebuildReport.of(after).orElseThrow();
        if (after.state() != FailoverState.PRIMARY_ACTIVE) {
          throw new IllegalStateException(rebuilt[0].summary());
        }
        return rebuilt[0].summary();
      });
    } finally {
      st.engine.reload();
    }
    // The rebuild returns once the rebuilt site is promoted, serving and validated by the engine.
    long done = System.nanoTime();
    Instant rebuiltAt = clock.instant();
    long e2 = st.engine.state().epoch();
    Set<String> present = st.primary.orderIds();
    long ms = Math.round((done - t0) / 1e6);
    Map<String, Long> breakdown = new LinkedHashMap<>();
    for (DrillReport.Phase p : rec.phases()) {
      if (p.name().startsWith("rebuild: ") || p.name().startsWith("validation: after point-in-time")) {
        breakdown.put(p.name(), p.durationMs());
      }
    }
    RebuildReport r = rebuilt[0];
    breakdown.put("rebuild: load snapshot", r.loadDuration().toMillis());
    breakdown.put("rebuild: replay " + r.applied() + " records", r.replayDuration().toMillis());
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(t0), rec.msAt(done), ms, breakdown);
    DrillReport.Rpo rpo = rpo(st, present, badAt, "the rebuilt primary");
    objective(objectives, "RTO (point-in-time rebuild)", "<= " + rto.toMillis() + " ms (rebuild RTO)", ms + " ms",
        r.state() == FailoverState.PRIMARY_ACTIVE && ms <= rto.toMillis());
    // The engine's validate step ran the plan's checks on the rebuilt site once it served; the
    // rebuild completes (PRIMARY_ACTIVE) only when they passed.
    boolean validated = r.state() == FailoverState.PRIMARY_ACTIVE;
    objective(objectives, "validation after rebuild", "passed (the rebuild's validate step)",
        validated ? "passed" : "not passed: " + r.state() + (r.error() != null ? " (" + r.error() + ")" : ""),
        validated);
    objective(objectives, "acknowledged writes before the bad instant present", rpo.acknowledgedWrites() + " of "
        + rpo.acknowledgedWrites(), (rpo.acknowledgedWrites() - rpo.lostWrites()) + " of " + rpo.acknowledgedWrites() + " present",
        rpo.lostWrites() == 0 && rpo.acknowledgedWrites() > 0);
    long reapplied = deleted.stream().filter(o -> !present.contains(o.id())).count();
    objective(objectives, "bad writes applied", "0 of " + deleted.size() + " deletes", reapplied + " of "
        + deleted.size() + " deleted orders missing", reapplied == 0 && !deleted.isEmpty());
    boolean stoppedBefore = "target".equals(r.stop()) && r.notReplayed() >= deleted.size()
        && (r.lastAppliedTime() == null || !r.lastAppliedTime().isAfter(target))
        && r.notReplayedFirst() != null && r.notReplayedFirst().isAfter(target);
    objective(objectives, "replay stopped before the bad writes", "stop at target " + target + ", >= "
        + deleted.size() + " records not replayed, all committed after it", "stop " + r.stop() + ", last replayed "
        + r.lastAppliedTime() + ", " + r.notReplayed() + " not replayed (" + r.notReplayedFirst() + " .. "
        + r.notReplayedLast() + ")", stoppedBefore);
    rec.note("point-in-time rebuild on the failover engine's rebuild command: snapshot "
        + r.snapshotId().substring(0, 8) + " (taken " + r.snapshotTime() + ") from log offset " + r.fromOffset()
        + ", " + r.applied() + " records replayed up to " + target + ", " + r.notReplayed()
        + " deliberately not replayed (the bulk delete and every write after it), epoch " + e2);
    rec.phase("rebuild the replica from the primary", null, () -> {
      st.actions.resync(svc, Site.BACKUP, Site.PRIMARY, e2);
      return st.backup.orderIds().size() + " orders on the new replica";
    });
    rec.phase("settle on the rebuilt primary", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    st.stopLoad();
    st.replication.awaitCaughtUp(Duration.ofSeconds(5));
    OrderSite finalSite = serving(st);
    Set<String> finalIds = finalSite == null ? Set.of() : finalSite.orderIds();
    List<Ledger.Entry> kept = st.ledger.entries().stream()
        .filter(e -> e.ackedAt().isBefore(badAt) || e.ackedAt().isAfter(rebuiltAt)).toList();
    long undone = st.ledger.entries().size() - kept.size();
    long missing = kept.stream().filter(e -> !finalIds.contains(e.id())).count();
    objective(objectives, "acknowledged writes on the final active site",
        "every write acknowledged before the bad instant or after the rebuild", finalSite == null ? "no site serves"
            : (kept.size() - missing) + " of " + kept.size() + " present on " + finalSite.name() + " (" + undone
                + " acknowledged in between were undone by the rebuild, as asked)",
        finalSite != null && missing == 0);
    return new Outcome(rpo, measured);
  }

  // ---------------------------------------------------------------- drill (test failover)

  private Outcome testFailover(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    Duration rto = config.rto();
    warmUp(st, "primary");
    long failedBefore = st.load.failed();
    Instant[] cut = {clock.instant()};
    Path dump = workDir.resolve("drill-copy-dump/orders.sql");
    OrderSite copy = new OrderSite("drill-copy", Site.BACKUP, workDir.resolve("drill-copy"), clock);
    Router isolated = new Router(clock, Duration.ofSeconds(2));
    st.closeables.add(isolated);
    st.closeables.add(copy::stop);
    OrderTopology copyTopology = new OrderTopology() {
      @Override
      public OrderSite site(Site site) {
        return site == Site.BACKUP ? copy : st.primary;
      }

      @Override
      public Router router() {
        return isolated;
      }
    };
    // The isolated target's actions: production is never fenced or redirected; the "backup" is a
    // point-in-time copy of the replica behind its own router.
    FailoverActions isolatedActions = new FailoverActions() {
      @Override
      public void fence(String service, Site site, long epoch) {
        st.bus.publish(DrEvent.info(clock.instant(), "drill.isolated.fence", service, epoch,
            "isolated drill: " + site + " of production is not fenced"));
      }

      @Override
      public void promote(String service, Site site, long epoch) throws Exception {
        rec.phase("drill: copy the replica", null, () -> {
          cut[0] = clock.instant();
          st.backup.dumpTo(dump);
          copy.seedFrom(dump);
          return "point-in-time copy of the replica";
        });
        rec.phase("drill: start and promote the copy", null, () -> {
          copy.start();
          copy.promote(epoch);
          return "copy primary at drill epoch " + epoch;
        });
      }

      @Override
      public void redirect(String service, Site site, long epoch) throws Exception {
        rec.phase("drill: isolated router to the copy", null, () -> {
          isolated.switchTo(copy, epoch);
          return "isolated router " + isolated.uri() + " serves the copy";
        });
      }

      @Override
      public void resync(String service, Site target, Site source, long epoch) {
        throw new UnsupportedOperationException("an isolated drill never resyncs production");
      }
    };
    st.topology.delegate = copyTopology;
    CheckRegistry copyChecks = register(CheckRegistry.withBuiltIns(), copyTopology, st.ledger,
        settings.replicationMode().equals("sync") ? 0 : Long.MAX_VALUE, config.rpo(), () -> cut[0]);
    RecordingValidator copyValidator = new RecordingValidator(
        Validator.builder(copyChecks).eventBus(st.bus).clock(clock).build(), rec, copyTopology);
    copyValidator.label("isolated copy");
    LocalCoordinator drillCoordinator = new LocalCoordinator();
    drillCoordinator.awaitLeadership(Duration.ofSeconds(5));
    FailoverEngine drillEngine = FailoverEngine.builder(config).stateStore(st.store).actions(isolatedActions)
        .coordinator(drillCoordinator).validator(copyValidator)
        .dataLossEstimator((service, target) -> st.replication.lag()).eventBus(st.bus).clock(clock)
        .phaseBudgets(BUDGETS).build();
    long t0 = System.nanoTime();
    DrillResult result = drillEngine.drill(isolatedActions, BY);
    long done = System.nanoTime();
    st.topology.delegate = st;
    DrillReport.Rpo rpo = rpo(st, copy.isRunning() ? copy.orderIds() : java.util.Set.of(), cut[0], "the isolated copy");
    long ms = Math.round((done - t0) / 1e6);
    Map<String, Long> breakdown = new LinkedHashMap<>();
    for (PhaseRecord p : result.phases()) {
      breakdown.put(p.phase().name(), p.duration().toMillis());
    }
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(t0), rec.msAt(done), ms, breakdown);
    objective(objectives, "test failover onto the copy", "BACKUP_ACTIVE on the isolated target",
        result.result().state() + " (" + result.result().reason() + ")", result.succeeded());
    objective(objectives, "RTO (test failover)", "<= " + rto.toMillis() + " ms", ms + " ms (engine: "
        + result.measuredRto().toMillis() + " ms)", result.succeeded() && ms <= rto.toMillis());
    rpoObjectives(objectives, rpo, "copy");
    rec.phase("production keeps serving", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    long failedDuring = st.load.failed() - failedBefore;
    objective(objectives, "production undisturbed", "0 failed writes; PRIMARY_ACTIVE at epoch 1",
        failedDuring + " failed writes; " + st.engine.state().state() + " at epoch " + st.engine.state().epoch(),
        failedDuring == 0 && st.engine.state().state() == FailoverState.PRIMARY_ACTIVE
            && st.engine.state().epoch() == 1 && st.primary.role() == SiteRole.PRIMARY);
    st.stopLoad();
    finalIntegrity(st, objectives, 0);
    return new Outcome(rpo, measured);
  }
}
