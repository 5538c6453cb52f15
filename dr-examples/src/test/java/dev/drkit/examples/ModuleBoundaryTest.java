package dev.drkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Loads drkit's library modules as named modules on a real module path (a {@link ModuleLayer} over
 * the built jars or class directories and their dependencies, not the class path the tests run on)
 * and checks the boundaries their module-info.java files draw: each is an explicit module, exports
 * exactly its API and SPI packages and none of its {@code internal} packages, no package is split
 * between two modules, and the ServiceLoader wiring (dr-validation provides the CheckSpecValidator
 * that dr-core uses) works there.
 *
 * <p>dr-zookeeper is not among them: ZooKeeper 3.9's two jars (zookeeper and zookeeper-jute) split
 * the package {@code org.apache.zookeeper.server.quorum}, so neither it nor anything requiring it
 * resolves on a module path; dr-zookeeper ships as the automatic module {@code dev.drkit.zookeeper}.
 */
class ModuleBoundaryTest {
  private static final Map<String, Set<String>> EXPORTS = Map.of(
      "dev.drkit.core", Set.of("dev.drkit.core", "dev.drkit.core.audit", "dev.drkit.core.config", "dev.drkit.core.coord",
          "dev.drkit.core.failover", "dev.drkit.core.orchestrator", "dev.drkit.core.plan", "dev.drkit.core.store",
          "dev.drkit.core.spi"),
      "dev.drkit.backup", Set.of("dev.drkit.backup", "dev.drkit.backup.retention", "dev.drkit.backup.schedule",
          "dev.drkit.backup.spi"),
      "dev.drkit.replication", Set.of("dev.drkit.replication", "dev.drkit.replication.spi"),
      "dev.drkit.validation", Set.of("dev.drkit.validation", "dev.drkit.validation.checks",
          "dev.drkit.validation.integrity"),
      "dev.drkit.testkit", Set.of("dev.drkit.testkit"),
      "dev.drkit.s3", Set.of("dev.drkit.s3"),
      "dev.drkit.micrometer", Set.of("dev.drkit.micrometer"));

  private static ModuleLayer layer;

  /**
   * The module path of drkit's library modules: among the test class path's entries, the ones that
   * hold the library modules and, transitively, the modules they require (explicit or automatic),
   * and nothing else (test-only jars such as S3Proxy's would add automatic modules that split
   * packages among themselves).
   */
  private static ModuleFinder modulePath() {
    Map<String, ModuleReference> byName = new HashMap<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (!Files.exists(p)) {
        continue;
      }
      try {
        for (ModuleReference ref : ModuleFinder.of(p).findAll()) {
          byName.putIfAbsent(ref.descriptor().name(), ref);
        }
      } catch (FindException notAModule) {
        // a jar whose file name yields no valid module name: nothing drkit requires
      }
    }
    ModuleFinder system = ModuleFinder.ofSystem();
    Set<String> needed = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(EXPORTS.keySet());
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (system.find(name).isPresent() || !needed.add(name)) {
        continue;
      }
      ModuleReference ref = byName.get(name);
      assertThat(ref).as("module %s on the test class path", name).isNotNull();
      for (ModuleDescriptor.Requires r : ref.descriptor().requires()) {
        // optional (static) requirements are followed only when present, as resolution does
        if (!r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC) || byName.containsKey(r.name())) {
          todo.push(r.name());
        }
      }
    }
    Path[] paths = needed.stream().map(n -> Path.of(byName.get(n).location().orElseThrow())).toArray(Path[]::new);
    return ModuleFinder.of(paths);
  }

  @BeforeAll
  static void loadTheModules() {
    ModuleFinder finder = modulePath();
    Configuration cf = ModuleLayer.boot().configuration().resolveAndBind(finder, ModuleFinder.of(), EXPORTS.keySet());
    layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
  }

  private static Module module(String name) {
    return layer.findModule(name).orElseThrow(() -> new AssertionError(name + " is not in the layer"));
  }

  @Test
  void everyLibraryModuleIsAnExplicitNamedModule() {
    for (String name : EXPORTS.keySet()) {
      ModuleDescriptor d = module(name).getDescriptor();
      assertThat(d.isAutomatic()).as("%s is automatic (no module-info.class)", name).isFalse();
      assertThat(d.isOpen()).as("%s is open", name).isEqualTo(name.equals("dev.drkit.testkit"));
    }
  }

  @Test
  void exportsExactlyTheApiAndSpiPackagesAndNoInternalOne() {
    for (Map.Entry<String, Set<String>> e : EXPORTS.entrySet()) {
      Module m = module(e.getKey());
      Set<String> exported = m.getDescriptor().exports().stream().filter(x -> !x.isQualified())
          .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
      assertThat(exported).as("packages %s exports", e.getKey()).isEqualTo(new TreeSet<>(e.getValue()));
      for (String pkg : m.getPackages()) {
        if (pkg.contains(".internal")) {
          assertThat(m.isExported(pkg)).as("%s exports %s", e.getKey(), pkg).isFalse();
        }
      }
    }
  }

  @Test
  void theInternalPackagesExistButAreClosedToOtherModules() {
    Map<String, String> internal = Map.of("dev.drkit.core", "dev.drkit.core.internal.config",
        "dev.drkit.backup", "dev.drkit.backup.internal", "dev.drkit.replication", "dev.drkit.replication.internal",
        "dev.drkit.validation", "dev.drkit.validation.internal");
    Module reader = module("dev.drkit.micrometer");
    internal.forEach((name, pkg) -> {
      Module m = module(name);
      assertThat(m.getPackages()).as("packages of %s", name).contains(pkg);
      assertThat(m.isExported(pkg, reader)).as("%s exported to %s", pkg, reader.getName()).isFalse();
      assertThat(m.isOpen(pkg, reader)).as("%s open to %s", pkg, reader.getName()).isFalse();
    });
    assertThat(module("dev.drkit.core").isExported("dev.drkit.core.spi", reader)).isTrue();
  }

  @Test
  void noPackageIsSplitBetweenTwoDrkitModules() {
    Map<String, String> owner = new TreeMap<>();
    List<String> split = new ArrayList<>();
    for (String name : EXPORTS.keySet()) {
      for (String pkg : module(name).getPackages()) {
        String previous = owner.put(pkg, name);
        if (previous != null) {
          split.add(pkg + " in " + previous + " and " + name);
        }
      }
    }
    assertThat(split).isEmpty();
    assertThat(owner).containsEntry("dev.drkit.core.spi", "dev.drkit.core").containsEntry("dev.drkit.testkit",
        "dev.drkit.testkit");
  }

  @Test
  void dependenciesThatLeakThroughTheApiAreReadTransitively() {
    Module app = module("dev.drkit.micrometer");
    assertThat(app.canRead(module("dev.drkit.core"))).isTrue();
    Module validation = module("dev.drkit.validation");
    ModuleDescriptor.Requires sql = validation.getDescriptor().requires().stream()
        .filter(r -> r.name().equals("java.sql")).findFirst().orElseThrow();
    assertThat(sql.modifiers()).contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE);
    assertThat(validation.getDescriptor().requires()).extracting(ModuleDescriptor.Requires::name)
        .contains("java.net.http");
  }

  @Test
  void drCoreFindsDrValidationsCheckValidatorThroughServiceLoaderOnTheModulePath() throws Exception {
    Class<?> service = layer.findLoader("dev.drkit.core").loadClass("dev.drkit.core.config.CheckSpecValidator");
    List<String> providers = ServiceLoader.load(layer, service).stream().map(p -> p.type().getName()).toList();
    assertThat(providers).containsExactly("dev.drkit.validation.CheckTypesValidator");
    assertThat(module("dev.drkit.core").getDescriptor().uses()).contains("dev.drkit.core.config.CheckSpecValidator",
        "dev.drkit.core.spi.KeySource");
  }
}
