package dev.drkit.examples.drill;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.schedule.BackupJob;
import dev.drkit.backup.schedule.BackupScheduler;
import dev.drkit.backup.schedule.MissedRunPolicy;
import dev.drkit.backup.schedule.RepositoryBackupJob;
import dev.drkit.backup.schedule.TaskScheduler;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.examples.orders.OrderSite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The drilled service's backup strategies from the plan, run by dr-backup's {@link BackupScheduler}
 * on their cron schedules while the drill's load runs, into an unencrypted throwaway repository
 * under the drill's work directory. Each run quiesces the active site by dumping its database
 * (H2 {@code SCRIPT}, a consistent export) into a staging directory in the source's
 * {@link BackupSource#prepare() prepare} hook, backs the dump up with the strategy's type, tags it
 * {@code strategy=<name>} and applies the strategy's retention ({@link RepositoryBackupJob}). The
 * scheduler's events ({@code backup.run.started}, {@code .succeeded}, {@code .failed}, ...) go to
 * the drill's event bus, so they appear in the report's event log.
 *
 * <p>A plan without a strategy for the service gets {@link #DEFAULT}: an incremental backup every
 * two seconds (a Quartz cron with a seconds field), the pace a one-minute drill needs.
 */
final class ScheduledBackups implements AutoCloseable {
  /** The strategy used when the plan has none for the drilled service. */
  static final BackupStrategy DEFAULT = BackupStrategy.builder().name("drill-every-2s").type(BackupType.INCREMENTAL)
      .schedule("*/2 * * * * ?").retention(RetentionPolicy.builder().keepLast(20).build())
      .encryption(EncryptionConfig.none()).build();

  private final Path repoDir;
  private final ScheduledExecutorService executor;
  private final BackupScheduler scheduler;
  private final CompletableFuture<Void> firstSnapshot = new CompletableFuture<>();

  /**
   * @return the repository's scheduled snapshots as a rebuild's snapshot catalogue
   */
  dev.drkit.core.spi.SnapshotCatalog catalog() {
    return new dev.drkit.backup.RepositorySnapshotCatalog(this::open, (service, s) -> s.tags().stream()
        .anyMatch(t -> t.startsWith(dev.drkit.backup.schedule.RepositoryBackupJob.STRATEGY_TAG)));
  }

  /**
   * Starts the scheduler.
   *
   * @param service the drilled service
   * @param strategies its strategies from the plan (may be empty)
   * @param active the site to back up at each run (the active one at that moment)
   * @param dir where the repository and the staging directory go
   * @param bus where the scheduler's events go
   * @param clock the drill's clock
   * @throws IOException when the repository cannot be created
   */
  ScheduledBackups(String service, List<BackupStrategy> strategies, Supplier<OrderSite> active, Path dir, EventBus bus,
      Clock clock) throws IOException {
    this(service, strategies, active, java.util.Optional::empty, dir, bus, clock);
  }

  /**
   * Starts the scheduler; each snapshot records the replication-log position {@code position}
   * gives just before the dump starts.
   *
   * @param service the drilled service
   * @param strategies its strategies from the plan (may be empty)
   * @param active the site to back up at each run (the active one at that moment)
   * @param position the log position of the active site (noted before each dump)
   * @param dir where the repository and the staging directory go
   * @param bus where the scheduler's events go
   * @param clock the drill's clock
   * @throws IOException when the repository cannot be created
   */
  ScheduledBackups(String service, List<BackupStrategy> strategies, Supplier<OrderSite> active,
      Supplier<java.util.Optional<dev.drkit.core.spi.LogPosition>> position, Path dir, EventBus bus, Clock clock)
      throws IOException {
    this.repoDir = dir.resolve("backup-repo");
    Path staging = dir.resolve("backup-staging");
    Files.createDirectories(staging);
    Repository.init(new FileSystemBlobStore(repoDir), EncryptionConfig.none(), null, options(clock)).close();
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2, r -> {
      Thread t = new Thread(r, "drill-backup-scheduler");
      t.setDaemon(true);
      return t;
    });
    // closing drops the next cron wake-up and pending retries instead of waiting for them
    pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    pool.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    this.executor = pool;
    RepositoryBackupJob job = new RepositoryBackupJob(
        () -> Repository.open(new FileSystemBlobStore(repoDir), null, options(clock)),
        strategy -> new DumpSource(active, position, staging), ZoneOffset.UTC, bus);
    this.scheduler = BackupScheduler.builder(BackupJob.blocking((strategy, run) -> {
      job.run(strategy, run);
      firstSnapshot.complete(null);
    }, executor)).taskScheduler(TaskScheduler.of(executor, clock)).eventBus(bus)
        .missedRunPolicy(MissedRunPolicy.SKIP).retries(1, Duration.ofMillis(200), Duration.ofSeconds(1)).build();
    for (BackupStrategy s : strategies.isEmpty() ? List.of(DEFAULT) : strategies) {
      scheduler.add(service, s);
    }
    scheduler.start();
  }

  private static RepositoryOptions options(Clock clock) {
    return RepositoryOptions.builder().host("drill").clock(clock).build();
  }

  /**
   * Waits for the first scheduled snapshot.
   *
   * @param timeout how long to wait
   * @return whether one was made in time
   * @throws InterruptedException when interrupted
   */
  boolean awaitFirstSnapshot(Duration timeout) throws InterruptedException {
    try {
      firstSnapshot.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  /**
   * @return the repository's snapshots, oldest first (a fresh handle each call)
   */
  List<Snapshot> snapshots() {
    try (Repository r = open()) {
      return r.snapshots().stream().sorted(Comparator.comparing(Snapshot::time)).toList();
    }
  }

  /** @return a new handle on the repository; the caller closes it */
  Repository open() {
    return Repository.open(new FileSystemBlobStore(repoDir), null, RepositoryOptions.defaults());
  }

  /** Stops scheduling; a run in progress finishes first (bounded wait). */
  @Override
  public void close() {
    scheduler.close();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** The active site's database, dumped into the staging directory when the capture starts. */
  private static final class DumpSource implements BackupSource {
    private final Supplier<OrderSite> active;
    private final Supplier<java.util.Optional<dev.drkit.core.spi.LogPosition>> position;
    private final Path staging;
    private volatile java.util.Optional<dev.drkit.core.spi.LogPosition> noted = java.util.Optional.empty();

    DumpSource(Supplier<OrderSite> active, Supplier<java.util.Optional<dev.drkit.core.spi.LogPosition>> position,
        Path staging) {
      this.active = Objects.requireNonNull(active, "active");
      this.position = Objects.requireNonNull(position, "position");
      this.staging = staging;
    }

    @Override
    public java.util.Optional<dev.drkit.core.spi.LogPosition> logPosition() {
      return noted;
    }

    @Override
    public String description() {
      return staging.toString();
    }

    @Override
    public void prepare() throws IOException {
      Files.deleteIfExists(staging.resolve("orders.sql"));
      // The quiesce rule: the position is noted before the dump starts (the site logs after commit).
      noted = position.get();
      active.get().dumpTo(staging.resolve("orders.sql"));
    }

    @Override
    public void scan(Consumer<SourceEntry> sink) throws IOException {
      FileTreeSource.of(staging).scan(sink);
    }
  }
}
