package dev.drkit.core.internal.config;

import dev.drkit.core.ConfigException;
import dev.drkit.core.ConfigException.Problem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Collects the problems of one config source, each with the source's name, the line and column
 * of the offending node and its field path. Remembers where every path was read so that problems
 * raised later by the config model's builders (which know only relative paths) can be placed too.
 * Caps the number of problems so that a pathological file cannot exhaust memory.
 */
public final class ProblemCollector {
  /** At most this many problems are kept; one more says how many were left out. */
  public static final int MAX_PROBLEMS = 500;

  private final @Nullable String source;
  private final List<Problem> problems = new ArrayList<>();
  private final Set<String> reported = new HashSet<>();
  /** Every reported path and all of its enclosing paths. */
  private final Set<String> touched = new HashSet<>();
  private final Map<String, ConfigNode.Location> locations = new HashMap<>();
  private int dropped;

  /** @param source the file name or other source, {@code null} for code */
  public ProblemCollector(@Nullable String source) {
    this.source = source;
  }

  /** @return the source's name, or {@code null} */
  public @Nullable String source() {
    return source;
  }

  /**
   * Records where the value at {@code path} is written.
   *
   * @param path a field path
   * @param location its position
   */
  public void remember(String path, ConfigNode.Location location) {
    locations.putIfAbsent(path, location);
  }

  /**
   * @param path a field path
   * @param location where the problem is
   * @param message what is wrong
   */
  public void add(String path, ConfigNode.Location location, String message) {
    reported.add(path);
    String enclosing = path;
    while (enclosing != null && touched.add(enclosing)) {
      enclosing = parent(enclosing);
    }
    if (problems.size() >= MAX_PROBLEMS) {
      dropped++;
      return;
    }
    problems.add(new Problem(source, location.line(), location.column(), path, message));
  }

  /**
   * @param path a field path
   * @param node the offending node
   * @param message what is wrong
   */
  public void add(String path, ConfigNode node, String message) {
    add(path, node.location(), message);
  }

  /**
   * Adds the problems of an exception thrown by the config model, prefixing their relative paths
   * with {@code prefix} and placing each at the nearest remembered position. A problem whose path,
   * an enclosing path or a path inside it was already reported is skipped: it is a consequence of
   * that one (a missing {@code encryption} after its {@code key-source} was refused, say).
   *
   * @param prefix the path of the object the exception's paths are relative to (may be empty)
   * @param e the exception
   */
  public void addAll(String prefix, ConfigException e) {
    for (Problem p : e.problems()) {
      String path = join(prefix, p.path());
      if (!isReported(path) && !touched.contains(path)) {
        add(path, locate(path), p.message());
      }
    }
  }

  /**
   * @param path a field path
   * @return whether a problem was reported at this path or an enclosing one
   */
  public boolean isReported(String path) {
    for (String p = path; p != null; p = parent(p)) {
      if (reported.contains(p)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param path a field path
   * @return where it (or the nearest enclosing path that was read) is written
   */
  public ConfigNode.Location locate(String path) {
    for (String p = path; p != null; p = parent(p)) {
      ConfigNode.Location loc = locations.get(p);
      if (loc != null) {
        return loc;
      }
    }
    return ConfigNode.Location.UNKNOWN;
  }

  /** @return whether nothing was reported */
  public boolean isEmpty() {
    return problems.isEmpty() && dropped == 0;
  }

  /** @return the number of problems reported so far (including those left out) */
  public int count() {
    return problems.size() + dropped;
  }

  /** @return the problems so far, ordered by position (unplaced ones last), stable otherwise */
  public List<Problem> problems() {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(Comparator.comparingLong(ProblemCollector::positionKey));
    if (dropped > 0) {
      sorted.add(new Problem(source, 0, 0, "", dropped + " more problems not shown"));
    }
    return sorted;
  }

  /** @return the exception carrying every problem; only call when {@link #isEmpty()} is false */
  public ConfigException toException() {
    return new ConfigException(problems());
  }

  private static long positionKey(Problem p) {
    if (p.line() <= 0) {
      return Long.MAX_VALUE;
    }
    return ((long) p.line() << 32) | (p.column() & 0xffffffffL);
  }

  /**
   * @param prefix an enclosing path, may be empty
   * @param relative a path relative to it, may be empty or start with an index
   * @return the joined path
   */
  public static String join(String prefix, String relative) {
    if (prefix.isEmpty()) {
      return relative;
    }
    if (relative.isEmpty()) {
      return prefix;
    }
    return relative.startsWith("[") ? prefix + relative : prefix + "." + relative;
  }

  /**
   * @param path a field path
   * @return the enclosing path ({@code a.b[2]} for {@code a.b[2].c}), or {@code null} at the root
   */
  public static @Nullable String parent(String path) {
    if (path.isEmpty()) {
      return null;
    }
    int dot = path.lastIndexOf('.');
    int bracket = path.lastIndexOf('[');
    int cut = Math.max(dot, bracket);
    return cut <= 0 ? "" : path.substring(0, cut);
  }
}
