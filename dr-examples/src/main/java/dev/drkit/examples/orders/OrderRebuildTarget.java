package dev.drkit.examples.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.Repository;
import dev.drkit.spi.RebuildTarget;
import dev.drkit.spi.ReplayRecord;
import dev.drkit.spi.Site;
import dev.drkit.spi.SnapshotRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The orders example's {@link RebuildTarget}, the reference implementation: a snapshot (an H2
 * {@code orders.sql} dump backed up by dr-backup) is restored from the repository into a staging
 * directory and the site's database is re-seeded from it ({@link OrderSite#seedFrom}: the site comes
 * up fenced, at the dump's epoch); replication-log records (orders as JSON) are applied with
 * {@link OrderSite#applyReplicated(List, long, long)}, which skips orders already present, so
 * applying twice is harmless. Both are idempotent, as the failover engine requires.
 */
public final class OrderRebuildTarget implements RebuildTarget {
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  private final Map<Site, OrderSite> sites;
  private final Supplier<Repository> repository;
  private final Path staging;
  private final Supplier<Optional<Instant>> lastAcknowledged;

  /**
   * @param primary the primary site
   * @param backup the backup site
   * @param repository opens the backup repository (closed after each load)
   * @param staging a directory snapshots are restored into before seeding
   * @param lastAcknowledged when the last write acknowledged to a client was made, if known (for
   *     the RPO of a rebuild without a log)
   */
  public OrderRebuildTarget(OrderSite primary, OrderSite backup, Supplier<Repository> repository, Path staging,
      Supplier<Optional<Instant>> lastAcknowledged) {
    this.sites = Map.of(Site.PRIMARY, Objects.requireNonNull(primary, "primary"), Site.BACKUP,
        Objects.requireNonNull(backup, "backup"));
    this.repository = Objects.requireNonNull(repository, "repository");
    this.staging = Objects.requireNonNull(staging, "staging");
    this.lastAcknowledged = Objects.requireNonNull(lastAcknowledged, "lastAcknowledged");
  }

  @Override
  public void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) throws IOException {
    OrderSite s = sites.get(site);
    Path dir = staging.resolve("rebuild-" + snapshot.id().substring(0, Math.min(12, snapshot.id().length())));
    deleteTree(dir);
    try (Repository r = repository.get()) {
      r.restore(snapshot.id(), dir);
    }
    if (s.isRunning()) {
      s.stop();
    }
    s.seedFrom(dir.resolve("orders.sql"));
    s.start();
    deleteTree(dir);
  }

  @Override
  public void apply(String service, Site site, List<ReplayRecord> records, long epoch) throws IOException {
    OrderSite s = sites.get(site);
    List<Order> run = new ArrayList<>();
    long runEpoch = -1;
    long last = -1;
    for (ReplayRecord r : records) {
      if (r.epoch() != runEpoch && !run.isEmpty()) {
        s.applyReplicated(run, runEpoch, last);
        run.clear();
      }
      runEpoch = r.epoch();
      last = r.offset();
      run.add(JSON.readValue(r.payload(), Order.class));
    }
    if (!run.isEmpty()) {
      s.applyReplicated(run, runEpoch, last);
    }
  }

  @Override
  public Optional<Instant> lastAcknowledgedWrite(String service) {
    return lastAcknowledged.get();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
