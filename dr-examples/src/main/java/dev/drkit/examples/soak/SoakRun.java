package dev.drkit.examples.soak;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.examples.drill.CpuStress;
import dev.drkit.examples.drill.OrdersDrill;
import dev.drkit.examples.orders.Ledger;
import dev.drkit.examples.orders.LoadGenerator;
import dev.drkit.examples.orders.LogShippingReplication;
import dev.drkit.examples.orders.OrderChecks;
import dev.drkit.examples.orders.OrderFailoverActions;
import dev.drkit.examples.orders.OrderSite;
import dev.drkit.examples.orders.OrderTopology;
import dev.drkit.examples.orders.Router;
import dev.drkit.examples.orders.SiteRole;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.FailureDetector;
import dev.drkit.validation.Validator;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one soak schedule against the example orders service: two H2 sites, the router reaching
 * each through a {@link FaultProxy}, replication over a third proxy, drkit's failover engine and
 * failure detector on a {@link JumpClock}, clients writing through the router into a ledger, and
 * an operator loop that does what the runbook says (fail back once the primary is up again, resync
 * a returning replica, retry or resolve a FAILED service). The schedule's faults are injected at
 * their offsets; then everything is healed, the service is given time to converge, and
 * {@link SoakChecker} judges the records.
 */
public final class SoakRun {
  private static final Logger LOG = LoggerFactory.getLogger(SoakRun.class);
  private static final String BY = "soak operator";

  /**
   * What one run found.
   *
   * @param schedule the faults the run injected
   * @param verdict the checker's verdict
   * @param finalState the engine's state at the end
   * @param finalEpoch the engine's epoch at the end
   * @param servingSite the site serving at the end, or empty
   * @param failovers how many automatic or commanded role changes completed
   * @param failedStates how many times the engine went to FAILED
   * @param budgetBreaches budget breach events
   * @param notes what the operator loop did and anything unexpected
   * @param durationMs how long the run took
   */
  public record Result(SoakSchedule schedule, SoakChecker.Verdict verdict, FailoverState finalState, long finalEpoch,
      String servingSite, int failovers, int failedStates, int budgetBreaches, List<String> notes, long durationMs) {
    /** Copies. */
    public Result {
      notes = List.copyOf(notes);
    }
  }

  /**
   * A listener that runs {@code action} each time the failover engine moves a service to
   * PRIMARY_ACTIVE (a failback, a resolve). The soak resets its failure detector with it: a
   * detector reports a verdict only when it changes, so a DOWN it still held from before the
   * failback would never be reported again, and a primary that dies right after the failback would
   * never be failed over (found by seed 3038).
   *
   * @param action what to run
   * @return the listener
   */
  public static dev.drkit.core.spi.EventListener whenPrimaryActiveAgain(Runnable action) {
    Objects.requireNonNull(action, "action");
    return e -> {
      if (e.type().equals("failover.transition") && "PRIMARY_ACTIVE".equals(e.attributes().get("state"))) {
        action.run();
      }
    };
  }

  private final SoakSchedule schedule;
  private final Path dir;
  private final boolean sync;
  private final RecoveryConfig config;
  private final Duration converge;

  /**
   * @param schedule the faults
   * @param dir a fresh directory for the sites and the engine's state
   * @param sync synchronous replication (the lost-writes target is 0 only then)
   * @param config the orders service's recovery config (RTO, validation steps)
   * @param converge how long the healed service may take to settle before it is checked
   */
  public SoakRun(SoakSchedule schedule, Path dir, boolean sync, RecoveryConfig config, Duration converge) {
    this.schedule = Objects.requireNonNull(schedule, "schedule");
    this.dir = Objects.requireNonNull(dir, "dir");
    this.sync = sync;
    this.config = Objects.requireNonNull(config, "config");
    this.converge = Objects.requireNonNull(converge, "converge");
  }

  /**
   * Runs the schedule.
   *
   * @return what it found
   * @throws IOException when the service cannot be set up
   * @throws InterruptedException when interrupted
   */
  public Result run() throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    try (Service s = new Service()) {
      return s.run(t0);
    }
  }

  private final class Service implements AutoCloseable, OrderTopology {
    final Clock real = Clock.systemUTC();
    final JumpClock jump = new JumpClock(real);
    final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>() {
      private static final long serialVersionUID = 1L;

      @Override
      public boolean add(String line) {
        return super.add("+" + java.time.Duration.between(loadStartedAt, real.instant()).toMillis() + " ms " + line);
      }
    };
    final ConcurrentLinkedQueue<SoakChecker.Accept> accepts = new ConcurrentLinkedQueue<>();
    final Map<String, Integer> eventCounts = new ConcurrentHashMap<>();
    final EventBus bus;
    final OrderSite primary;
    final OrderSite backup;
    final FaultProxy toPrimary;
    final FaultProxy toBackup;
    final AtomicInteger replicaPort = new AtomicInteger();
    final FaultProxy link;
    final Router router;
    final LogShippingReplication replication;
    final OrderFailoverActions actions;
    final FileStateStore store;
    final FailoverEngine engine;
    final FailureDetector detector;
    final ExecutorService decisions;
    final Ledger ledger = new Ledger();
    final LoadGenerator load;
    final Set<String> needsResync = ConcurrentHashMap.newKeySet();
    final List<AutoCloseable> running = new ArrayList<>();
    volatile boolean stopOperator;
    final dev.drkit.core.spi.EventListener resetOnPrimaryActive = whenPrimaryActiveAgain(this::resetDetector);
    private long downSince;
    java.time.Instant loadStartedAt = java.time.Instant.EPOCH;

    Service() throws IOException {
      bus = EventBus.of(e -> {
        eventCounts.merge(e.type(), 1, Integer::sum);
        resetOnPrimaryActive.onEvent(e);
        if (e.severity() == DrEvent.Severity.ERROR || e.type().endsWith(".transition") || e.type().startsWith("orders.")
            || e.type().equals("validation.failed") || e.type().endsWith(".refused")) {
          log.add("event " + e.type() + ": " + e.message());
        }
      });
      primary = new OrderSite("primary", Site.PRIMARY, dir.resolve("primary"), real).start();
      backup = new OrderSite("backup", Site.BACKUP, dir.resolve("backup"), real).start();
      for (OrderSite site : List.of(primary, backup)) {
        site.onAccept(o -> accepts.add(new SoakChecker.Accept(site.name(), o.epoch(), o.id(), System.nanoTime())));
      }
      toPrimary = new FaultProxy("router->primary", () -> primary.lastUri().getPort());
      toBackup = new FaultProxy("router->backup", () -> backup.lastUri().getPort());
      link = new FaultProxy("replication", replicaPort::get);
      router = new Router(real, Duration.ofSeconds(2), uri -> URI.create("http://127.0.0.1:"
          + (uri.getPort() == primary.lastUri().getPort() ? toPrimary.port() : toBackup.port())));
      replication = new LogShippingReplication(config.name(), sync, bus, real).linkThrough(port -> {
        replicaPort.set(port);
        return link.port();
      });
      actions = new OrderFailoverActions(primary, backup, router, replication, bus, real, config.rto(),
          OrdersDrill.BUDGETS.budget(FailoverState.FAILING_BACK, config.rto()));
      CheckRegistry registry = OrdersDrill.register(CheckRegistry.withBuiltIns(), this, ledger, sync ? 0 : Long.MAX_VALUE,
          config.rpo(), real::instant);
      store = FileStateStore.open(dir.resolve("state"));
      LocalCoordinator coordinator = new LocalCoordinator();
      var unused = coordinator.awaitLeadership(Duration.ofSeconds(5))
          .orElseThrow(() -> new IOException("the local coordinator granted no leadership"));
      engine = FailoverEngine.builder(config).stateStore(store).actions(actions).coordinator(coordinator)
          .validator(Validator.builder(registry).eventBus(bus).clock(jump).build())
          .dataLossEstimator((service, target) -> replication.lag()).eventBus(bus).clock(jump)
          .detectionPolicy(new ConsecutiveFailuresPolicy(3, 1)).minTimeBetweenFailovers(Duration.ofSeconds(1))
          .phaseBudgets(OrdersDrill.BUDGETS).build();
      long epoch = engine.state().epoch();
      replication.ship(primary, epoch);
      primary.promote(epoch);
      backup.demote(epoch);
      replication.attach(backup, epoch);
      router.switchTo(primary, epoch);
      decisions = Executors.newSingleThreadExecutor(r -> new Thread(r, "soak-failover"));
      // The detector sits beside the router: it probes the primary through the router's path to it.
      HealthCheck alive = OrderChecks.servesAsPrimary(site -> URI.create("http://127.0.0.1:"
          + (site == Site.PRIMARY ? toPrimary : toBackup).port()));
      detector = FailureDetector.builder(config.name(), Site.PRIMARY, alive, new ConsecutiveFailuresPolicy(3, 1))
          .interval(Duration.ofMillis(200)).probeTimeout(Duration.ofMillis(150)).eventBus(bus).clock(jump)
          .epoch(() -> engine.state().epoch()).build();
      detector.addListener((service, site, previous, current, cause) ->
          decisions.submit(() -> {
            try {
              engine.onVerdict(current, "failure detector");
            } catch (RuntimeException e) {
              log.add("onVerdict(" + current + ") refused: " + e.getMessage());
            }
          }));
      load = new LoadGenerator(router.uri(), ledger, real, 3, 150, "s" + Long.toHexString(schedule.seed()));
    }

    private void resetDetector() {
      FailureDetector d = detector;
      ExecutorService x = decisions;
      if (d != null && x != null && !x.isShutdown()) {
        x.submit(d::reset);
      }
    }

    @Override
    public OrderSite site(Site s) {
      return s == Site.PRIMARY ? primary : backup;
    }

    @Override
    public Router router() {
      return router;
    }

    private OrderSite named(String name) {
      return name.equals("primary") ? primary : backup;
    }

    private FaultProxy proxy(SoakSchedule.Link l) {
      return switch (l) {
        case REPLICATION -> link;
        case ROUTER_PRIMARY -> toPrimary;
        case ROUTER_BACKUP -> toBackup;
      };
    }

    Result run(long t0) throws InterruptedException {
      detector.start();
      load.start();
      long loadFrom = System.nanoTime();
      loadStartedAt = real.instant();
      Thread operator = new Thread(this::operate, "soak-operator");
      operator.setDaemon(true);
      operator.start();
      // Faults: each starts and ends at its offset; events ordered in time.
      record Edge(long atMs, boolean start, SoakSchedule.Fault f) {}
      List<Edge> edges = new ArrayList<>();
      for (SoakSchedule.Fault f : schedule.faults()) {
        edges.add(new Edge(f.at().toMillis(), true, f));
        if (f.kind() != SoakSchedule.Kind.CLOCK_JUMP) {
          edges.add(new Edge(f.at().plus(f.duration()).toMillis(), false, f));
        }
      }
      edges.sort(Comparator.comparingLong(Edge::atMs).thenComparing(e -> e.start() ? 1 : 0));
      long faultsFrom = System.nanoTime();
      Map<SoakSchedule.Fault, CpuStress> cpu = new ConcurrentHashMap<>();
      for (Edge e : edges) {
        long wait = faultsFrom + e.atMs() * 1_000_000 - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        try {
          log.add("fault " + (e.start() ? "starts: " : "ends: ") + e.f());
          apply(e.f(), e.start(), cpu);
        } catch (RuntimeException ex) {
          log.add("fault " + e.f() + (e.start() ? " start" : " end") + " failed: " + ex);
        }
      }
      // Heal whatever is still broken (faults overlapping on one target) and let the service converge.
      heal(cpu);
      long deadline = System.nanoTime() + converge.toNanos();
      while (System.nanoTime() < deadline && !converged()) {
        Thread.sleep(20);
      }
      boolean converged = converged();
      if (!converged) {
        log.add("not converged within " + converge.toMillis() + " ms: engine " + engine.state().state() + " at epoch "
            + engine.state().epoch() + ", primary " + describe(primary) + ", backup " + describe(backup)
            + ", route " + router.route().map(r -> r.siteName() + "@" + r.epoch()).orElse("none"));
      }
      // A little steady load on the converged service, then stop and look.
      Thread.sleep(200);
      stopOperator = true;
      operator.join(30_000);
      load.close();
      long loadTo = System.nanoTime();
      try {
        replication.awaitCaughtUp(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        throw e;
      }
      OrderSite serving = serving();
      Set<String> acked = new java.util.HashSet<>();
      ledger.entries().forEach(en -> acked.add(en.id()));
      ServiceState st = engine.state();
      OrderSite holder = serving != null ? serving : site(st.activeSite());
      SoakChecker.Verdict v = SoakChecker.check(acked, accepts, holder.isRunning() ? holder.orderIds() : null,
          serving != null, loadFrom, loadTo);
      List<String> notes = new ArrayList<>(log);
      if (v.lostAcknowledged() > 0) {
        // Who acknowledged what was lost, and when (ms after the load started): the first lead when
        // chasing the cause.
        Set<String> lostIds = Set.copyOf(v.lostIds());
        ledger.entries().stream().filter(en -> lostIds.contains(en.id())).limit(5).forEach(en -> notes.add(
            "lost " + en.id() + ": acknowledged by " + en.site() + " at epoch " + en.epoch() + ", "
                + java.time.Duration.between(loadStartedAt, en.ackedAt()).toMillis() + " ms into the load"));
      }
      return new Result(schedule, v, st.state(), st.epoch(), serving == null ? "" : serving.name(),
          (int) engine.phaseHistory().stream().filter(p -> p.outcome().equals("succeeded")
              && p.phase() != FailoverState.VALIDATING).count(), countFailed(),
          eventCounts.getOrDefault("failover.budget.breached", 0), notes,
          Math.round((System.nanoTime() - t0) / 1e6));
    }

    private int countFailed() {
      return (int) engine.phaseHistory().stream().filter(p -> !p.outcome().equals("succeeded")).count();
    }

    private String describe(OrderSite s) {
      return s.isRunning() ? s.role() + "@" + s.epoch() + (s.isPaused() ? " paused" : "") : "down";
    }

    private void apply(SoakSchedule.Fault f, boolean start, Map<SoakSchedule.Fault, CpuStress> cpu) {
      switch (f.kind()) {
        case KILL -> {
          OrderSite s = named(f.site());
          if (start) {
            s.kill();
          } else {
            s.start();
            needsResync.add(s.name());
          }
        }
        case PAUSE -> {
          OrderSite s = named(f.site());
          if (start) {
            s.pause();
          } else {
            s.resume();
          }
        }
        case PARTITION -> proxy(f.link()).fault(start ? f.network() : FaultProxy.Fault.PASS);
        case CPU -> {
          if (start) {
            cpu.put(f, CpuStress.spinOnly(f.threads()));
          } else {
            CpuStress c = cpu.remove(f);
            if (c != null) {
              c.close();
            }
          }
        }
        case CLOCK_JUMP -> jump.jump(f.jump());
        default -> throw new IllegalStateException("unknown fault " + f.kind());
      }
    }

    private void heal(Map<SoakSchedule.Fault, CpuStress> cpu) {
      cpu.values().forEach(CpuStress::close);
      cpu.clear();
      for (FaultProxy p : List.of(toPrimary, toBackup, link)) {
        p.fault(FaultProxy.Fault.PASS);
      }
      for (OrderSite s : List.of(primary, backup)) {
        s.resume();
        if (!s.isRunning()) {
          s.start();
          needsResync.add(s.name());
        }
      }
    }

    /** @return the site clients reach: the route's site, primary at the route's epoch */
    private @Nullable OrderSite serving() {
      Router.Route r = router.route().orElse(null);
      if (r == null) {
        return null;
      }
      for (OrderSite s : List.of(primary, backup)) {
        if (s.name().equals(r.siteName()) && s.isRunning() && !s.isPaused() && s.role() == SiteRole.PRIMARY
            && s.epoch() == r.epoch()) {
          return s;
        }
      }
      return null;
    }

    private boolean converged() throws InterruptedException {
      ServiceState st = engine.state();
      OrderSite serving = serving();
      if (serving == null || (st.state() != FailoverState.PRIMARY_ACTIVE && st.state() != FailoverState.BACKUP_ACTIVE)
          || !serving.name().equals(site(st.activeSite()).name())) {
        return false;
      }
      OrderSite other = serving == primary ? backup : primary;
      return other.isRunning() && other.role() == SiteRole.REPLICA && other.epoch() == serving.epoch()
          && !needsResync.contains(other.name()) && replication.awaitCaughtUp(Duration.ZERO);
    }

    /** The runbook, every 50 ms: fail back, resync a returning replica, retry or resolve FAILED. */
    private void operate() {
      long nextAction = 0;
      while (!stopOperator) {
        try {
          Thread.sleep(50);
          if (System.nanoTime() < nextAction) {
            continue;
          }
          ServiceState st = engine.state();
          boolean primaryUp = primary.isRunning() && !primary.isPaused();
          boolean backupUp = backup.isRunning() && !backup.isPaused();
          switch (st.state()) {
            case BACKUP_ACTIVE -> {
              if (primaryUp && backupUp) {
                log.add("operator: failback at epoch " + st.epoch());
                ServiceState after = engine.failback(BY, "primary is up again");
                needsResync.remove(primary.name());
                log.add("operator: failback ended " + after.state() + " at epoch " + after.epoch() + ": "
                    + after.reason());
                nextAction = System.nanoTime() + 300_000_000L;
              }
            }
            case PRIMARY_ACTIVE -> {
              if (primaryUp && backupUp && primary.role() == SiteRole.PRIMARY && (needsResync.contains(backup.name())
                  || backup.role() != SiteRole.REPLICA || backup.epoch() != st.epoch())) {
                log.add("operator: resync backup from primary at epoch " + st.epoch());
                actions.resync(config.name(), Site.BACKUP, Site.PRIMARY, st.epoch());
                needsResync.remove(backup.name());
                nextAction = System.nanoTime() + 300_000_000L;
              }
            }
            case FAILED -> {
              log.add("operator: FAILED at epoch " + st.epoch() + " (" + st.reason() + "); retrying");
              ServiceState after;
              try {
                after = engine.retry(BY, "soak runbook");
              } catch (RuntimeException e) {
                after = engine.state();
                log.add("operator: retry refused: " + e.getMessage());
              }
              if (after.state() == FailoverState.FAILED) {
                OrderSite s = serving();
                FailoverState target = s == backup ? FailoverState.BACKUP_ACTIVE : FailoverState.PRIMARY_ACTIVE;
                log.add("operator: retry ended FAILED; resolving to " + target + " (serving: "
                    + (s == null ? "none" : s.name()) + ")");
                engine.resolve(target, BY, "soak runbook: " + (s == null ? "no site serves" : s.name() + " serves"));
                // Resolving moves the service to a new epoch and runs no action: bring the resolved
                // site to it, serving or not. A site left serving at the old epoch ships records a
                // replica fenced at the new one refuses, so no failback could ever catch up.
                recoverByHand(target);
              }
              nextAction = System.nanoTime() + 300_000_000L;
            }
            case PRIMARY_DEGRADED -> {
              // The engine refuses an automatic failover whose estimated loss exceeds the RPO, and
              // the detector reports DOWN once: the runbook forces it after 3 s of a dead primary.
              if (detector.verdict() == HealthVerdict.DOWN) {
                if (downSince == 0) {
                  downSince = System.nanoTime();
                } else if (System.nanoTime() - downSince > 3_000_000_000L) {
                  log.add("operator: primary DOWN for 3 s and not failed over; forcing the failover");
                  engine.forceFailover(BY, "primary down, automatic failover refused");
                  downSince = 0;
                  nextAction = System.nanoTime() + 300_000_000L;
                }
              } else {
                downSince = 0;
              }
            }
            case FAILING_OVER, VALIDATING, FAILING_BACK -> {
              // the engine is at work
            }
            default -> throw new IllegalStateException("unknown state " + st.state());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          log.add("operator: " + e);
          nextAction = System.nanoTime() + 300_000_000L;
        }
      }
    }

    /** After a resolve: fence the other site, promote and route the resolved one at the new epoch. */
    private void recoverByHand(FailoverState target) throws Exception {
      ServiceState st = engine.state();
      Site s = target == FailoverState.BACKUP_ACTIVE ? Site.BACKUP : Site.PRIMARY;
      log.add("operator: promoting " + s + " by hand at epoch " + st.epoch());
      actions.fence(config.name(), s.other(), st.epoch());
      actions.promote(config.name(), s, st.epoch());
      actions.redirect(config.name(), s, st.epoch());
      needsResync.add(site(s.other()).name());
    }

    @Override
    public void close() {
      stopOperator = true;
      load.close();
      detector.close();
      decisions.shutdownNow();
      try {
        decisions.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      replication.close();
      router.close();
      for (FaultProxy p : List.of(toPrimary, toBackup, link)) {
        p.close();
      }
      primary.resume();
      backup.resume();
      primary.stop();
      backup.stop();
      store.close();
    }
  }
}
