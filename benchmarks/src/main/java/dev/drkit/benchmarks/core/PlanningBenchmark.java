package dev.drkit.benchmarks.core;

import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.plan.DependencyGraph;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Planning the recovery order of a large plan: {@code services} services with {@code edges}
 * dependency edges (random, acyclic: each service depends only on services declared before it,
 * at most 200 back, so there are many waves of many services). Target from the foundation issue:
 * under 50 ms for 10,000 services and 30,000 edges.
 *
 * <p>{@code planWaves} measures {@link DependencyGraph#of} (validation of names, Kahn's algorithm,
 * waves sorted by priority and name). {@code loadYamlPlan} measures the whole path from a YAML
 * document of the same plan to a validated {@link RecoveryPlan}, for scale.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar PlanningBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PlanningBenchmark {
  @Param("10000")
  public int services;

  @Param("30000")
  public int edges;

  private List<RecoveryConfig> configs;
  private byte[] yaml;

  /** Builds the plan once per trial. */
  @Setup(Level.Trial)
  public void setUp() {
    Random random = new Random(42);
    List<Set<Integer>> deps = new ArrayList<>(services);
    for (int i = 0; i < services; i++) {
      deps.add(new LinkedHashSet<>());
    }
    int placed = 0;
    while (placed < edges) {
      int from = 1 + random.nextInt(services - 1);
      int to = Math.max(0, from - 1 - random.nextInt(Math.min(from, 200)));
      if (deps.get(from).add(to)) {
        placed++;
      }
    }
    Priority[] priorities = Priority.values();
    configs = new ArrayList<>(services);
    StringBuilder doc = new StringBuilder("services:\n");
    for (int i = 0; i < services; i++) {
      Priority p = priorities[random.nextInt(priorities.length)];
      List<String> names = deps.get(i).stream().map(d -> "svc-" + d).toList();
      configs.add(RecoveryConfig.builder("svc-" + i).rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
          .priority(p).dependencies(names).build());
      doc.append("  - {name: svc-").append(i).append(", rpo: 5, rto: 30m, priority: ").append(p.configName())
          .append(", dependencies: [").append(String.join(", ", names)).append("]}\n");
    }
    yaml = doc.toString().getBytes(StandardCharsets.UTF_8);
    // Sanity: the same plan either way.
    RecoveryPlan plan = PlanLoader.create().parse(yaml, "bench.yaml", PlanLoader.Format.YAML);
    if (plan.waves().size() != DependencyGraph.of(configs).waves().size()) {
      throw new IllegalStateException("the YAML and in-code plans differ");
    }
  }

  /** @return the dependency graph with its waves */
  @Benchmark
  public DependencyGraph planWaves() {
    return DependencyGraph.of(configs);
  }

  /** @return the plan read from YAML, validated and planned */
  @Benchmark
  public RecoveryPlan loadYamlPlan() {
    return PlanLoader.create().parse(yaml, "bench.yaml", PlanLoader.Format.YAML);
  }
}
