package dev.drkit.backup;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Selects snapshots by host and paths, like restic's {@code --host} and {@code --path}: a snapshot
 * matches when its host is one of {@link #hosts()} (any host when empty) and its
 * {@link Snapshot#paths()} contain every one of {@link #paths()} (any paths when empty). A filter
 * path matches a snapshot path equal to it as given or, for file-system paths, after making it
 * absolute and normalized (so {@code data/../data} and a relative {@code data} find {@code /cwd/data},
 * while a custom source's path such as {@code pg:orders} is compared as is). Immutable.
 *
 * @param hosts the accepted hosts; empty for any
 * @param paths paths every matching snapshot must hold; empty for any
 */
public record SnapshotFilter(Set<String> hosts, Set<String> paths) {
  /** Matches every snapshot. */
  public static final SnapshotFilter ALL = new SnapshotFilter(Set.of(), Set.of());

  /** Validates, normalizes the paths and copies. */
  public SnapshotFilter {
    hosts = Set.copyOf(Objects.requireNonNull(hosts, "hosts"));
    for (String p : Objects.requireNonNull(paths, "paths")) {
      if (Objects.requireNonNull(p, "path").isBlank()) {
        throw new IllegalArgumentException("a snapshot filter path must not be blank");
      }
    }
    paths = Set.copyOf(paths);
  }

  /**
   * @param hosts accepted hosts (empty for any)
   * @param paths required paths (empty for any)
   * @return the filter
   */
  public static SnapshotFilter of(Collection<String> hosts, Collection<String> paths) {
    return new SnapshotFilter(Set.copyOf(hosts), Set.copyOf(paths));
  }

  private static @Nullable String absolute(String p) {
    try {
      return Path.of(p).toAbsolutePath().normalize().toString();
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /** @param s a snapshot @return whether it matches */
  public boolean matches(Snapshot s) {
    if (!hosts.isEmpty() && !hosts.contains(s.host())) {
      return false;
    }
    if (paths.isEmpty()) {
      return true;
    }
    Set<String> have = new HashSet<>(s.paths());
    for (String p : s.paths()) {
      if (p.startsWith("/")) {
        String abs = absolute(p);
        if (abs != null) {
          have.add(abs);
        }
      }
    }
    for (String want : paths) {
      if (!have.contains(want) && !have.contains(absolute(want))) {
        return false;
      }
    }
    return true;
  }

  /** @param all snapshots @return those that match, in the same order */
  public List<Snapshot> filter(List<Snapshot> all) {
    return all.stream().filter(this::matches).toList();
  }

  /** @return whether it matches everything */
  public boolean isAll() {
    return hosts.isEmpty() && paths.isEmpty();
  }

  @Override
  public String toString() {
    return (hosts.isEmpty() ? "any host" : "host " + String.join(" or ", new TreeSet<>(hosts)))
        + (paths.isEmpty() ? "" : " and paths " + new TreeSet<>(paths));
  }
}
