package dev.drkit.core.plan;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.internal.config.CheckValidation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A validated recovery plan: the protected services, each service's backup strategies (a service
 * may have several, for example a weekly full and a daily incremental), the defaults they inherited,
 * and the {@link DependencyGraph} that orders their recovery. Immutable and thread-safe. Load one
 * with {@link PlanLoader} or build one in code with {@link #builder()}.
 */
public final class RecoveryPlan {
  private final @Nullable String name;
  private final PlanDefaults defaults;
  private final List<RecoveryConfig> services;
  private final Map<String, List<BackupStrategy>> backups;
  private final DependencyGraph graph;

  private RecoveryPlan(Builder b, DependencyGraph graph) {
    this.name = b.name;
    this.defaults = b.defaults;
    this.services = List.copyOf(b.services);
    Map<String, List<BackupStrategy>> copy = new LinkedHashMap<>();
    for (int i = 0; i < b.services.size(); i++) {
      copy.put(b.services.get(i).name(), List.copyOf(b.strategies.get(i)));
    }
    this.backups = Collections.unmodifiableMap(copy);
    this.graph = graph;
  }

  /** @return an empty builder with the {@linkplain PlanDefaults#builtIn() built-in defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the plan's name, or {@code null} when it has none */
  public @Nullable String name() {
    return name;
  }

  /** @return the defaults the services inherited */
  public PlanDefaults defaults() {
    return defaults;
  }

  /** @return every service, in declaration order */
  public List<RecoveryConfig> services() {
    return services;
  }

  /**
   * @param name a service name
   * @return that service
   * @throws NoSuchElementException when the plan has no such service
   */
  public RecoveryConfig service(String name) {
    return graph.service(name);
  }

  /**
   * @param service a service name
   * @return its backup strategies in declaration order (empty when it has none)
   * @throws NoSuchElementException when the plan has no such service
   */
  public List<BackupStrategy> backups(String service) {
    List<BackupStrategy> list = backups.get(Objects.requireNonNull(service, "service"));
    if (list == null) {
      throw new NoSuchElementException("no service named '" + service + "' in the plan");
    }
    return list;
  }

  /** @return every service's backup strategies by service name, in declaration order */
  public Map<String, List<BackupStrategy>> backups() {
    return backups;
  }

  /** @return the dependency graph, with the recovery waves */
  public DependencyGraph graph() {
    return graph;
  }

  /** @return the recovery waves; see {@link DependencyGraph#waves()} */
  public List<List<RecoveryConfig>> waves() {
    return graph.waves();
  }

  /** @return every service in recovery order; see {@link DependencyGraph#topologicalOrder()} */
  public List<RecoveryConfig> recoveryOrder() {
    return graph.topologicalOrder();
  }

  @Override
  public String toString() {
    return "RecoveryPlan{" + (name == null ? "" : name + ", ") + services.size() + " services, "
        + graph.waves().size() + " waves}";
  }

  /** Builds a {@link RecoveryPlan}; not thread-safe. */
  public static final class Builder {
    private @Nullable String name;
    private PlanDefaults defaults = PlanDefaults.builtIn();
    private final List<RecoveryConfig> services = new ArrayList<>();
    private final List<List<BackupStrategy>> strategies = new ArrayList<>();
    private CheckSpecValidator checkValidator = CheckSpecValidator.discovered();

    private Builder() {}

    /**
     * Sets what checks every {@link dev.drkit.core.config.CheckSpec} of every service in {@link #build()}.
     * The default, {@link CheckSpecValidator#discovered()}, knows dr-validation's check types when
     * it is on the class path; pass {@code registry.specValidator()} to also require that the
     * DataSources and other resources the checks name are registered.
     *
     * @param validator what decides whether each check spec is valid
     * @return this builder
     * @throws NullPointerException when {@code validator} is null
     */
    public Builder checkValidator(CheckSpecValidator validator) {
      this.checkValidator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * @param name the plan's name, or {@code null} for none
     * @return this builder
     */
    public Builder name(@Nullable String name) {
      this.name = name;
      return this;
    }

    /**
     * Records the defaults the services were built with. Services added in code are already built,
     * so the defaults are informational here; {@link PlanLoader} applies them while reading.
     *
     * @param defaults the plan-wide defaults the services were built with
     * @return this builder
     * @throws NullPointerException when {@code defaults} is null
     */
    public Builder defaults(PlanDefaults defaults) {
      this.defaults = Objects.requireNonNull(defaults, "defaults");
      return this;
    }

    /**
     * @param service a service, appended
     * @param backups its backup strategies
     * @return this builder
     * @throws NullPointerException when an argument or strategy is null
     */
    public Builder service(RecoveryConfig service, BackupStrategy... backups) {
      return service(service, List.of(backups));
    }

    /**
     * @param service a service, appended
     * @param backups its backup strategies
     * @return this builder
     * @throws NullPointerException when an argument or strategy is null
     */
    public Builder service(RecoveryConfig service, List<BackupStrategy> backups) {
      services.add(Objects.requireNonNull(service, "service"));
      strategies.add(List.copyOf(backups));
      return this;
    }

    /**
     * @return the plan
     * @throws ConfigException naming, with paths such as {@code services[3].backup[1].name}, two
     *     strategies of one service with the same name, a duplicate service, an unknown dependency,
     *     a dependency cycle, or a check the {@linkplain #checkValidator check validator} refuses
     *     (at paths such as {@code services[1].validation[0].checks[2].params.urll}, the message
     *     naming the service and step)
     */
    public RecoveryPlan build() {
      List<ConfigException.Problem> problems = new ArrayList<>();
      for (int i = 0; i < services.size(); i++) {
        RecoveryConfig service = services.get(i);
        problems.addAll(CheckValidation.problems(service.name(), service.validation(), checkValidator,
            "services[" + i + "]."));
        Set<String> names = new HashSet<>();
        List<BackupStrategy> list = strategies.get(i);
        for (int k = 0; k < list.size(); k++) {
          if (!names.add(list.get(k).name())) {
            problems.add(ConfigException.Problem.of("services[" + i + "].backup[" + k + "].name",
                "service '" + services.get(i).name() + "' has two backup strategies named '"
                    + list.get(k).name() + "'; give each a distinct name"));
          }
        }
      }
      DependencyGraph graph;
      try {
        graph = DependencyGraph.of(services);
      } catch (ConfigException e) {
        problems.addAll(e.problems());
        throw new ConfigException(problems);
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new RecoveryPlan(this, graph);
    }
  }
}
