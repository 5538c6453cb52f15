package dev.drkit.backup;

import dev.drkit.core.spi.SnapshotCatalog;
import dev.drkit.core.spi.SnapshotRef;
import java.util.List;
import java.util.Objects;
import java.util.function.BiPredicate;
import java.util.function.Supplier;

/**
 * The snapshots of a {@link Repository} as a rebuild's {@link SnapshotCatalog}: each snapshot's
 * id, time, recorded {@linkplain Snapshot#logPosition() log position} and logical size. A
 * repository is opened for every listing (and closed after it), so the catalogue sees snapshots
 * taken since it was made.
 */
public final class RepositorySnapshotCatalog implements SnapshotCatalog {
  private final Supplier<Repository> repository;
  private final BiPredicate<String, Snapshot> belongs;

  /**
   * @param repository opens the repository (closed after each listing)
   * @param belongs whether a snapshot is one of a service's (for example by a tag); the arguments
   *     are the service and the snapshot
   */
  public RepositorySnapshotCatalog(Supplier<Repository> repository, BiPredicate<String, Snapshot> belongs) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.belongs = Objects.requireNonNull(belongs, "belongs");
  }

  /**
   * @param service the protected service whose snapshots to list
   * @return its complete snapshots (partial ones, which left entries out, are never rebuilt from)
   * @throws dev.drkit.core.IntegrityException when a snapshot file is damaged
   */
  @Override
  public List<SnapshotRef> snapshots(String service) {
    try (Repository r = repository.get()) {
      return r.snapshots().stream()
          .filter(s -> !s.isPartial() && belongs.test(service, s))
          .map(s -> new SnapshotRef(s.id(), s.time(), s.logPosition(), s.stats().totalBytes()))
          .toList();
    }
  }
}
