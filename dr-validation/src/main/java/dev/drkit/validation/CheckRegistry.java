package dev.drkit.validation;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.Names;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.RangeDigestSource;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SyntheticTransaction;
import dev.drkit.validation.checks.HttpCheck;
import dev.drkit.validation.checks.IntegrityCheck;
import dev.drkit.validation.checks.JdbcCheck;
import dev.drkit.validation.checks.PerformanceCheck;
import dev.drkit.validation.checks.SyntheticCheck;
import dev.drkit.validation.checks.TcpCheck;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Maps the check types of plan files to {@link HealthCheck}s: the built-in types ({@code tcp},
 * {@code http}, {@code jdbc}, {@code integrity}, {@code synthetic}, {@code performance}), types a
 * host adds with {@link #registerType}, and ready-made checks a host registers by name with
 * {@link #registerCheck}. It also holds the named resources that plans refer to: DataSources,
 * synthetic transactions and integrity sides.
 *
 * <p>{@link #specValidator()} plugs into plan loading, so that an unknown type, a missing or
 * ill-typed parameter, or a reference to an unregistered resource is a {@link ConfigException}
 * naming the field ({@code type}, {@code params.port}). Register everything before loading plans.
 *
 * <p>Thread-safe.
 */
public final class CheckRegistry {
  /** The built-in types, in the order they are listed. */
  private static final Map<String, CheckFactory> BUILT_INS = builtIns();
  /** Every registry still referenced, for {@link #validateShape}; weak so registries can be collected. */
  private static final Set<CheckRegistry> LIVE =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  private final Map<String, CheckFactory> factories = new ConcurrentHashMap<>();
  private final Map<String, HealthCheck> checks = new ConcurrentHashMap<>();
  private final Map<String, Object> resources = new ConcurrentHashMap<>();

  private CheckRegistry() {
    LIVE.add(this);
  }

  private static Map<String, CheckFactory> builtIns() {
    Map<String, CheckFactory> m = new LinkedHashMap<>();
    m.put("tcp", TcpCheck.factory());
    m.put("http", HttpCheck.factory());
    m.put("jdbc", JdbcCheck.factory());
    m.put("integrity", IntegrityCheck.factory());
    m.put("synthetic", SyntheticCheck.factory());
    m.put("performance", PerformanceCheck.factory());
    return Collections.unmodifiableMap(m);
  }

  /** @return a registry without any type */
  public static CheckRegistry empty() {
    return new CheckRegistry();
  }

  /** @return a registry with the built-in check types */
  public static CheckRegistry withBuiltIns() {
    CheckRegistry r = new CheckRegistry();
    BUILT_INS.forEach(r::registerType);
    return r;
  }

  /**
   * @param type the type name used in plans
   * @param factory builds checks of that type
   * @return this registry
   * @throws IllegalArgumentException when the name is invalid or already taken
   */
  public CheckRegistry registerType(String type, CheckFactory factory) {
    Objects.requireNonNull(factory, "factory");
    checkName(type);
    if (checks.containsKey(type) || factories.putIfAbsent(type, factory) != null) {
      throw new IllegalArgumentException("check type '" + type + "' is already registered");
    }
    return this;
  }

  /**
   * Registers a host's check by name: a plan refers to it as {@code type: <name>}, and
   * {@code performance} checks may use it as their {@code operation}.
   *
   * @param name the type a plan uses to refer to the check
   * @param check the check to run for that type
   * @return this registry
   * @throws IllegalArgumentException when the name is invalid or already taken
   */
  public CheckRegistry registerCheck(String name, HealthCheck check) {
    Objects.requireNonNull(check, "check");
    checkName(name);
    if (factories.containsKey(name) || checks.putIfAbsent(name, check) != null) {
      throw new IllegalArgumentException("check type '" + name + "' is already registered");
    }
    resources.put(HealthCheck.class.getName() + ":" + name, check);
    return this;
  }

  /**
   * @param name the name {@code jdbc} and {@code integrity} checks refer to
   * @param dataSource the host's DataSource
   * @return this registry
   */
  public CheckRegistry registerDataSource(String name, DataSource dataSource) {
    return resource(name, DataSource.class, dataSource);
  }

  /**
   * @param name the name {@code synthetic} checks refer to as {@code transaction}
   * @param transaction the host's synthetic transaction
   * @return this registry
   */
  public CheckRegistry registerSynthetic(String name, SyntheticTransaction transaction) {
    return resource(name, SyntheticTransaction.class, transaction);
  }

  /**
   * @param name the name {@code integrity} checks refer to as {@code primary} or {@code backup}
   * @param source one side of an integrity comparison
   * @return this registry
   */
  public CheckRegistry registerDigestSource(String name, RangeDigestSource source) {
    return resource(name, RangeDigestSource.class, source);
  }

  private <T> CheckRegistry resource(String name, Class<T> kind, T value) {
    Objects.requireNonNull(value, "value");
    checkName(name);
    if (resources.putIfAbsent(kind.getName() + ":" + name, value) != null) {
      throw new IllegalArgumentException("a " + kind.getSimpleName() + " named '" + name + "' is already registered");
    }
    return this;
  }

  private static void checkName(String name) {
    if (!Names.isValid(name)) {
      throw new IllegalArgumentException("'" + name
          + "' is not a valid name (letters, digits, '.', '_', '-'; starting with a letter or digit)");
    }
  }

  /** @return every type a plan may use: built-in, added and registered checks */
  public Set<String> types() {
    Set<String> all = new TreeSet<>(factories.keySet());
    all.addAll(checks.keySet());
    return all;
  }

  /** @return a validator for plan loading backed by this registry */
  public CheckSpecValidator specValidator() {
    return this::validate;
  }

  /**
   * Validates a spec for every site it may run on.
   *
   * @param spec the check's spec as a plan declares it
   * @throws ConfigException naming each problem ({@code type}, {@code params.port})
   */
  public void validate(CheckSpec spec) {
    Objects.requireNonNull(spec, "spec");
    Set<ConfigException.Problem> problems = new LinkedHashSet<>();
    if (spec.params().get("sites") == null) {
      collect(spec, null, problems);
    } else {
      collect(spec, Site.PRIMARY, problems);
      collect(spec, Site.BACKUP, problems);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(List.copyOf(problems));
    }
  }

  /**
   * Builds the check a spec declares, for one site (applying the spec's {@code sites} overrides).
   *
   * @param spec the check's spec as a plan declares it
   * @param site the site the check will probe
   * @return the check
   * @throws ConfigException naming each problem
   */
  @SuppressWarnings("InvalidParam") // {@code sites} names the spec's parameter, not this method's
  public HealthCheck create(CheckSpec spec, Site site) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(site, "site");
    Set<ConfigException.Problem> problems = new LinkedHashSet<>();
    HealthCheck check = collect(spec, site, problems);
    if (!problems.isEmpty() || check == null) {
      throw new ConfigException(problems.isEmpty()
          ? List.of(ConfigException.Problem.of("type", "could not build a '" + spec.type() + "' check"))
          : List.copyOf(problems));
    }
    return check;
  }

  private @Nullable HealthCheck collect(CheckSpec spec, @Nullable Site site, Set<ConfigException.Problem> out) {
    return collect(spec, site, out, factories.get(spec.type()), checks.get(spec.type()), resources::get, false,
        types(), "");
  }

  /**
   * Validates a spec's type and parameters against the built-in types and the types and checks
   * registered on every registry still in use, without requiring the resources it names
   * (DataSources, transactions, digest sources, checks used as an operation) to be registered:
   * those are registered on the registry that runs the check, possibly after the configuration was
   * built. This is what {@link CheckTypesValidator}, the validator dr-core finds through
   * {@link java.util.ServiceLoader}, runs for every configuration and plan.
   *
   * @param spec the check's spec as a plan declares it
   * @throws ConfigException naming each problem ({@code type}, {@code params.urll}), with a "did
   *     you mean" hint for a misspelt type or parameter
   */
  static void validateShape(CheckSpec spec) {
    Objects.requireNonNull(spec, "spec");
    CheckFactory factory = BUILT_INS.get(spec.type());
    HealthCheck named = null;
    Set<String> known = new TreeSet<>(BUILT_INS.keySet());
    synchronized (LIVE) {
      for (CheckRegistry r : LIVE) {
        known.addAll(r.types());
        if (factory == null && named == null) {
          factory = r.factories.get(spec.type());
          named = factory == null ? r.checks.get(spec.type()) : null;
        }
      }
    }
    Set<ConfigException.Problem> problems = new LinkedHashSet<>();
    String hint = "; a host's own check type or check must be registered on a CheckRegistry"
        + " (registerType, registerCheck) before a configuration or plan using it is built";
    if (spec.params().get("sites") == null) {
      collect(spec, null, problems, factory, named, k -> null, true, known, hint);
    } else {
      collect(spec, Site.PRIMARY, problems, factory, named, k -> null, true, known, hint);
      collect(spec, Site.BACKUP, problems, factory, named, k -> null, true, known, hint);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(List.copyOf(problems));
    }
  }

  private static @Nullable HealthCheck collect(CheckSpec spec, @Nullable Site site, Set<ConfigException.Problem> out,
      @Nullable CheckFactory factory, @Nullable HealthCheck named, Function<String, @Nullable Object> resources,
      boolean shapeOnly, Set<String> knownTypes, String unknownTypeHint) {
    List<ConfigException.Problem> problems = new ArrayList<>();
    Object name = spec.params().get("name");
    if (name != null && !(name instanceof String s && !s.isBlank())) {
      problems.add(ConfigException.Problem.of("params.name", "must be a non-blank string"));
    }
    Map<String, Object> params = CheckParams.forSite(spec.params(), site, problems);
    HealthCheck result = null;
    if (factory != null) {
      CheckParams p = new CheckParams(spec.type(), params, site, resources, shapeOnly);
      try {
        result = factory.create(p);
        p.ensureValid();
      } catch (CheckParams.ShapeValid valid) {
        result = null;
      } catch (ConfigException e) {
        problems.addAll(e.problems());
        result = null;
      } catch (RuntimeException e) {
        if (!shapeOnly || p.unresolved().isEmpty()) {
          throw e;
        }
        // a host's factory that does not call ensureValid() failed on a resource not registered yet
        result = null;
      }
    } else if (named != null) {
      for (String k : params.keySet()) {
        problems.add(ConfigException.Problem.of("params." + k,
            "unknown parameter: '" + spec.type() + "' is a check registered by the host and takes no parameters"));
      }
      result = named;
    } else {
      String suggestion = Names.closest(spec.type(), knownTypes);
      problems.add(ConfigException.Problem.of("type", "unknown check type '" + spec.type() + "'"
          + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
          + "; known types: " + String.join(", ", knownTypes) + unknownTypeHint));
    }
    out.addAll(problems);
    return problems.isEmpty() ? result : null;
  }

  /**
   * @param spec the check's spec as a plan declares it
   * @return the name its results carry: its {@code name} parameter, else its type and the parameter
   *     that tells it apart (url, host and port, DataSource, ...), as declared (without applying
   *     any {@code sites} override; see {@link #displayName(CheckSpec, Site)})
   */
  public static String displayName(CheckSpec spec) {
    String name = spec.param("name");
    if (name != null && !name.isBlank()) {
      return name;
    }
    String host = spec.param("host");
    String port = spec.param("port");
    if (host != null && port != null) {
      return spec.type() + " " + host + ":" + port;
    }
    for (String k : List.of("url", "dataSource", "transaction", "operation", "primary")) {
      String v = spec.param(k);
      if (v != null) {
        String backup = spec.param("backup");
        return spec.type() + " " + v + (k.equals("primary") && backup != null ? " vs " + backup : "");
      }
    }
    return spec.type();
  }

  /**
   * The name a check's results carry when it probes one site, so that a check with a {@code sites}
   * override says which site it probes: the site override's own {@code name} when it has one; else
   * the check's {@code name} followed by the site in parentheses ({@code "db port (backup)"}); else,
   * as {@link #displayName(CheckSpec)} but from the parameters after the site's override is applied,
   * its type and what it actually probes there ({@code "http http://backup.internal/health"}). A
   * check without an override for the site is named as {@link #displayName(CheckSpec)} names it.
   *
   * @param spec the check's spec as a plan declares it
   * @param site the site probed
   * @return the name of the check's results on that site
   */
  @SuppressWarnings("InvalidParam") // {@code sites} names the spec's parameter, not this method's
  public static String displayName(CheckSpec spec, Site site) {
    Objects.requireNonNull(site, "site");
    if (!(spec.params().get("sites") instanceof Map<?, ?> sites)
        || !(sites.get(site.name().toLowerCase(java.util.Locale.ROOT)) instanceof Map<?, ?> override)) {
      return displayName(spec);
    }
    Object siteName = override.get("name");
    if (siteName != null && !String.valueOf(siteName).isBlank()) {
      return String.valueOf(siteName);
    }
    String name = spec.param("name");
    if (name != null && !name.isBlank()) {
      return name + " (" + site.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
    Map<String, Object> merged = CheckParams.forSite(spec.params(), site, new ArrayList<>());
    merged.remove("name");
    return displayName(new CheckSpec(spec.type(), merged));
  }
}
