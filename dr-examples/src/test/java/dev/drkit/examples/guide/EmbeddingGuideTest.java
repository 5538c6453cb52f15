package dev.drkit.examples.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.schedule.BackupJob;
import dev.drkit.backup.schedule.BackupScheduler;
import dev.drkit.backup.schedule.RepositoryBackupJob;
import dev.drkit.backup.schedule.RunHistory;
import dev.drkit.backup.schedule.TaskScheduler;
import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.config.KeySources;
import dev.drkit.core.LoggingEventListener;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.audit.AuditJournal;
import dev.drkit.core.audit.AuditJournalVerifier;
import dev.drkit.core.coord.FileLockCoordinator;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.ConsecutiveFailuresPolicy;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.LeadershipStatus;
import dev.drkit.core.orchestrator.RecoveryAction;
import dev.drkit.core.orchestrator.RecoveryOrchestrator;
import dev.drkit.core.orchestrator.RecoveryReport;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.core.store.FileStateStore;
import dev.drkit.replication.InProcessTransport;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationFailoverActions;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationMode;
import dev.drkit.replication.spi.ReplicationSink;
import dev.drkit.replication.spi.ReplicationTransport;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.BlobStore;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.StateStore;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.EngineVerdictBridge;
import dev.drkit.validation.FailureDetector;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs every Java snippet of docs/embedding.md, and checks that the guide shows
 * exactly this code (each block between its {@code // guide: NAME begin} and {@code end}
 * markers), so the two cannot drift apart.
 */
class EmbeddingGuideTest {
  @TempDir Path dir;

  /** The host's own FailoverActions in the guide: here it records what drkit asked for. */
  static final class RoutingActions implements FailoverActions {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void fence(String service, Site site, long epoch) {
      calls.add("fence " + site + "@" + epoch);
    }

    @Override
    public void promote(String service, Site site, long epoch) {
      calls.add("promote " + site + "@" + epoch);
    }

    @Override
    public void redirect(String service, Site site, long epoch) {
      calls.add("redirect " + site + "@" + epoch);
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) {
      calls.add("resync " + target + "@" + epoch);
    }
  }

  // guide: engine begin
  static FailoverEngine protect(Path stateDir, FailoverActions myActions, EventBus bus) {
    RecoveryConfig orders = RecoveryConfig.builder("orders")
        .rpo(Duration.ofMinutes(5))
        .rto(Duration.ofMinutes(30))
        .build();
    StateStore store = FileStateStore.open(stateDir);      // or your own StateStore
    FailoverEngine engine = FailoverEngine.builder(orders)
        .stateStore(store)
        .actions(myActions)                                 // your fence/promote/redirect/resync
        .coordinator(new LocalCoordinator())                // one process: always the leader
        .eventBus(bus)                                      // the application's one bus
        .build();
    engine.start();   // takes the lease, resumes the stored state, follows leadership
    return engine;
  }
  // guide: engine end

  // guide: detector begin
  static EngineVerdictBridge watch(FailoverEngine engine, InetSocketAddress primary, EventBus bus) {
    HealthCheck reachable = ctx -> {                       // your own probe of the primary
      try (Socket s = new Socket()) {
        s.connect(primary, (int) ctx.timeout().toMillis());
        return HealthResult.healthy("connected to " + primary);
      }
    };
    FailureDetector detector = FailureDetector.builder("orders", Site.PRIMARY, reachable,
            new ConsecutiveFailuresPolicy(3, 2))           // DOWN after 3 failed probes in a row
        .interval(Duration.ofSeconds(1))
        .eventBus(bus)
        .build();
    // DOWN starts the failover on the bridge's own thread, never on the probing thread.
    EngineVerdictBridge bridge = EngineVerdictBridge.connect(detector, engine);
    detector.start();
    return bridge;                                         // close detector, bridge, engine at shutdown
  }
  // guide: detector end

  // guide: standby begin
  // coordinator: new FileLockCoordinator(lockFile, pollInterval) on one machine, a started
  // ZooKeeperCoordinator (integrations/dr-zookeeper) across machines.
  // shared: one StateStore every node sees (dr-zookeeper's across machines)
  static FailoverEngine node(Coordinator coordinator, StateStore shared, FailoverActions actions, EventBus bus) {
    FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders")
            .rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30)).build())
        .stateStore(shared)
        .actions(actions)
        .coordinator(coordinator)
        .leadershipPollInterval(Duration.ofMillis(50))
        .eventBus(bus)
        .build();
    return engine.start();  // leads now, or logs WARN + failover.leadership.waiting and waits
  }
  // guide: standby end

  // guide: plan begin
  static RecoveryPlan twoServicePlan(HealthCheck ordersConsistency) {
    CheckRegistry checks = CheckRegistry.withBuiltIns()
        .registerCheck("orders-consistency", ordersConsistency);  // your own HealthCheck, by name
    RecoveryConfig db = RecoveryConfig.builder("db")
        .rpo(Duration.ofMinutes(1))
        .rto(Duration.ofMinutes(10))
        .priority(Priority.CRITICAL)
        .validation(ValidationStep.allOf("reachable", Duration.ofSeconds(10),
            CheckSpec.of("tcp", Map.of("host", "db.internal", "port", 5432,
                "sites", Map.of("backup", Map.of("host", "db.dr.internal"))))))  // the backup's own host
        .build();
    RecoveryConfig orders = RecoveryConfig.builder("orders")
        .rpo(Duration.ofMinutes(5))
        .rto(Duration.ofMinutes(30))
        .dependsOn("db")                                       // recovered after db
        .validation(ValidationStep.allOf("healthy", Duration.ofSeconds(30),
            CheckSpec.of("http", Map.of("url", "http://orders.internal/health", "expectedStatus", 200)),
            CheckSpec.of("orders-consistency", Map.of())))
        .build();
    return RecoveryPlan.builder()
        .checkValidator(checks.specValidator())   // every check's type and parameters are checked now
        .service(db)
        .service(orders)
        .build();                                 // a typo such as "urll" is a ConfigException here
  }
  // guide: plan end

  // guide: orchestrator begin
  static RecoveryReport recoverRegion(RecoveryPlan plan, Path stateDir, FailoverActions actions, EventBus bus)
      throws InterruptedException {
    StateStore store = FileStateStore.open(stateDir);
    LocalCoordinator coordinator = new LocalCoordinator();
    try (RecoveryOrchestrator orchestrator = RecoveryOrchestrator.builder(plan.services(),
            (service, shared) -> FailoverEngine.builder(service).stateStore(store).actions(actions)
                .coordinator(coordinator).eventBus(shared).build())  // shared: the orchestrator's bus
        .eventBus(bus)                                      // so the report carries every engine's events
        .parallelism(4)
        .build()) {
      orchestrator.start();                                 // one started engine per service
      orchestrator.awaitLeading(Duration.ofSeconds(30));
      return orchestrator.run(RecoveryAction.FAILOVER, "ops", "region eu-west lost");  // in waves
    }
  }
  // guide: orchestrator end

  // guide: events begin
  static EventBus eventsWithAuditJournal(Path journalFile) {
    EventBus bus = new EventBus();
    bus.subscribe(new LoggingEventListener());              // every event to slf4j (drkit.events.*)
    AuditJournal journal = AuditJournal.open(journalFile);  // tamper-evident, hash-chained lines
    bus.subscribe(journal);                                 // close the journal at shutdown
    bus.subscribe(e -> {
      if (e.type().equals("failover.leadership.waiting")) {
        System.err.println("not leading yet: " + e.message());
      }
    });
    return bus;
  }
  // guide: events end

  // guide: backup begin
  static RetentionPlan backupAndApplyRetention(Path data, Path repoDir, KeySources keys) {
    EncryptionConfig encryption = EncryptionConfig.aes256Gcm("host:backup-key");  // or env:, file:
    char[] passphrase = keys.resolve(encryption);           // the library resolves the reference
    BlobStore store = new FileSystemBlobStore(repoDir);     // or dr-s3's S3 store
    try (Repository repo = Repository.exists(store)
        ? Repository.open(store, passphrase, RepositoryOptions.defaults())
        : Repository.init(store, encryption, passphrase, RepositoryOptions.defaults())) {
      Snapshot snap = repo.backup(BackupRequest.builder(FileTreeSource.of(data)).type(BackupType.FULL).build());
      System.out.println("snapshot " + snap.id() + " of " + data);
      RetentionPolicy policy = RetentionPolicy.builder().keepLast(2).build();
      RetentionPlan dryRun = repo.planRetention(policy);    // what would go, nothing removed
      System.out.println("would remove " + dryRun.idsToRemove());
      return repo.applyRetention(policy);                   // forget (and prune) for real
    }
  }
  // guide: backup end

  // guide: scheduler begin
  static BackupScheduler scheduleBackups(Path data, BlobStore store, KeySources keys, RepositoryOptions options,
      TaskScheduler tasks, Executor backupThreads, Path runHistory, EventBus bus) {
    BackupStrategy nightly = BackupStrategy.builder()
        .name("nightly")
        .type(BackupType.FULL)
        .schedule("0 2 * * *")                              // every day at 02:00 (the TaskScheduler's clock)
        .retention(RetentionPolicy.builder().keepLast(2).build())  // applied after every run
        .encryption(EncryptionConfig.aes256Gcm("host:backup-key"))
        .build();
    if (!Repository.exists(store)) {                        // once, when the repository is new
      char[] passphrase = keys.resolve(nightly.encryption());
      Repository.init(store, nightly.encryption(), passphrase, options).close();
    }
    // each run: open with the strategy's key, back up, tag strategy=nightly, forget what retention drops
    RepositoryBackupJob job = RepositoryBackupJob.opening(store, options, keys, strategy -> FileTreeSource.of(data),
        ZoneOffset.UTC, bus);
    BackupScheduler scheduler = BackupScheduler.builder(BackupJob.blocking(job, backupThreads))
        .taskScheduler(tasks)                 // production: TaskScheduler.of(scheduledExecutor, Clock.systemUTC())
        .runHistory(RunHistory.file(runHistory))  // runs missed while the application was down are caught up
        .retries(3, Duration.ofSeconds(30), Duration.ofMinutes(10))
        .eventBus(bus)                        // backup.run.started/succeeded/failed/missed, backup.retention.applied
        .build();
    scheduler.add("orders", nightly);
    scheduler.start();
    return scheduler;                         // close() at shutdown stops the timers
  }
  // guide: scheduler end

  // guide: replication begin
  static ReplicationFailoverActions replicate(ReplicationLog primaryLog, ReplicationLog backupLog,
      ReplicationSink primaryDb, ReplicationSink backupDb, FailoverActions routing, EventBus bus) {
    ReplicationTransport transport = new InProcessTransport();  // across machines: TcpTransport.builder(..)
    ReplicationFailoverActions actions = ReplicationFailoverActions.builder("orders")
        .mode(ReplicationMode.async())
        .host(routing)                                      // your redirect, around the data's fence/promote
        .eventBus(bus)
        .site(Site.PRIMARY, new ReplicationFailoverActions.SiteHandle(primaryLog, primaryDb, transport))
        .site(Site.BACKUP, new ReplicationFailoverActions.SiteHandle(backupLog, backupDb, transport))
        .build();
    actions.start(Site.PRIMARY, 1);  // the primary ships its log to a ReplicaApplier on the backup
    return actions;                  // FailoverEngine.builder(..).actions(actions)
  }
  // guide: replication end

  @Test
  void theEngineSnippetLeadsAtOnceAndFailsOver() {
    RoutingActions actions = new RoutingActions();
    try (FailoverEngine engine = protect(dir.resolve("state"), actions, new EventBus())) {
      assertThat(engine.isLeader()).isTrue();
      assertThat(engine.failover("ops", "guide").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
      assertThat(actions.calls).startsWith("fence PRIMARY@2", "promote BACKUP@2", "redirect BACKUP@2");
    }
  }

  @Test
  void theDetectorSnippetFailsOverWhenThePrimaryStopsListening() throws Exception {
    RoutingActions actions = new RoutingActions();
    EventBus bus = new EventBus();
    java.util.concurrent.CountDownLatch backupActive = new java.util.concurrent.CountDownLatch(1);
    bus.subscribe(e -> {
      if (e.type().equals("failover.transition") && "BACKUP_ACTIVE".equals(e.attributes().get("to"))) {
        backupActive.countDown();
      }
    });
    ServerSocket primary = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    InetSocketAddress addr = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), primary.getLocalPort());
    try (FailoverEngine engine = protect(dir.resolve("state"), actions, bus);
         EngineVerdictBridge bridge = watch(engine, addr, bus)) {
      primary.close(); // the primary is gone: connections are refused
      assertThat(backupActive.await(120, TimeUnit.SECONDS)).as("the detector's DOWN failed over").isTrue();
      assertThat(engine.state().attributes()).containsEntry(FailoverEngine.ATTR_MODE, "automatic");
      assertThat(bridge.delivered()).isPositive();
    }
  }

  @Test
  void theStandbySnippetTakesOverWhenTheLeaderGoes() throws Exception {
    RoutingActions actions = new RoutingActions();
    EventBus bus = new EventBus();
    Path lock = dir.resolve("leader.lock");
    StateStore state = new InMemoryStateStore(); // stands in for the ZooKeeper store
    FileLockCoordinator nodeA = new FileLockCoordinator(lock, Duration.ofMillis(50));
    FileLockCoordinator nodeB = new FileLockCoordinator(lock, Duration.ofMillis(50));
    FailoverEngine a = node(nodeA, state, actions, bus);
    FailoverEngine b = node(nodeB, state, actions, bus);
    try {
      assertThat(a.awaitLeading(Duration.ofSeconds(60))).isTrue();
      assertThat(b.leadership()).isEqualTo(LeadershipStatus.WAITING);
      assertThat(b.isLeader()).isFalse();
      a.close();
      nodeA.close(); // the leader's process goes: its lock is released
      assertThat(b.awaitLeading(Duration.ofSeconds(60))).as("the standby takes the next term").isTrue();
      assertThat(b.failover("ops", "guide").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
      assertThat(b.state().attributes()).containsEntry(FailoverEngine.ATTR_TERM, "2");
    } finally {
      a.close();
      b.close();
      nodeA.close();
      nodeB.close();
    }
  }

  @Test
  void thePlanSnippetBuildsTwoServicesInDependencyOrder() {
    HealthCheck consistent = ctx -> HealthResult.healthy("orders and payments agree");
    RecoveryPlan plan = twoServicePlan(consistent);
    assertThat(plan.recoveryOrder()).extracting(RecoveryConfig::name).containsExactly("db", "orders");
    assertThat(plan.waves()).hasSize(2);
  }

  @Test
  void aMisspelledCheckParameterFailsTheBuildNamingServiceStepAndParameter() {
    RecoveryConfig.Builder orders = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(5))
        .rto(Duration.ofMinutes(30)).validation(ValidationStep.allOf("healthy", Duration.ofSeconds(30),
            CheckSpec.of("http", Map.of("urll", "http://orders.internal/health"))));
    org.assertj.core.api.Assertions.assertThatThrownBy(orders::build)
        .isInstanceOf(dev.drkit.core.ConfigException.class)
        .hasMessageContaining("validation[0].checks[0].params.urll: service 'orders', step 'healthy', 'http' check #1:"
            + " unknown parameter 'urll' for a 'http' check (did you mean 'url'?)");
    CheckSpec unknownType = CheckSpec.of("orders-consistensy", Map.of());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RecoveryPlan.builder()
            .checkValidator(CheckRegistry.withBuiltIns().specValidator())
            .service(RecoveryConfig.builder("api").rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
                .checkValidator(spec -> { })  // accepted here; the plan's registry refuses it
                .validation(ValidationStep.allOf("healthy", Duration.ofSeconds(30), unknownType)).build())
            .build())
        .isInstanceOf(dev.drkit.core.ConfigException.class)
        .hasMessageContaining("api").hasMessageContaining("orders-consistensy");
  }

  @Test
  void theOrchestratorSnippetRecoversInWaves() throws Exception {
    RecoveryPlan plan = RecoveryPlan.builder()
        .service(RecoveryConfig.builder("db").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10)).build())
        .service(RecoveryConfig.builder("api").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10))
            .dependsOn("db").build())
        .build();
    RecoveryReport report = recoverRegion(plan, dir.resolve("state"), new RoutingActions(), new EventBus());
    assertThat(report.succeeded()).isTrue();
  }

  @Test
  void theEventsSnippetJournalsEveryEvent() throws IOException {
    Path journal = dir.resolve("audit.log");
    EventBus bus = eventsWithAuditJournal(journal);
    try (FailoverEngine engine = protect(dir.resolve("state"), new RoutingActions(), bus)) {
      engine.onVerdict(HealthVerdict.DOWN, "guide");
    }
    assertThat(AuditJournalVerifier.verify(journal).isIntact()).isTrue();
    assertThat(Files.readString(journal, StandardCharsets.UTF_8)).contains("failover.transition");
  }

  @Test
  void theBackupSnippetBacksUpAndAppliesRetention() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("orders.csv"), "1,apple\n2,pear\n", StandardCharsets.UTF_8);
    KeySources keys = KeySources.builder().host("backup-key", "correct horse battery staple".toCharArray()).build();
    Path repo = dir.resolve("repo");
    assertThat(backupAndApplyRetention(data, repo, keys).toRemove()).isEmpty();
    assertThat(backupAndApplyRetention(data, repo, keys).toRemove()).isEmpty();
    RetentionPlan third = backupAndApplyRetention(data, repo, keys);
    assertThat(third.toKeep()).as("the last two").hasSize(2);
    assertThat(third.toRemove()).as("the oldest of the three goes").hasSize(1);
  }

  /**
   * A {@link TaskScheduler} on the testkit's {@link FakeClock}: tasks run on the thread that
   * advances the clock, when it reaches them.
   */
  static TaskScheduler onFakeClock(FakeClock clock) {
    return new TaskScheduler() {
      @Override
      public java.time.Clock clock() {
        return clock;
      }

      @Override
      public ScheduledTask schedule(java.time.Instant at, Runnable task) {
        java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
        Duration delay = Duration.between(clock.instant(), at);
        FakeClock.Scheduled s = clock.schedule(delay.isNegative() ? Duration.ZERO : delay, () -> {
          if (ran.compareAndSet(false, true)) {
            task.run();
          }
        });
        return () -> {
          s.cancel();
          return ran.compareAndSet(false, true);
        };
      }
    };
  }

  @Test
  void theSchedulerSnippetBacksUpNightlyAndKeepsTheLastTwo() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("orders.csv"), "1,apple\n", StandardCharsets.UTF_8);
    FakeClock clock = new FakeClock(java.time.Instant.parse("2026-03-01T12:00:00Z"));
    KeySources keys = KeySources.builder().host("backup-key", "correct horse battery staple".toCharArray()).build();
    RepositoryOptions options = RepositoryOptions.builder().clock(clock).build();
    BlobStore store = new FileSystemBlobStore(dir.resolve("repo"));
    EventBus bus = new EventBus();
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    bus.subscribe(e -> events.add(e.type()));
    Executor direct = Runnable::run; // the backup runs on the thread that advances the fake clock
    try (BackupScheduler scheduler = scheduleBackups(data, store, keys, options, onFakeClock(clock), direct,
        dir.resolve("backup-runs.properties"), bus)) {
      assertThat(events).as("nothing runs before 02:00").doesNotContain("backup.run.started");
      clock.advance(Duration.ofDays(3)); // 02:00 on March 2nd, 3rd and 4th
      assertThat(events.stream().filter("backup.run.succeeded"::equals)).hasSize(3);
      assertThat(events.stream().filter("backup.retention.applied"::equals)).hasSize(3);
      assertThat(scheduler.status()).singleElement().satisfies(st -> {
        assertThat(st.key()).isEqualTo("orders/nightly");
        assertThat(st.lastOutcome()).isEqualTo("succeeded");
        assertThat(st.nextDue()).isEqualTo(java.time.Instant.parse("2026-03-05T02:00:00Z"));
      });
    }
    try (Repository repo = Repository.open(store, "correct horse battery staple".toCharArray(), options)) {
      assertThat(repo.snapshots()).as("retention kept the last two nightly snapshots").hasSize(2)
          .allSatisfy(snap -> assertThat(snap.tags()).contains(RepositoryBackupJob.STRATEGY_TAG + "nightly"))
          .extracting(snap -> snap.time().toString())
          .containsExactlyInAnyOrder("2026-03-03T02:00:00Z", "2026-03-04T02:00:00Z");
    }
  }

  @Test
  void theSchedulerSnippetCatchesUpARunMissedWhileTheApplicationWasDown() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("orders.csv"), "1,apple\n", StandardCharsets.UTF_8);
    FakeClock clock = new FakeClock(java.time.Instant.parse("2026-03-01T12:00:00Z"));
    KeySources keys = KeySources.builder().host("backup-key", "correct horse battery staple".toCharArray()).build();
    RepositoryOptions options = RepositoryOptions.builder().clock(clock).build();
    BlobStore store = new FileSystemBlobStore(dir.resolve("repo"));
    Path history = dir.resolve("backup-runs.properties");
    EventBus bus = new EventBus();
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    bus.subscribe(e -> events.add(e.type()));
    Executor direct = Runnable::run;
    scheduleBackups(data, store, keys, options, onFakeClock(clock), direct, history, bus).close();
    clock.set(java.time.Instant.parse("2026-03-02T09:00:00Z")); // down over 02:00, started again at 09:00
    try (BackupScheduler restarted = scheduleBackups(data, store, keys, options, onFakeClock(clock), direct,
        history, bus)) {
      clock.advance(Duration.ZERO);
      assertThat(events).contains("backup.run.missed", "backup.run.succeeded");
      assertThat(restarted.status().get(0).lastOutcome()).isEqualTo("succeeded");
    }
  }

  /** A database applying replicated entries (the host's ReplicationSink): here a list. */
  static final class ListDb implements ReplicationSink {
    final List<String> rows = Collections.synchronizedList(new ArrayList<>());
    final java.util.concurrent.atomic.AtomicLong applied = new java.util.concurrent.atomic.AtomicLong(-1);
    final java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);

    @Override
    public void apply(long epoch, long offset, java.nio.ByteBuffer payload) {
      rows.add(StandardCharsets.UTF_8.decode(payload).toString());
      applied.set(offset);
      first.countDown();
    }

    @Override
    public long appliedOffset() {
      return applied.get();
    }
  }

  @Test
  void theReplicationSnippetShipsAndTheEngineFailsOverOntoTheReplica() throws Exception {
    EventBus bus = new EventBus();
    ListDb primaryDb = new ListDb();
    ListDb backupDb = new ListDb();
    RoutingActions routing = new RoutingActions();
    try (ReplicationLog primaryLog = ReplicationLog.open(dir.resolve("p"), LogConfig.builder("orders").eventBus(bus)
            .build());
         ReplicationLog backupLog = ReplicationLog.open(dir.resolve("b"), LogConfig.builder("orders").eventBus(bus)
            .build())) {
      ReplicationFailoverActions actions = replicate(primaryLog, backupLog, primaryDb, backupDb, routing, bus);
      try (FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
             .rto(Duration.ofMinutes(5)).build()).stateStore(new InMemoryStateStore()).actions(actions)
             .coordinator(new LocalCoordinator()).eventBus(bus).build().start()) {
        actions.primary(Site.PRIMARY).append("order 1".getBytes(StandardCharsets.UTF_8));
        assertThat(backupDb.first.await(60, TimeUnit.SECONDS)).as("the backup applied the entry").isTrue();
        assertThat(backupDb.rows).containsExactly("order 1");
        assertThat(engine.awaitLeading(Duration.ofSeconds(60))).isTrue();
        assertThat(engine.failover("ops", "guide").state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
        assertThat(actions.primary(Site.BACKUP)).as("the backup ships now").isNotNull();
        assertThat(routing.calls).contains("redirect BACKUP@2");
      } finally {
        actions.close();
      }
    }
  }

  @Test
  void theGuideShowsExactlyTheseSnippets() throws IOException {
    String guide = normalize(Files.readString(Path.of("..", "docs", "embedding.md"), StandardCharsets.UTF_8));
    String source = Files.readString(Path.of("src", "test", "java", "dev", "drkit", "examples", "guide",
        "EmbeddingGuideTest.java"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("// guide: (\\w+) begin\\n(.*?)  // guide: \\1 end", Pattern.DOTALL).matcher(source);
    int blocks = 0;
    while (m.find()) {
      blocks++;
      assertThat(guide).as("docs/embedding.md shows the '%s' snippet", m.group(1)).contains(normalize(m.group(2)));
    }
    assertThat(blocks).isEqualTo(9);
  }

  /** Drops the indentation so the guide may show the code flush left. */
  private static String normalize(String s) {
    return s.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
  }
}
