package dev.drkit.backup.schedule;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.Repository;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPlanner;
import dev.drkit.backup.retention.SnapshotDescriptor;
import dev.drkit.core.BackupStrategy;
import dev.drkit.core.EventBus;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.spi.DrEvent;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usual {@link BackupJob.Blocking} work of a scheduled strategy: open the repository, back up
 * the strategy's source with the strategy's {@link dev.drkit.core.BackupType}, tag the snapshot
 * with {@code strategy=<name>}, then apply the strategy's {@link dev.drkit.core.RetentionPolicy} to
 * the snapshots of that strategy (and only those: a weekly full and an hourly incremental of one
 * source keep their own histories) and forget what it does not keep. Space is reclaimed by a
 * separate, exclusive {@code prune}. Wrap it with {@link BackupJob#blocking}.
 */
public final class RepositoryBackupJob implements BackupJob.Blocking {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryBackupJob.class);
  /** Prefix of the tag naming the strategy that made a snapshot. */
  public static final String STRATEGY_TAG = "strategy=";

  private final Supplier<Repository> repository;
  private final Function<BackupStrategy, BackupSource> sources;
  private final RetentionPlanner planner;
  private final EventBus events;

  /**
   * @param repository opens the repository for one run (closed after it)
   * @param sources the source each strategy backs up
   * @param zone the calendar zone of the retention rules
   * @param events where retention events go
   */
  public RepositoryBackupJob(Supplier<Repository> repository, Function<BackupStrategy, BackupSource> sources,
      ZoneId zone, EventBus events) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.sources = Objects.requireNonNull(sources, "sources");
    this.planner = RetentionPlanner.create(Objects.requireNonNull(zone, "zone"));
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public void run(BackupStrategy strategy, RunInfo run) {
    String tag = STRATEGY_TAG + strategy.name();
    try (Repository r = repository.get()) {
      BackupSource source = Objects.requireNonNull(sources.apply(strategy), "source of strategy " + strategy.name());
      Snapshot s = r.backup(BackupRequest.builder(source).type(strategy.type()).tag(tag).build());
      LOG.info("strategy {} made snapshot {} of {}", strategy.name(), s.shortId(), s.source());
      if (strategy.retention().isKeepAll()) {
        return;
      }
      List<SnapshotDescriptor> mine = r.snapshots().stream().filter(x -> x.tags().contains(tag))
          .map(x -> SnapshotDescriptor.of(x.id(), x.time(), x.host(), x.tags(), x.paths())).toList();
      RetentionPlan plan = planner.plan(mine, strategy.retention(), r.options().clock().instant());
      List<String> remove = plan.idsToRemove();
      if (!remove.isEmpty()) {
        r.forget(remove);
      }
      events.publish(new DrEvent(r.options().clock().instant(), "backup.retention.applied", DrEvent.Severity.INFO,
          run.service(), 0, "strategy " + strategy.name() + ": " + RetentionPlan.describe(strategy.retention())
              + "; kept " + plan.toKeep().size() + ", forgot " + remove.size(), Map.of())
          .with("strategy", strategy.name()).with("kept", plan.toKeep().size()).with("forgotten", remove.size()));
    }
  }
}
