package dev.drkit.core.plan;

import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Test data for plans. */
final class PlanFixtures {
  private PlanFixtures() {}

  /**
   * A random acyclic plan: service {@code i} depends only on services with smaller indices, so
   * there is no cycle; the edges are spread so that waves are many and wide.
   */
  static List<RecoveryConfig> largeAcyclicPlan(int services, int edges, long seed) {
    Random random = new Random(seed);
    List<Set<String>> deps = new ArrayList<>(services);
    for (int i = 0; i < services; i++) {
      deps.add(new LinkedHashSet<>());
    }
    int placed = 0;
    while (placed < edges) {
      int from = 1 + random.nextInt(services - 1);
      int to = Math.max(0, from - 1 - random.nextInt(Math.min(from, 200)));
      if (deps.get(from).add("svc-" + to)) {
        placed++;
      }
    }
    Priority[] priorities = Priority.values();
    List<RecoveryConfig> out = new ArrayList<>(services);
    for (int i = 0; i < services; i++) {
      out.add(RecoveryConfig.builder("svc-" + i).rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
          .priority(priorities[random.nextInt(priorities.length)])
          .dependencies(List.copyOf(deps.get(i))).build());
    }
    return out;
  }
}
