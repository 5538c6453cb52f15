package dev.drkit.backup.schedule;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.Repository;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPlanner;
import dev.drkit.backup.retention.SnapshotDescriptor;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.KeySources;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.core.spi.BlobStore;
import dev.drkit.core.spi.DrEvent;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usual {@link BackupJob.Blocking} work of a scheduled strategy: open the repository, back up
 * the strategy's source with the strategy's {@link dev.drkit.core.config.BackupType}, tag the snapshot
 * with {@code strategy=<name>}, then apply the strategy's {@link dev.drkit.core.config.RetentionPolicy} to
 * the snapshots of that strategy (and only those: a weekly full and an hourly incremental of one
 * source keep their own histories) and forget what it does not keep. Space is reclaimed by a
 * separate, exclusive {@code prune}. Wrap it with {@link BackupJob#blocking}.
 *
 * <p>The strategy's {@link BackupStrategy#encryption() encryption} is honoured: the job refuses to
 * back up (a {@link ConfigException} on {@code encryption.algorithm}, nothing written) into a
 * repository whose cipher is not the one the strategy asks for, so a strategy that requires
 * encryption never writes into an unencrypted repository. Built with
 * {@link #opening(BlobStore, RepositoryOptions, KeySources, Function, ZoneId, EventBus)}, it also
 * opens the repository with the passphrase the strategy's key source refers to, resolved by
 * {@link KeySources} for every run and wiped after opening.
 */
public final class RepositoryBackupJob implements BackupJob.Blocking {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryBackupJob.class);
  /** Prefix of the tag naming the strategy that made a snapshot. */
  public static final String STRATEGY_TAG = "strategy=";

  private final Function<BackupStrategy, Repository> repository;
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
    Objects.requireNonNull(repository, "repository");
    this.repository = strategy -> repository.get();
    this.sources = Objects.requireNonNull(sources, "sources");
    this.planner = RetentionPlanner.create(Objects.requireNonNull(zone, "zone"));
    this.events = Objects.requireNonNull(events, "events");
  }

  private RepositoryBackupJob(Function<BackupStrategy, Repository> repository,
      Function<BackupStrategy, BackupSource> sources, ZoneId zone, EventBus events) {
    this.repository = repository;
    this.sources = Objects.requireNonNull(sources, "sources");
    this.planner = RetentionPlanner.create(Objects.requireNonNull(zone, "zone"));
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * A job that opens the repository in {@code store} for every run with the passphrase of the
   * run's strategy: {@code keys.resolve(strategy.encryption())} (nothing for an unencrypted
   * strategy), wiped as soon as the repository is open.
   *
   * @param store the repository's store (it must have been initialised)
   * @param options the options to open it with
   * @param keys resolves the strategies' key sources ({@code env:}, {@code file:}, ...)
   * @param sources the source each strategy backs up
   * @param zone the calendar zone of the retention rules
   * @param events where retention events go
   * @return the job; a run fails with {@link dev.drkit.core.KeySourceException} when the key source
   *     cannot be resolved, {@link dev.drkit.core.WrongKeyException} when the passphrase opens no key
   *     slot, and {@link ConfigException} when the repository's cipher is not the strategy's
   */
  public static RepositoryBackupJob opening(BlobStore store, RepositoryOptions options, KeySources keys,
      Function<BackupStrategy, BackupSource> sources, ZoneId zone, EventBus events) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(keys, "keys");
    return new RepositoryBackupJob(strategy -> {
      char[] passphrase = keys.resolve(strategy.encryption());
      try {
        return Repository.open(store, passphrase.length == 0 ? null : passphrase, options);
      } finally {
        Arrays.fill(passphrase, '\0');
      }
    }, sources, zone, events);
  }

  /**
   * @throws ConfigException naming {@code encryption.algorithm} when the repository's cipher is not
   *     the one the strategy asks for (nothing is written)
   */
  @Override
  public void run(BackupStrategy strategy, RunInfo run) {
    String tag = STRATEGY_TAG + strategy.name();
    try (Repository r = repository.apply(strategy)) {
      EncryptionConfig.Algorithm wanted = strategy.encryption().algorithm();
      if (r.algorithm() != wanted) {
        throw new ConfigException("encryption.algorithm", "strategy '" + strategy.name() + "' asks for "
            + wanted.configName() + " but repository " + r.id().substring(0, 8) + " is "
            + (r.encrypted() ? "encrypted with " + r.algorithm().configName() : "not encrypted")
            + "; refusing to back up into it: point the strategy at a repository initialised with "
            + wanted.configName() + ", or change the strategy's encryption to match");
      }
      BackupSource source = Objects.requireNonNull(sources.apply(strategy), "source of strategy " + strategy.name());
      Snapshot s = r.backup(BackupRequest.builder(source).type(strategy.type()).tag(tag).build());
      LOG.info("strategy {} made snapshot {} of {}", strategy.name(), s.shortId(), s.source());
      if (strategy.retention().isKeepAll()) {
        return;
      }
      List<SnapshotDescriptor> mine = r.snapshots().stream().filter(x -> x.tags().contains(tag))
          .map(SnapshotDescriptor.class::cast).toList();
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
