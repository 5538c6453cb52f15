package dev.drkit.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DependencyGraphTest {

  static RecoveryConfig svc(String name, Priority priority, String... deps) {
    return RecoveryConfig.builder(name).rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
        .priority(priority).dependsOn(deps).build();
  }

  static RecoveryConfig svc(String name, String... deps) {
    return svc(name, Priority.MEDIUM, deps);
  }

  static List<List<String>> waveNames(DependencyGraph g) {
    return g.waves().stream().map(w -> w.stream().map(RecoveryConfig::name).toList()).toList();
  }

  @Test
  void placesEachServiceInTheWaveAfterItsDeepestDependency() {
    DependencyGraph g = DependencyGraph.of(List.of(
        svc("orders", "inventory", "auth"),
        svc("inventory", "db"),
        svc("auth"),
        svc("db"),
        svc("reports", "orders", "db")));

    assertThat(waveNames(g)).containsExactly(
        List.of("auth", "db"), List.of("inventory"), List.of("orders"), List.of("reports"));
    assertThat(g.waveOf("reports")).isEqualTo(3);
    assertThat(g.topologicalOrder()).extracting(RecoveryConfig::name)
        .containsExactly("auth", "db", "inventory", "orders", "reports");
  }

  @Test
  void ordersAWaveByPriorityThenName() {
    DependencyGraph g = DependencyGraph.of(List.of(
        svc("zeta", Priority.LOW),
        svc("beta", Priority.MEDIUM),
        svc("alpha", Priority.MEDIUM),
        svc("omega", Priority.CRITICAL),
        svc("gamma", Priority.HIGH)));

    assertThat(waveNames(g)).containsExactly(List.of("omega", "gamma", "alpha", "beta", "zeta"));
  }

  @Test
  void reportsEveryUnknownDependencyWithItsPath() {
    assertThatThrownBy(() -> DependencyGraph.of(List.of(
        svc("a"),
        svc("b", "a", "ghost"),
        svc("c", "phantom"))))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).extracting(ConfigException.Problem::path)
              .containsExactly("services[1].dependencies[1]", "services[2].dependencies[0]");
          assertThat(e.problems().get(0).message()).contains("'b'").contains("unknown service 'ghost'");
          assertThat(e.problems().get(1).message()).contains("'phantom'");
        });
  }

  @Test
  void reportsDuplicateServiceNames() {
    assertThatThrownBy(() -> DependencyGraph.of(List.of(svc("a"), svc("b"), svc("a"))))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("services[2].name");
            assertThat(p.message()).contains("duplicate service 'a'").contains("services[0]");
          });
        });
  }

  @Test
  void namesACycleInDependencyOrder() {
    assertThatThrownBy(() -> DependencyGraph.of(List.of(
        svc("root"),
        svc("a", "b"),
        svc("b", "c"),
        svc("c", "root", "a"),
        svc("downstream", "c"))))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("dependency cycle: a -> b -> c -> a");
            assertThat(p.path()).isEqualTo("services[1].dependencies[0]");
          });
        });
  }

  @Test
  void reportsEachDisjointCycleOnce() {
    assertThatThrownBy(() -> DependencyGraph.of(List.of(
        svc("x", "y"),
        svc("y", "x"),
        svc("p", "q"),
        svc("q", "r"),
        svc("r", "p"),
        svc("fine"))))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
            .extracting(ConfigException.Problem::message)
            .containsExactly("dependency cycle: x -> y -> x", "dependency cycle: p -> q -> r -> p"));
  }

  @Test
  void findsDirectAndTransitiveDependents() {
    DependencyGraph g = DependencyGraph.of(List.of(
        svc("db"),
        svc("auth", "db"),
        svc("inventory", "db"),
        svc("orders", "inventory", "auth"),
        svc("web", "orders"),
        svc("standalone")));

    assertThat(g.dependentsOf("db")).containsExactly("auth", "inventory");
    assertThat(g.transitiveDependentsOf("db")).containsExactlyInAnyOrder("auth", "inventory", "orders", "web");
    assertThat(g.transitiveDependentsOf("inventory")).containsExactly("orders", "web");
    assertThat(g.transitiveDependentsOf("web")).isEmpty();
    assertThat(g.transitiveDependenciesOf("web")).containsExactlyInAnyOrder("orders", "inventory", "auth", "db");
    assertThat(g.dependenciesOf("orders")).containsExactly("inventory", "auth");
    assertThat(g.names()).containsExactly("db", "auth", "inventory", "orders", "web", "standalone");
    assertThat(g.contains("web")).isTrue();
    assertThat(g.contains("nope")).isFalse();
    assertThatThrownBy(() -> g.dependentsOf("nope")).isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("nope");
  }

  @Test
  void anEmptyPlanHasNoWaves() {
    DependencyGraph g = DependencyGraph.of(List.of());
    assertThat(g.waves()).isEmpty();
    assertThat(g.topologicalOrder()).isEmpty();
    assertThat(g.size()).isZero();
  }

  @Test
  void handlesAVeryLongChainWithoutRecursion() {
    int n = 50_000;
    List<RecoveryConfig> chain = new ArrayList<>(n);
    chain.add(svc("s0"));
    for (int i = 1; i < n; i++) {
      chain.add(svc("s" + i, "s" + (i - 1)));
    }
    DependencyGraph g = DependencyGraph.of(chain);
    assertThat(g.waves()).hasSize(n);
    assertThat(g.transitiveDependentsOf("s0")).hasSize(n - 1);

    // Close the chain into one huge cycle: still reported, without a stack overflow.
    chain.set(0, svc("s0", "s" + (n - 1)));
    assertThatThrownBy(() -> DependencyGraph.of(chain)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.problems().get(0).message()).startsWith("dependency cycle: s0 -> s" + (n - 1) + " -> "));
  }

  @Test
  void randomDagsGetConsistentWaves() {
    int rounds = Integer.getInteger("drkit.test.graphRounds", 200);
    Random random = new Random(42);
    Priority[] priorities = Priority.values();
    for (int round = 0; round < rounds; round++) {
      int n = 1 + random.nextInt(60);
      List<RecoveryConfig> services = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        List<String> deps = new ArrayList<>();
        for (int j = 0; j < i; j++) {
          if (random.nextInt(8) == 0) {
            deps.add("s" + j);
          }
        }
        services.add(svc("s" + i, priorities[random.nextInt(priorities.length)], deps.toArray(String[]::new)));
      }
      java.util.Collections.shuffle(services, random);
      DependencyGraph g = DependencyGraph.of(services);

      Map<String, Integer> position = new HashMap<>();
      List<RecoveryConfig> order = g.topologicalOrder();
      for (int i = 0; i < order.size(); i++) {
        position.put(order.get(i).name(), i);
      }
      assertThat(position).hasSize(n);
      for (RecoveryConfig c : services) {
        int expectedWave = c.dependencies().stream().mapToInt(d -> g.waveOf(d) + 1).max().orElse(0);
        assertThat(g.waveOf(c.name())).as("wave of %s in round %d", c.name(), round).isEqualTo(expectedWave);
        for (String d : c.dependencies()) {
          assertThat(position.get(d)).isLessThan(position.get(c.name()));
          assertThat(g.dependentsOf(d)).contains(c.name());
        }
      }
      for (List<RecoveryConfig> wave : g.waves()) {
        for (int i = 1; i < wave.size(); i++) {
          RecoveryConfig a = wave.get(i - 1);
          RecoveryConfig b = wave.get(i);
          assertThat(a.priority().compareTo(b.priority()) < 0
              || a.priority() == b.priority() && a.name().compareTo(b.name()) < 0).isTrue();
        }
      }
    }
  }

  @Test
  void randomGraphsWithABackEdgeAlwaysReportACycleThatReallyExists() {
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      int n = 2 + random.nextInt(30);
      List<List<String>> deps = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        deps.add(new ArrayList<>());
        for (int j = 0; j < i; j++) {
          if (random.nextInt(4) == 0) {
            deps.get(i).add("s" + j);
          }
        }
      }
      // A chain s(n-1) -> ... -> s0 guarantees a path; the back edge s0 -> s(n-1) closes a cycle.
      for (int i = 1; i < n; i++) {
        if (!deps.get(i).contains("s" + (i - 1))) {
          deps.get(i).add("s" + (i - 1));
        }
      }
      deps.get(0).add("s" + (n - 1));
      List<RecoveryConfig> services = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        services.add(svc("s" + i, deps.get(i).toArray(String[]::new)));
      }
      Map<String, List<String>> byName = new HashMap<>();
      services.forEach(s -> byName.put(s.name(), s.dependencies()));
      assertThatThrownBy(() -> DependencyGraph.of(services)).isInstanceOfSatisfying(ConfigException.class, e -> {
        String msg = e.problems().get(0).message();
        assertThat(msg).startsWith("dependency cycle: ");
        String[] loop = msg.substring("dependency cycle: ".length()).split(" -> ");
        assertThat(loop[0]).isEqualTo(loop[loop.length - 1]);
        for (int k = 0; k + 1 < loop.length; k++) {
          assertThat(byName.get(loop[k])).contains(loop[k + 1]);
        }
      });
    }
  }

  @Test
  void plansTenThousandServicesWithThirtyThousandEdges() {
    List<RecoveryConfig> services = PlanFixtures.largeAcyclicPlan(10_000, 30_000, 1L);
    assertThat(services.stream().mapToInt(s -> s.dependencies().size()).sum()).isEqualTo(30_000);
    // How long this takes is measured by PlanningBenchmark (benchmarks/RESULTS.md), not asserted here.
    DependencyGraph g = DependencyGraph.of(services);
    assertThat(g.size()).isEqualTo(10_000);
    List<RecoveryConfig> order = g.topologicalOrder();
    assertThat(order).hasSize(10_000).doesNotHaveDuplicates();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      position.put(order.get(i).name(), i);
    }
    for (RecoveryConfig c : services) {
      for (String d : c.dependencies()) {
        assertThat(position.get(d)).as("%s before its dependent %s", d, c.name()).isLessThan(position.get(c.name()));
      }
    }
  }
}
