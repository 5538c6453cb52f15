package dev.drkit.core.internal.config;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.Names;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.internal.config.ConfigNode.Entry;
import dev.drkit.core.internal.config.ConfigNode.MapNode;
import dev.drkit.core.internal.config.ConfigNode.ScalarKind;
import dev.drkit.core.internal.config.ConfigNode.ScalarNode;
import dev.drkit.core.plan.DependencyGraph;
import dev.drkit.core.plan.PlanDefaults;
import dev.drkit.core.plan.RecoveryPlan;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Binds a {@link ConfigNode} tree to a {@link RecoveryPlan}, collecting every problem with its path
 * and position instead of stopping at the first. The config model's own builders do the value
 * validation; their relative paths are prefixed and placed. Not thread-safe; one per load.
 */
public final class PlanBinder {
  private static final List<String> TOP_KEYS = List.of("version", "name", "defaults", "services");
  private static final List<String> DEFAULTS_KEYS = List.of("rpo", "rto", "priority", "validation", "backup");
  private static final List<String> DEFAULTS_VALIDATION_KEYS = List.of("threshold", "timeout");
  private static final List<String> DEFAULTS_BACKUP_KEYS = List.of("retention", "encryption");
  private static final List<String> SERVICE_KEYS =
      List.of("name", "rpo", "rto", "priority", "dependencies", "validation", "backup");
  private static final List<String> STEP_KEYS = List.of("name", "checks", "threshold", "timeout");
  private static final Pattern GRAPH_PATH = Pattern.compile("services\\[(\\d+)\\](.*)");
  private static final Pattern DEPENDENCY_PATH = Pattern.compile("\\.dependencies\\[(\\d+)\\]");

  private final ProblemCollector problems;
  private final CheckSpecValidator checkValidator;
  private final NodeReader read;
  private final BackupBinder backupBinder;

  /**
   * @param problems where problems go (and where positions were remembered)
   * @param checkValidator validates each check spec
   */
  public PlanBinder(ProblemCollector problems, CheckSpecValidator checkValidator) {
    this.problems = problems;
    this.checkValidator = checkValidator;
    this.read = new NodeReader(problems);
    this.backupBinder = new BackupBinder(problems, read);
  }

  /** What was read of one service. */
  private record ServiceResult(@Nullable String name, List<@Nullable String> rawDependencies,
      @Nullable RecoveryConfig config, List<BackupStrategy> backups) {}

  /**
   * @param root the document's root
   * @return the plan
   * @throws ConfigException with every problem found (including any the reader reported before)
   */
  public RecoveryPlan bind(ConfigNode root) {
    problems.remember("", root.location());
    MapNode top = read.map("", root);
    if (top == null) {
      throw problems.toException();
    }
    read.checkKeys("", top, TOP_KEYS);
    ConfigNode version = read.field(top, "version", "");
    if (version != null && !(version instanceof ScalarNode s && s.kind() == ScalarKind.NUMBER
        && s.number() != null && s.number().compareTo(BigDecimal.ONE) == 0)) {
      problems.add("version", version, "unsupported plan version " + version.describe()
          + "; this drkit reads version 1");
    }
    String planName = read.string("name", read.field(top, "name", ""));
    PlanDefaults defaults = bindDefaults(read.field(top, "defaults", ""));

    ConfigNode servicesNode = read.field(top, "services", "");
    List<ServiceResult> results = new ArrayList<>();
    if (servicesNode == null) {
      problems.add("services", top, "a plan needs a 'services' list");
    } else {
      List<ConfigNode> items = read.list("services", servicesNode);
      if (items != null && items.isEmpty()) {
        problems.add("services", servicesNode, "a plan needs at least one service");
      }
      if (items != null) {
        for (int i = 0; i < items.size(); i++) {
          results.add(bindService(i, items.get(i), defaults));
        }
      }
    }
    checkGraph(results);
    if (!problems.isEmpty()) {
      throw problems.toException();
    }
    RecoveryPlan.Builder builder = RecoveryPlan.builder().name(planName).defaults(defaults)
        .checkValidator(CheckSpecValidator.acceptAll()); // each check was validated above, with its location
    for (ServiceResult r : results) {
      builder.service(Objects.requireNonNull(r.config(), "config"), r.backups()); // no problems: every service bound
    }
    try {
      return builder.build();
    } catch (ConfigException e) {
      problems.addAll("", e);
      throw problems.toException();
    }
  }

  // ---------------------------------------------------------------- defaults

  private PlanDefaults bindDefaults(@Nullable ConfigNode node) {
    PlanDefaults builtIn = PlanDefaults.builtIn();
    if (node == null) {
      return builtIn;
    }
    MapNode m = read.map("defaults", node);
    if (m == null) {
      return builtIn;
    }
    read.checkKeys("defaults", m, DEFAULTS_KEYS);
    Duration rpo = read.positiveOrNull("defaults.rpo", read.duration("defaults.rpo", read.field(m, "rpo", "defaults")));
    Duration rto = read.positiveOrNull("defaults.rto", read.duration("defaults.rto", read.field(m, "rto", "defaults")));
    Priority priority = read.priority("defaults.priority", read.field(m, "priority", "defaults"));
    double threshold = builtIn.validationThreshold();
    Duration timeout = builtIn.validationTimeout();
    ConfigNode validation = read.field(m, "validation", "defaults");
    if (validation != null) {
      MapNode v = read.map("defaults.validation", validation);
      if (v != null) {
        read.checkKeys("defaults.validation", v, DEFAULTS_VALIDATION_KEYS);
        Double t = read.fraction("defaults.validation.threshold", read.field(v, "threshold", "defaults.validation"));
        if (t != null) {
          if (t > 0.0 && t <= 1.0) {
            threshold = t;
          } else {
            problems.add("defaults.validation.threshold", problems.locate("defaults.validation.threshold"),
                "must be in (0, 1] (the fraction of checks that must pass) but was " + t);
          }
        }
        Duration to = read.positiveOrNull("defaults.validation.timeout",
            read.duration("defaults.validation.timeout", read.field(v, "timeout", "defaults.validation")));
        if (to != null) {
          timeout = to;
        }
      }
    }
    RetentionPolicy retention = builtIn.retention();
    EncryptionConfig encryption = null;
    ConfigNode backup = read.field(m, "backup", "defaults");
    if (backup != null) {
      MapNode b = read.map("defaults.backup", backup);
      if (b != null) {
        read.checkKeys("defaults.backup", b, DEFAULTS_BACKUP_KEYS);
        RetentionPolicy r = backupBinder.retention("defaults.backup.retention",
            read.field(b, "retention", "defaults.backup"));
        if (r != null) {
          retention = r;
        }
        encryption = backupBinder.encryption("defaults.backup.encryption",
            read.field(b, "encryption", "defaults.backup"));
      }
    }
    return new PlanDefaults(rpo, rto, priority == null ? builtIn.priority() : priority, threshold, timeout,
        retention, encryption);
  }

  // ---------------------------------------------------------------- services

  private ServiceResult bindService(int i, ConfigNode node, PlanDefaults defaults) {
    String path = "services[" + i + "]";
    MapNode m = read.map(path, node);
    if (m == null) {
      return new ServiceResult(null, List.of(), null, List.of());
    }
    read.checkKeys(path, m, SERVICE_KEYS);
    String name = read.string(path + ".name", read.field(m, "name", path));
    if (name == null && !problems.isReported(path + ".name")) {
      problems.add(path + ".name", m, "a service needs a name");
    }
    Duration rpo = read.duration(path + ".rpo", read.field(m, "rpo", path));
    Duration rto = read.duration(path + ".rto", read.field(m, "rto", path));
    requireObjective(path, m, "rpo", rpo, defaults.rpo());
    requireObjective(path, m, "rto", rto, defaults.rto());
    Priority priority = read.priority(path + ".priority", read.field(m, "priority", path));

    List<@Nullable String> rawDeps = new ArrayList<>();
    List<String> deps = new ArrayList<>();
    ConfigNode depsNode = read.field(m, "dependencies", path);
    if (depsNode != null) {
      List<ConfigNode> items = read.list(path + ".dependencies", depsNode);
      if (items != null) {
        for (int j = 0; j < items.size(); j++) {
          String dp = path + ".dependencies[" + j + "]";
          problems.remember(dp, items.get(j).location());
          String d = read.string(dp, items.get(j));
          if (d != null && d.isBlank()) {
            problems.add(dp, items.get(j), "a dependency must name a service");
            d = null;
          } else if (d != null && d.equals(name)) {
            problems.add(dp, items.get(j), "a service cannot depend on itself: " + name + " -> " + name);
            d = null;
          } else if (d == null && !problems.isReported(dp)) {
            problems.add(dp, items.get(j), "a dependency must name a service");
          }
          rawDeps.add(d);
          if (d != null) {
            deps.add(d);
          }
        }
      }
    }

    List<ValidationStep> steps = new ArrayList<>();
    ConfigNode validationNode = read.field(m, "validation", path);
    if (validationNode != null) {
      List<ConfigNode> items = read.list(path + ".validation", validationNode);
      if (items != null) {
        Map<String, Integer> stepNames = new HashMap<>();
        for (int s = 0; s < items.size(); s++) {
          String sp = path + ".validation[" + s + "]";
          ValidationStep step = bindStep(sp, items.get(s), defaults);
          if (step != null) {
            Integer first = stepNames.putIfAbsent(step.name(), s);
            if (first != null) {
              problems.add(sp + ".name", problems.locate(sp + ".name"), "duplicate validation step name '"
                  + step.name() + "' (also " + path + ".validation[" + first + "])");
            } else {
              steps.add(step);
            }
          }
        }
      }
    }

    List<BackupStrategy> backups = new ArrayList<>();
    ConfigNode backupNode = read.field(m, "backup", path);
    if (backupNode != null) {
      List<ConfigNode> items = read.list(path + ".backup", backupNode);
      if (items != null) {
        Map<String, Integer> strategyNames = new HashMap<>();
        for (int k = 0; k < items.size(); k++) {
          String bp = path + ".backup[" + k + "]";
          BackupStrategy strategy = backupBinder.strategy(bp, items.get(k), defaults);
          if (strategy != null) {
            Integer first = strategyNames.putIfAbsent(strategy.name(), k);
            if (first != null) {
              problems.add(bp + ".name", problems.locate(bp + ".name"), "service '" + name
                  + "' has two backup strategies named '" + strategy.name() + "' (also " + path + ".backup["
                  + first + "]); give each a distinct name");
            } else {
              backups.add(strategy);
            }
          }
        }
      }
    }

    RecoveryConfig config = null;
    try {
      config = RecoveryConfig.builder(name)
          .rpo(rpo != null ? rpo : defaults.rpo())
          .rto(rto != null ? rto : defaults.rto())
          .priority(priority != null ? priority : defaults.priority())
          .dependencies(deps)
          .validation(steps)
          .checkValidator(CheckSpecValidator.acceptAll()) // each check was validated above, with its location
          .build();
    } catch (ConfigException e) {
      problems.addAll(path, e);
    }
    if (config == null && name != null && Names.isValid(name)) {
      // A stand-in with the same name and edges, so that the dependency checks of the whole plan
      // still run (and do not call this service unknown) while its own problems are reported.
      try {
        config = RecoveryConfig.builder(name).rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(1))
            .dependencies(deps).build();
      } catch (ConfigException e) {
        config = null;
      }
    }
    return new ServiceResult(name, rawDeps, config, backups);
  }

  private void requireObjective(String path, MapNode m, String field, @Nullable Duration own,
      @Nullable Duration inherited) {
    String fp = path + "." + field;
    if (own == null && inherited == null && !problems.isReported(fp) && !problems.isReported("defaults." + field)) {
      problems.add(fp, m, "'" + field + "' is required: set it on the service or as defaults." + field);
    }
  }

  private @Nullable ValidationStep bindStep(String path, ConfigNode node, PlanDefaults defaults) {
    int before = problems.count();
    MapNode m = read.map(path, node);
    if (m == null) {
      return null;
    }
    read.checkKeys(path, m, STEP_KEYS);
    String name = read.string(path + ".name", read.field(m, "name", path));
    List<CheckSpec> checks = new ArrayList<>();
    ConfigNode checksNode = read.field(m, "checks", path);
    if (checksNode != null) {
      List<ConfigNode> items = read.list(path + ".checks", checksNode);
      if (items != null) {
        for (int c = 0; c < items.size(); c++) {
          CheckSpec spec = bindCheck(path + ".checks[" + c + "]", items.get(c));
          // A stand-in keeps the step's own rules (threshold, timeout, at least one check) checked.
          checks.add(spec != null ? spec : CheckSpec.of("invalid"));
        }
      }
    }
    Double threshold = read.fraction(path + ".threshold", read.field(m, "threshold", path));
    Duration timeout = read.duration(path + ".timeout", read.field(m, "timeout", path));
    try {
      @SuppressWarnings("NullAway") // a missing name is reported by ValidationStep's constructor, with its path
      ValidationStep step = new ValidationStep(name, checks,
          threshold != null ? threshold : defaults.validationThreshold(),
          timeout != null ? timeout : defaults.validationTimeout());
      return problems.count() == before ? step : null;
    } catch (ConfigException e) {
      problems.addAll(path, e);
      return null;
    }
  }

  private @Nullable CheckSpec bindCheck(String path, ConfigNode node) {
    problems.remember(path, node.location());
    CheckSpec spec;
    if (node instanceof ScalarNode s && s.kind() == ScalarKind.STRING) {
      // A bare name: a check the host registered under that name.
      try {
        spec = CheckSpec.of(s.text());
      } catch (ConfigException e) {
        problems.add(path, node, "a check needs a non-blank type or registered name");
        return null;
      }
    } else {
      int before = problems.count();
      MapNode m = read.map(path, node);
      if (m == null) {
        return null;
      }
      String type = read.string(path + ".type", read.field(m, "type", path));
      if (type == null && !problems.isReported(path + ".type")) {
        problems.add(path + ".type", m, "a check needs a 'type' (a built-in check or a registered name)");
      }
      Map<String, Object> params = new LinkedHashMap<>();
      for (Entry e : m.entries().values()) {
        if (e.key().equals("type")) {
          continue;
        }
        String pp = path + "." + e.key();
        problems.remember(pp, e.value().location());
        Object value = read.plain(pp, e.value());
        if (value != null) {
          params.put(e.key(), value);
        }
      }
      if (problems.count() != before || type == null) {
        return null;
      }
      try {
        spec = CheckSpec.of(type, params);
      } catch (ConfigException e) {
        problems.addAll(path, e);
        return null;
      }
    }
    try {
      checkValidator.validate(spec);
      return spec;
    } catch (ConfigException e) {
      for (ConfigException.Problem p : e.problems()) {
        String rel = p.path().startsWith("params.") ? p.path().substring("params.".length()) : p.path();
        String full = ProblemCollector.join(path, rel);
        problems.add(full, problems.locate(full), p.message());
      }
      return null;
    } catch (RuntimeException e) {
      problems.add(path, node, "the check validator failed on this check: " + e);
      return null;
    }
  }

  // ---------------------------------------------------------------- graph

  private void checkGraph(List<ServiceResult> results) {
    List<RecoveryConfig> configs = new ArrayList<>();
    List<Integer> fileIndex = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      RecoveryConfig c = results.get(i).config();
      if (c != null) {
        configs.add(c);
        fileIndex.add(i);
      }
    }
    try {
      DependencyGraph.of(configs);
    } catch (ConfigException e) {
      for (ConfigException.Problem p : e.problems()) {
        String path = remap(p.path(), configs, fileIndex, results);
        if (!problems.isReported(path)) {
          problems.add(path, problems.locate(path), p.message());
        }
      }
    }
  }

  /** Turns a graph path (index into the built configs) into the file's path. */
  private static String remap(String graphPath, List<RecoveryConfig> configs, List<Integer> fileIndex,
      List<ServiceResult> results) {
    Matcher m = GRAPH_PATH.matcher(graphPath);
    if (!m.matches()) {
      return graphPath;
    }
    int k = Integer.parseInt(m.group(1));
    if (k >= fileIndex.size()) {
      return graphPath;
    }
    int i = fileIndex.get(k);
    String rest = m.group(2);
    Matcher d = DEPENDENCY_PATH.matcher(rest);
    if (d.matches()) {
      int j = Integer.parseInt(d.group(1));
      List<String> deps = configs.get(k).dependencies();
      if (j < deps.size()) {
        int raw = results.get(i).rawDependencies().indexOf(deps.get(j));
        if (raw >= 0) {
          rest = ".dependencies[" + raw + "]";
        }
      }
    }
    return "services[" + i + "]" + rest;
  }

}
