package dev.drkit.examples.drill;

import dev.drkit.core.EventBus;
import dev.drkit.core.RecoveryConfig;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.ValidationStep;
import dev.drkit.examples.drill.internal.BasicValidator;
import dev.drkit.examples.drill.internal.ConsecutiveFailures;
import dev.drkit.examples.orders.InProcessReplication;
import dev.drkit.examples.orders.Ledger;
import dev.drkit.examples.orders.LoadGenerator;
import dev.drkit.examples.orders.OrderChecks;
import dev.drkit.examples.orders.OrderFailoverActions;
import dev.drkit.examples.orders.OrderReplication;
import dev.drkit.examples.orders.OrderSite;
import dev.drkit.examples.orders.Router;
import dev.drkit.examples.orders.SiteRole;
import dev.drkit.spi.DrEvent;
import dev.drkit.spi.HealthCheck;
import dev.drkit.spi.ServiceValidator;
import dev.drkit.spi.Site;
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
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a disaster drill on the example orders service: two real H2 sites behind a router, clients
 * writing orders throughout, drkit's failover actions, detection and validation, and a report of
 * what was measured. One instance runs one scenario once.
 */
public final class OrdersDrill {
  private static final Logger LOG = LoggerFactory.getLogger(OrdersDrill.class);
  private static final Duration SAMPLE_EVERY = Duration.ofMillis(100);

  private final RecoveryConfig config;
  private final String planSource;
  private final DrillSettings settings;
  private final Path workDir;
  private final Clock clock;

  /**
   * @param config the service's recovery config (RPO, RTO, validation steps) from the plan
   * @param planSource where the plan came from, for the report
   * @param settings how the drill runs
   * @param workDir a directory for the sites' databases (created; left for inspection)
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
   * Runs a scenario.
   *
   * @param scenario the scenario
   * @return the report of the run (whether or not its objectives were met)
   * @throws IOException when the service cannot be set up
   * @throws InterruptedException when interrupted
   */
  public DrillReport run(Scenario scenario) throws IOException, InterruptedException {
    Recorder rec = new Recorder(clock);
    EventBus bus = EventBus.of(rec);
    long setUp = System.nanoTime();
    try (Stack st = new Stack(bus, rec)) {
      rec.record("set-up", setUp, System.nanoTime(), null, null, "two H2 sites, router, " + st.replication.mode()
          + " replication, " + settings.writers() + " clients at " + settings.writeRate() + " writes/s");
      List<DrillReport.Objective> objectives = new ArrayList<>();
      Outcome outcome;
      try {
        outcome = switch (scenario) {
          case SITE_LOSS -> siteLoss(st, objectives);
          case SWITCHOVER -> switchover(st, objectives);
          case DRILL -> testFailover(st, objectives);
        };
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        LOG.error("drill {} aborted", scenario, e);
        rec.note("the scenario aborted: " + e);
        bus.publish(new DrEvent(clock.instant(), "drill.aborted", DrEvent.Severity.ERROR, config.name(), st.epoch,
            "scenario aborted: " + e, Map.of()));
        objectives.add(new DrillReport.Objective("scenario completed", "all phases run", "aborted: " + e, false));
        outcome = new Outcome(rpo(st, Set.of(), Instant.MAX, "none"), null);
      }
      st.stopLoad();
      long duration = rec.nowMs();
      return new DrillReport(scenario.cliName(), scenario.description(), planSource, config.name(),
          settings.replicationMode(), rec.startedAt(), duration, config.rpo().toMillis(), config.rto().toMillis(),
          objectives, rec.phases(), outcome.rpo(), outcome.rto(), rec.samples(), rec.validations(), rec.events(),
          st.actions.quarantined().stream().map(o -> o.id()).toList(), rec.notes());
    }
  }

  private record Outcome(DrillReport.Rpo rpo, DrillReport.@Nullable Rto rto) {}

  // ---------------------------------------------------------------- the service under test

  /** The running service: both sites, the router, replication, clients and the sampler. */
  private final class Stack implements AutoCloseable {
    final EventBus bus;
    final Recorder rec;
    final OrderSite primary;
    final OrderSite backup;
    final Router router;
    final Ledger ledger = new Ledger();
    final OrderReplication replication;
    final OrderFailoverActions actions;
    final LoadGenerator load;
    final ScheduledExecutorService sampler;
    final List<AutoCloseable> closeables = new ArrayList<>();
    volatile long epoch = 1;
    volatile OrderSite active;
    private long lastAcked;
    private long lastFailed;
    private long lastSampleNanos = System.nanoTime();

    Stack(EventBus bus, Recorder rec) throws IOException {
      this.bus = bus;
      this.rec = rec;
      primary = new OrderSite("primary", Site.PRIMARY, workDir.resolve("primary"), clock).start();
      backup = new OrderSite("backup", Site.BACKUP, workDir.resolve("backup"), clock).start();
      router = new Router(clock, Duration.ofSeconds(2));
      replication = new InProcessReplication(config.name(), settings.replicationMode().equals("sync"), bus, clock);
      actions = new OrderFailoverActions(primary, backup, router, replication, bus, clock, config.rto());
      try {
        primary.promote(epoch);
        backup.demote(epoch);
        replication.ship(primary, epoch);
        replication.attach(backup, epoch);
        router.switchTo(primary, epoch);
      } catch (Exception e) {
        replication.close();
        router.close();
        primary.stop();
        backup.stop();
        throw new IOException("could not set up the orders service: " + e.getMessage(), e);
      }
      active = primary;
      bus.publish(new DrEvent(clock.instant(), "drill.started", DrEvent.Severity.INFO, config.name(), epoch,
          "orders service up: primary " + primary.uri() + ", backup " + backup.uri() + ", router " + router.uri()
              + ", " + replication.mode() + " replication", Map.of()));
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

    OrderSite site(Site s) {
      return s == Site.PRIMARY ? primary : backup;
    }

    private synchronized void sample() {
      long now = System.nanoTime();
      long acked = load.acknowledged();
      long failed = load.failed();
      double secs = Math.max(1e-3, (now - lastSampleNanos) / 1e9);
      OrderSite a = active;
      OrderSite other = a == primary ? backup : primary;
      Long lag = a.isRunning() && a.role() == SiteRole.PRIMARY && other.isRunning() && other.role() == SiteRole.REPLICA
          ? replication.lag().toMillis() : null;
      rec.sample(new DrillReport.Sample(rec.msAt(now), (acked - lastAcked) / secs, (failed - lastFailed) / secs, lag));
      lastAcked = acked;
      lastFailed = failed;
      lastSampleNanos = now;
    }

    void stopLoad() {
      load.close();
      sampler.shutdownNow();
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
      replication.close();
      router.close();
      primary.stop();
      backup.stop();
    }
  }

  // ---------------------------------------------------------------- validation wiring

  private ServiceValidator validator(Stack st, Router router, Function<Site, OrderSite> sites, Ledger ledger,
      long maxLost, java.util.function.Supplier<Instant> cutOff) {
    Map<String, HealthCheck> checks = new LinkedHashMap<>();
    checks.put("orders-router", OrderChecks.routerServes(router, s -> sites.apply(s).name()));
    checks.put("orders-db", OrderChecks.database(sites));
    checks.put("orders-integrity", OrderChecks.ledgerIntegrity(sites, ledger, maxLost, config.rpo(), cutOff));
    checks.put("orders-synthetic", OrderChecks.syntheticOrder(router));
    checks.put("orders-latency", OrderChecks.latency(router, settings.latencyRequests(), settings.latencyBudget()));
    BasicValidator v = new BasicValidator(checks, clock);
    st.closeables.add(v);
    return v;
  }

  /** The plan's steps restricted to checks that do not go through the router (a site not yet serving). */
  private RecoveryConfig directOnly() {
    Set<String> direct = Set.of("orders-db", "orders-integrity");
    List<ValidationStep> steps = new ArrayList<>();
    for (ValidationStep s : config.validation()) {
      var checks = s.checks().stream().filter(c -> direct.contains(c.type())).toList();
      if (!checks.isEmpty()) {
        steps.add(new ValidationStep(s.name(), checks, s.threshold(), s.timeout()));
      }
    }
    return RecoveryConfig.from(config).validation(steps).build();
  }

  private ValidationReport validate(Stack st, ServiceValidator v, RecoveryConfig cfg, String label, Site site,
      String siteName, long epoch, @Nullable Duration budget) throws Exception {
    long t0 = System.nanoTime();
    ValidationReport r = v.validate(cfg, site, epoch);
    long t1 = System.nanoTime();
    st.rec.validation(label, siteName, r, t0);
    st.rec.record("validation: " + label, t0, t1, budget,
        r.passed() ? null : new IllegalStateException("validation failed"),
        r.steps().size() + " steps " + (r.passed() ? "passed" : "FAILED") + " on " + siteName);
    st.bus.publish(new DrEvent(clock.instant(), r.passed() ? "validation.passed" : "validation.failed",
        r.passed() ? DrEvent.Severity.INFO : DrEvent.Severity.ERROR, config.name(), epoch,
        "validation " + label + " on " + siteName + (r.passed() ? " passed" : " failed"),
        Map.of("durationMs", Long.toString(r.duration().toMillis()))));
    return r;
  }

  // ---------------------------------------------------------------- measurements

  private DrillReport.Rpo rpo(Stack st, Set<String> present, Instant before, String lostFrom) {
    Ledger.Loss loss = st.ledger.missingFrom(present, before);
    long acked = st.ledger.entries().stream().filter(e -> e.ackedAt().isBefore(before)).count();
    Long from = loss.from().map(t -> Duration.between(st.rec.startedAt(), t).toMillis()).orElse(null);
    Long to = loss.to().map(t -> Duration.between(st.rec.startedAt(), t).toMillis()).orElse(null);
    List<String> ids = loss.missing().stream().limit(100).map(Ledger.Entry::id).toList();
    if (loss.count() > 0) {
      st.bus.publish(new DrEvent(clock.instant(), "drill.rpo.lost", DrEvent.Severity.WARN, config.name(), st.epoch,
          loss.count() + " acknowledged writes missing from " + lostFrom, Map.of("windowMs",
              Long.toString(loss.window().toMillis()))));
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

  private Duration fraction(Duration d, double f) {
    return Duration.ofNanos((long) (d.toNanos() * f));
  }

  // ---------------------------------------------------------------- site-loss

  private Outcome siteLoss(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    String svc = config.name();
    Duration rto = config.rto();
    Duration detectionBudget = settings.detectionWindow().plus(settings.probeTimeout());
    Duration afterDetection = rto.minus(settings.detectionWindow());
    Duration stepBudget = fraction(afterDetection, 0.125);
    Duration validationBudget = fraction(afterDetection, 0.625);
    ServiceValidator v = validator(st, st.router, st::site, st.ledger, settings.replicationMode().equals("sync") ? 0
        : Long.MAX_VALUE, clock::instant);

    rec.phase("warm-up on primary", null, () -> {
      pause(settings.warmup());
      return st.load.acknowledged() + " writes acknowledged";
    });
    Detector detector = new Detector(svc, Site.PRIMARY, OrderChecks.siteAlive(st::site),
        new ConsecutiveFailures(settings.failuresToDown()), settings.probeInterval(), settings.probeTimeout(), st.epoch,
        st.bus, clock);
    st.closeables.add(detector);
    detector.start();

    long killNanos = System.nanoTime();
    st.primary.kill();
    Instant killedAt = clock.instant();
    st.bus.publish(new DrEvent(killedAt, "drill.site.killed", DrEvent.Severity.ERROR, svc, st.epoch,
        "primary killed: server stopped, database shut down without checkpoint", Map.of("site", "primary")));
    OptionalLong down = detector.awaitDown(settings.detectionWindow().multipliedBy(10).plusSeconds(5));
    if (down.isEmpty()) {
      rec.record("detection", killNanos, System.nanoTime(), detectionBudget, new IllegalStateException("not detected"),
          "the primary was not declared down");
      throw new IllegalStateException("the dead primary was not declared down");
    }
    long downNanos = down.getAsLong();
    rec.record("detection", killNanos, downNanos, detectionBudget, null, settings.failuresToDown()
        + " consecutive failed probes at " + settings.probeInterval().toMillis() + " ms");
    detector.close();

    long e2 = st.epoch + 1;
    long failoverStart = System.nanoTime();
    Duration estimate = st.replication.lag();
    st.bus.publish(new DrEvent(clock.instant(), "failover.rpo-gate", DrEvent.Severity.INFO, svc, e2,
        "estimated data loss " + estimate.toMillis() + " ms against RPO " + config.rpo().toMillis() + " ms",
        Map.of("estimateMs", Long.toString(estimate.toMillis()))));
    rec.phase("failover: fence primary", stepBudget, () -> {
      st.actions.fence(svc, Site.PRIMARY, e2);
      return "primary fenced at epoch " + e2 + " (router and replication; the site is down)";
    });
    st.epoch = e2;
    rec.phase("failover: promote backup", stepBudget, () -> {
      st.actions.promote(svc, Site.BACKUP, e2);
      return "backup primary at epoch " + e2;
    });
    // The measured RPO: acknowledged writes the promoted site does not hold.
    DrillReport.Rpo rpo = rpo(st, st.backup.orderIds(), killedAt, "the promoted backup");
    rec.phase("failover: redirect", stepBudget, () -> {
      st.actions.redirect(svc, Site.BACKUP, e2);
      st.active = st.backup;
      return "router -> backup";
    });
    long redirectedNanos = System.nanoTime();
    long valStart = System.nanoTime();
    ValidationReport afterFailover = validate(st, v, config, "after failover", Site.BACKUP, "backup", e2,
        validationBudget);
    long recoveredNanos = System.nanoTime();
    Map<String, Long> breakdown = new LinkedHashMap<>();
    breakdown.put("detection", Math.round((downNanos - killNanos) / 1e6));
    breakdown.put("failover", Math.round((redirectedNanos - failoverStart) / 1e6));
    breakdown.put("validation", Math.round((recoveredNanos - valStart) / 1e6));
    long rtoMs = Math.round((recoveredNanos - killNanos) / 1e6);
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(killNanos), rec.msAt(recoveredNanos), rtoMs, breakdown);
    st.bus.publish(new DrEvent(clock.instant(), "drill.recovered", afterFailover.passed() ? DrEvent.Severity.INFO
        : DrEvent.Severity.ERROR, svc, e2, "backup validated and serving " + rtoMs + " ms after the primary died",
        Map.of("rtoMs", Long.toString(rtoMs))));
    objectives.add(new DrillReport.Objective("RTO (failover)", "<= " + rto.toMillis() + " ms", rtoMs + " ms",
        afterFailover.passed() && rtoMs <= rto.toMillis()));
    rpoObjectives(objectives, rpo, "failover");

    rec.phase("running on backup", null, () -> {
      pause(settings.onBackup());
      return st.ledger.entries().stream().filter(e -> e.site().equals("backup")).count()
          + " writes acknowledged by the backup so far";
    });

    // The primary returns: it comes back fenced, is resynced from the backup and validated.
    rec.phase("primary restart", null, () -> {
      st.primary.start();
      return "primary up " + st.primary.role() + " at epoch " + st.primary.epoch();
    });
    rec.phase("resync primary from backup", rto, () -> {
      st.actions.resync(svc, Site.PRIMARY, Site.BACKUP, e2);
      return st.actions.quarantined().size() + " divergent writes quarantined";
    });
    ValidationReport beforeFailback = validate(st, v, directOnly(), "primary before failback", Site.PRIMARY,
        "primary", e2, validationBudget);

    // Failback: a planned switch back to the primary.
    long e3 = e2 + 1;
    long fbStart = System.nanoTime();
    rec.phase("failback: fence backup", stepBudget.multipliedBy(2), () -> {
      st.actions.fence(svc, Site.BACKUP, e3);
      return "backup fenced and drained at epoch " + e3;
    });
    st.epoch = e3;
    rec.phase("failback: promote primary", stepBudget, () -> {
      st.actions.promote(svc, Site.PRIMARY, e3);
      return "primary at epoch " + e3;
    });
    Instant fbCut = clock.instant();
    DrillReport.Rpo fbRpo = rpo(st, st.primary.orderIds(), fbCut, "the primary after failback");
    rec.phase("failback: redirect", stepBudget, () -> {
      st.actions.redirect(svc, Site.PRIMARY, e3);
      st.active = st.primary;
      return "router -> primary";
    });
    rec.phase("failback: demote backup", stepBudget, () -> {
      st.actions.demote(svc, Site.BACKUP, e3);
      return "backup replica at epoch " + e3;
    });
    ValidationReport afterFailback = validate(st, v, config, "after failback", Site.PRIMARY, "primary", e3,
        validationBudget);
    long fbMs = Math.round((System.nanoTime() - fbStart) / 1e6);
    objectives.add(new DrillReport.Objective("failback time", "<= " + rto.toMillis() + " ms", fbMs + " ms",
        fbMs <= rto.toMillis() && afterFailback.passed()));
    long lostFromBackup = st.ledger.entries().stream().filter(e -> e.epoch() == e2)
        .filter(e -> fbRpo.lostIds().contains(e.id())).count();
    objectives.add(new DrillReport.Objective("lost writes (failback)", "0", fbRpo.lostWrites() - rpo.lostWrites() < 0
        ? "0" : Long.toString(lostFromBackup), lostFromBackup == 0));
    objectives.add(new DrillReport.Objective("primary validated before failback", "passed",
        beforeFailback.passed() ? "passed" : "failed", beforeFailback.passed()));

    rec.phase("settle on primary", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    st.stopLoad();
    finalIntegrity(st, objectives, st.primary, rpo.lostWrites());
    return new Outcome(rpo, measured);
  }

  private void finalIntegrity(Stack st, List<DrillReport.Objective> objectives, OrderSite finalSite, long allowedLost)
      throws InterruptedException {
    st.replication.awaitCaughtUp(Duration.ofSeconds(5));
    Ledger.Loss loss = st.ledger.missingFrom(finalSite.orderIds());
    objectives.add(new DrillReport.Objective("acknowledged writes on the final primary",
        "all but the " + allowedLost + " lost at failover", (st.ledger.size() - loss.count()) + " of "
            + st.ledger.size() + " present", loss.count() <= allowedLost));
    st.rec.note(st.load.acknowledged() + " writes acknowledged and " + st.load.failed()
        + " failed during the run; replication: " + st.replication.mode() + " (in-process shipper)");
  }

  // ---------------------------------------------------------------- switchover

  private Outcome switchover(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    String svc = config.name();
    Duration rto = config.rto();
    Duration step = fraction(rto, 0.1);
    ServiceValidator v = validator(st, st.router, st::site, st.ledger, 0, clock::instant);
    rec.phase("warm-up on primary", null, () -> {
      pause(settings.warmup());
      return st.load.acknowledged() + " writes acknowledged";
    });
    long e2 = st.epoch + 1;
    long t0 = System.nanoTime();
    Instant cut = clock.instant();
    st.bus.publish(DrEvent.info(cut, "drill.switchover.started", svc, e2, "planned switchover to the backup"));
    rec.phase("switchover: fence and drain primary", step.multipliedBy(2), () -> {
      st.actions.fence(svc, Site.PRIMARY, e2);
      return "primary fenced at epoch " + e2 + ", replication drained";
    });
    st.epoch = e2;
    rec.phase("switchover: promote backup", step, () -> {
      st.actions.promote(svc, Site.BACKUP, e2);
      return "backup primary at epoch " + e2;
    });
    DrillReport.Rpo rpo = rpo(st, st.backup.orderIds(), clock.instant(), "the promoted backup");
    rec.phase("switchover: redirect", step, () -> {
      st.actions.redirect(svc, Site.BACKUP, e2);
      st.active = st.backup;
      return "router -> backup";
    });
    long redirected = System.nanoTime();
    rec.phase("switchover: demote primary", step, () -> {
      st.actions.demote(svc, Site.PRIMARY, e2);
      return "primary replica of the backup at epoch " + e2;
    });
    long v0 = System.nanoTime();
    ValidationReport after = validate(st, v, config, "after switchover", Site.BACKUP, "backup", e2,
        fraction(rto, 0.5));
    long done = System.nanoTime();
    Map<String, Long> breakdown = new LinkedHashMap<>();
    breakdown.put("switch", Math.round((redirected - t0) / 1e6));
    breakdown.put("demote", Math.round((v0 - redirected) / 1e6));
    breakdown.put("validation", Math.round((done - v0) / 1e6));
    long ms = Math.round((done - t0) / 1e6);
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(t0), rec.msAt(done), ms, breakdown);
    objectives.add(new DrillReport.Objective("RTO (switchover)", "<= " + rto.toMillis() + " ms", ms + " ms",
        after.passed() && ms <= rto.toMillis()));
    objectives.add(new DrillReport.Objective("lost writes (planned switchover)", "0", Long.toString(rpo.lostWrites()),
        rpo.lostWrites() == 0));
    rec.phase("settle on backup", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    st.stopLoad();
    finalIntegrity(st, objectives, st.backup, 0);
    return new Outcome(rpo, measured);
  }

  // ---------------------------------------------------------------- drill (test failover)

  private Outcome testFailover(Stack st, List<DrillReport.Objective> objectives) throws Exception {
    Recorder rec = st.rec;
    String svc = config.name();
    Duration rto = config.rto();
    rec.phase("warm-up on primary", null, () -> {
      pause(settings.warmup());
      return st.load.acknowledged() + " writes acknowledged";
    });
    long failedBefore = st.load.failed();
    long t0 = System.nanoTime();
    Instant cut = clock.instant();
    Path dump = workDir.resolve("drill-copy-dump/orders.sql");
    rec.phase("drill: snapshot the replica", fraction(rto, 0.3), () -> {
      st.backup.dumpTo(dump);
      return "point-in-time dump of the replica";
    });
    OrderSite copy = new OrderSite("drill-copy", Site.BACKUP, workDir.resolve("drill-copy"), clock);
    Router isolated = new Router(clock, Duration.ofSeconds(2));
    st.closeables.add(isolated);
    st.closeables.add(copy::stop);
    long drillEpoch = st.epoch + 1;
    rec.phase("drill: bring up the isolated copy", fraction(rto, 0.3), () -> {
      copy.seedFrom(dump);
      copy.start();
      copy.promote(drillEpoch);
      isolated.switchTo(copy, drillEpoch);
      return "copy primary at drill epoch " + drillEpoch + " behind its own router " + isolated.uri();
    });
    DrillReport.Rpo rpo = rpo(st, copy.orderIds(), cut, "the isolated copy");
    Function<Site, OrderSite> copySites = s -> copy;
    ServiceValidator v = validator(st, isolated, copySites, st.ledger,
        settings.replicationMode().equals("sync") ? 0 : Long.MAX_VALUE, () -> cut);
    // Only writes acknowledged before the snapshot can be on the copy: validate against those.
    ValidationReport r = validate(st, v, config, "isolated copy", Site.BACKUP, "drill-copy", drillEpoch,
        fraction(rto, 0.5));
    long done = System.nanoTime();
    long ms = Math.round((done - t0) / 1e6);
    Map<String, Long> breakdown = new LinkedHashMap<>();
    breakdown.put("copy", ms - r.duration().toMillis());
    breakdown.put("validation", r.duration().toMillis());
    DrillReport.Rto measured = new DrillReport.Rto(rec.msAt(t0), rec.msAt(done), ms, breakdown);
    objectives.add(new DrillReport.Objective("RTO (test failover onto the copy)", "<= " + rto.toMillis() + " ms",
        ms + " ms", r.passed() && ms <= rto.toMillis()));
    rpoObjectives(objectives, rpo, "copy");
    rec.phase("production keeps serving", null, () -> {
      pause(settings.settle());
      return "steady";
    });
    long failedDuring = st.load.failed() - failedBefore;
    objectives.add(new DrillReport.Objective("production undisturbed", "0 failed writes, primary still active at epoch 1",
        failedDuring + " failed writes, " + st.primary.role() + " at epoch " + st.primary.epoch(),
        failedDuring == 0 && st.primary.role() == SiteRole.PRIMARY && st.primary.epoch() == 1));
    st.stopLoad();
    finalIntegrity(st, objectives, st.primary, 0);
    return new Outcome(rpo, measured);
  }
}
