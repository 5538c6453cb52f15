package dev.drkit.core.plan;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.RecoveryConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The dependency DAG of a set of services and the order in which they recover.
 *
 * <p>A service's <em>wave</em> is {@code 0} when it has no dependencies and otherwise one more than
 * the deepest wave among its dependencies, so every service recovers in the wave right after its
 * last dependency is done and the services of one wave are independent of each other. Within a
 * wave services are ordered by {@link dev.drkit.core.config.Priority} (critical first) and then by name.
 *
 * <p>Built with Kahn's algorithm over integer indices, iteratively (no recursion, so arbitrarily
 * deep chains are fine): {@code O(services + edges)} plus the sort within each wave. Immutable and
 * thread-safe once built.
 */
public final class DependencyGraph {
  /** At most this many cycles are reported in one exception (each names its whole loop). */
  private static final int MAX_REPORTED_CYCLES = 20;
  /** A longer cycle is named by its first services, the number left out, and its closing service. */
  private static final int MAX_NAMES_PER_CYCLE = 100;

  private static final Comparator<RecoveryConfig> WAVE_ORDER =
      Comparator.comparing(RecoveryConfig::priority).thenComparing(RecoveryConfig::name);

  private final RecoveryConfig[] configs;
  private final Map<String, Integer> index;
  /** {@code deps[i]}: indices of the services {@code i} depends on, in declaration order. */
  private final int[][] deps;
  /** {@code dependents[i]}: indices of the services depending directly on {@code i}, ascending. */
  private final int[][] dependents;
  private final int[] waveOf;
  private final List<List<RecoveryConfig>> waves;
  private final List<RecoveryConfig> order;

  private DependencyGraph(RecoveryConfig[] configs, Map<String, Integer> index, int[][] deps,
      int[][] dependents, int[] waveOf, List<List<RecoveryConfig>> waves) {
    this.configs = configs;
    this.index = index;
    this.deps = deps;
    this.dependents = dependents;
    this.waveOf = waveOf;
    this.waves = waves;
    List<RecoveryConfig> flat = new ArrayList<>(configs.length);
    for (List<RecoveryConfig> w : waves) {
      flat.addAll(w);
    }
    this.order = Collections.unmodifiableList(flat);
  }

  /**
   * Builds the graph and computes the recovery waves.
   *
   * <p>Problems are reported with paths relative to the plan's {@code services} list, in the
   * iteration order of {@code services}: a duplicate name as {@code services[i].name}, an unknown
   * dependency as {@code services[i].dependencies[j]} (naming the unknown service), and a cycle as
   * {@code services[i].dependencies[j]} for the edge that starts it, with the loop spelled out in
   * dependency order ({@code a -> b -> c -> a} means a depends on b, b on c and c on a). Duplicates
   * and unknown names are all reported together; cycles are only looked for when there are none.
   *
   * @param services the services, each with a unique name
   * @return the graph
   * @throws ConfigException for duplicate names, unknown dependencies or dependency cycles
   * @throws NullPointerException when {@code services} or one of its elements is null
   */
  public static DependencyGraph of(Collection<RecoveryConfig> services) {
    Objects.requireNonNull(services, "services");
    int n = services.size();
    RecoveryConfig[] configs = new RecoveryConfig[n];
    Map<String, Integer> index = new HashMap<>(Math.max(16, n * 2));
    List<ConfigException.Problem> problems = new ArrayList<>();
    int i = 0;
    for (RecoveryConfig c : services) {
      Objects.requireNonNull(c, "services[" + i + "]");
      configs[i] = c;
      Integer previous = index.putIfAbsent(c.name(), i);
      if (previous != null) {
        problems.add(ConfigException.Problem.of("services[" + i + "].name",
            "duplicate service '" + c.name() + "' (first declared as services[" + previous + "])"));
      }
      i++;
    }

    int[][] deps = new int[n][];
    int[] dependentCount = new int[n];
    for (int s = 0; s < n; s++) {
      List<String> names = configs[s].dependencies();
      int[] d = new int[names.size()];
      for (int j = 0; j < d.length; j++) {
        Integer target = index.get(names.get(j));
        if (target == null) {
          problems.add(ConfigException.Problem.of("services[" + s + "].dependencies[" + j + "]",
              "service '" + configs[s].name() + "' depends on unknown service '" + names.get(j) + "'"));
          d[j] = -1;
        } else {
          d[j] = target;
          dependentCount[target]++;
        }
      }
      deps[s] = d;
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }

    int[][] dependents = new int[n][];
    for (int s = 0; s < n; s++) {
      dependents[s] = new int[dependentCount[s]];
    }
    int[] fill = new int[n];
    for (int s = 0; s < n; s++) {
      for (int d : deps[s]) {
        dependents[d][fill[d]++] = s;
      }
    }

    // Kahn: pending[s] counts the dependencies of s not yet placed.
    int[] pending = new int[n];
    int[] queue = new int[n];
    int head = 0;
    int tail = 0;
    for (int s = 0; s < n; s++) {
      pending[s] = deps[s].length;
      if (pending[s] == 0) {
        queue[tail++] = s;
      }
    }
    int[] waveOf = new int[n];
    int maxWave = 0;
    while (head < tail) {
      int s = queue[head++];
      for (int t : dependents[s]) {
        if (waveOf[s] + 1 > waveOf[t]) {
          waveOf[t] = waveOf[s] + 1;
        }
        if (--pending[t] == 0) {
          queue[tail++] = t;
          maxWave = Math.max(maxWave, waveOf[t]);
        }
      }
    }
    if (tail < n) {
      throw new ConfigException(cycles(configs, deps, pending));
    }

    List<List<RecoveryConfig>> waveLists = new ArrayList<>();
    if (n > 0) {
      int[] sizes = new int[maxWave + 1];
      for (int s = 0; s < n; s++) {
        sizes[waveOf[s]]++;
      }
      RecoveryConfig[][] buckets = new RecoveryConfig[maxWave + 1][];
      for (int w = 0; w <= maxWave; w++) {
        buckets[w] = new RecoveryConfig[sizes[w]];
      }
      int[] pos = new int[maxWave + 1];
      for (int s = 0; s < n; s++) {
        buckets[waveOf[s]][pos[waveOf[s]]++] = configs[s];
      }
      for (RecoveryConfig[] bucket : buckets) {
        Arrays.sort(bucket, WAVE_ORDER);
        waveLists.add(List.of(bucket));
      }
    }
    return new DependencyGraph(configs, index, deps, dependents, waveOf,
        Collections.unmodifiableList(waveLists));
  }

  /**
   * Finds the cycles among the services Kahn's algorithm could not place. Every such service has
   * at least one unplaced dependency, so following unplaced dependencies from any of them must
   * loop; each walk that closes on its own path yields one cycle.
   */
  private static List<ConfigException.Problem> cycles(RecoveryConfig[] configs, int[][] deps, int[] pending) {
    int n = configs.length;
    // 0 = not visited, 1 = on the current walk, 2 = finished
    byte[] mark = new byte[n];
    int[] next = new int[n];
    int[] nextEdge = new int[n];
    List<ConfigException.Problem> problems = new ArrayList<>();
    for (int start = 0; start < n && problems.size() < MAX_REPORTED_CYCLES; start++) {
      if (pending[start] == 0 || mark[start] != 0) {
        continue;
      }
      int s = start;
      while (mark[s] == 0) {
        mark[s] = 1;
        int j = 0;
        while (pending[deps[s][j]] == 0) {
          j++;
        }
        next[s] = deps[s][j];
        nextEdge[s] = j;
        s = next[s];
      }
      if (mark[s] == 1) {
        // s is where the walk closed on itself: the cycle is s -> next[s] -> ... -> s.
        // Report it starting from the member declared first, so the message is deterministic.
        int first = s;
        for (int t = next[s]; t != s; t = next[t]) {
          first = Math.min(first, t);
        }
        StringBuilder loop = new StringBuilder(configs[first].name());
        int t = first;
        int shown = 1;
        int skipped = 0;
        do {
          t = next[t];
          if (t == first || shown < MAX_NAMES_PER_CYCLE) {
            if (skipped > 0) {
              loop.append(" -> ... (").append(skipped).append(" more)");
              skipped = 0;
            }
            loop.append(" -> ").append(configs[t].name());
            shown++;
          } else {
            skipped++;
          }
        } while (t != first);
        problems.add(ConfigException.Problem.of(
            "services[" + first + "].dependencies[" + nextEdge[first] + "]",
            "dependency cycle: " + loop));
      }
      for (int t = start; mark[t] == 1; t = next[t]) {
        mark[t] = 2;
      }
    }
    return problems;
  }

  /** @return the number of services */
  public int size() {
    return configs.length;
  }

  /** @return the service names, in the order the services were given */
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>(configs.length * 2);
    for (RecoveryConfig c : configs) {
      names.add(c.name());
    }
    return Collections.unmodifiableSet(names);
  }

  /**
   * @param name a service name
   * @return whether the graph holds that service
   */
  public boolean contains(String name) {
    return index.containsKey(name);
  }

  /**
   * @param name a service name
   * @return the service's config
   * @throws NoSuchElementException when the graph has no such service
   */
  public RecoveryConfig service(String name) {
    return configs[indexOf(name)];
  }

  /**
   * The recovery waves. Wave {@code 0} holds the services without dependencies; every other
   * service is in the wave after its deepest dependency. Each wave is ordered by priority (critical
   * first), then name.
   *
   * @return the waves, unmodifiable; empty for an empty graph
   */
  public List<List<RecoveryConfig>> waves() {
    return waves;
  }

  /**
   * @param name a service name
   * @return the index of the service's wave in {@link #waves()}
   * @throws NoSuchElementException when the graph has no such service
   */
  public int waveOf(String name) {
    return waveOf[indexOf(name)];
  }

  /**
   * A topological order: the waves concatenated, so every service comes after all of its
   * dependencies, and higher priority comes first among services of one wave.
   *
   * @return every service in recovery order, unmodifiable
   */
  public List<RecoveryConfig> topologicalOrder() {
    return order;
  }

  /**
   * @param name a service name
   * @return the names of the services {@code name} depends on directly, in declaration order
   * @throws NoSuchElementException when the graph has no such service
   */
  public List<String> dependenciesOf(String name) {
    return configs[indexOf(name)].dependencies();
  }

  /**
   * @param name a service name
   * @return the names of the services that depend directly on {@code name}, in the order the
   *     services were given
   * @throws NoSuchElementException when the graph has no such service
   */
  public Set<String> dependentsOf(String name) {
    int[] ds = dependents[indexOf(name)];
    Set<String> out = new LinkedHashSet<>(ds.length * 2);
    for (int d : ds) {
      out.add(configs[d].name());
    }
    return Collections.unmodifiableSet(out);
  }

  /**
   * Every service that depends on {@code name} directly or through others: the services a failed
   * recovery of {@code name} blocks. Breadth-first, so nearer dependents come first.
   *
   * @param name a service name
   * @return the transitive dependents, excluding {@code name} itself
   * @throws NoSuchElementException when the graph has no such service
   */
  public Set<String> transitiveDependentsOf(String name) {
    return closure(indexOf(name), dependents);
  }

  /**
   * Every service {@code name} depends on directly or through others.
   *
   * @param name a service name
   * @return the transitive dependencies, excluding {@code name} itself, nearer ones first
   * @throws NoSuchElementException when the graph has no such service
   */
  public Set<String> transitiveDependenciesOf(String name) {
    return closure(indexOf(name), deps);
  }

  private Set<String> closure(int from, int[][] adjacency) {
    boolean[] seen = new boolean[configs.length];
    int[] queue = new int[configs.length];
    int head = 0;
    int tail = 0;
    seen[from] = true;
    queue[tail++] = from;
    Set<String> out = new LinkedHashSet<>();
    while (head < tail) {
      int s = queue[head++];
      for (int t : adjacency[s]) {
        if (!seen[t]) {
          seen[t] = true;
          queue[tail++] = t;
          out.add(configs[t].name());
        }
      }
    }
    return Collections.unmodifiableSet(out);
  }

  private int indexOf(String name) {
    Integer i = index.get(Objects.requireNonNull(name, "name"));
    if (i == null) {
      throw new NoSuchElementException("no service named '" + name + "' in the plan");
    }
    return i;
  }

  @Override
  public String toString() {
    return "DependencyGraph{" + configs.length + " services, " + waves.size() + " waves}";
  }
}
