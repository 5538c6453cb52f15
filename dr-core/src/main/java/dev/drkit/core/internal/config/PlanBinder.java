package dev.drkit.core.internal.config;

import dev.drkit.core.BackupStrategy;
import dev.drkit.core.BackupType;
import dev.drkit.core.CheckSpec;
import dev.drkit.core.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.CronSchedule;
import dev.drkit.core.EncryptionConfig;
import dev.drkit.core.Names;
import dev.drkit.core.Priority;
import dev.drkit.core.RecoveryConfig;
import dev.drkit.core.RetentionPolicy;
import dev.drkit.core.ValidationStep;
import dev.drkit.core.internal.config.ConfigNode.Entry;
import dev.drkit.core.internal.config.ConfigNode.ListNode;
import dev.drkit.core.internal.config.ConfigNode.MapNode;
import dev.drkit.core.internal.config.ConfigNode.ScalarKind;
import dev.drkit.core.internal.config.ConfigNode.ScalarNode;
import dev.drkit.core.plan.DependencyGraph;
import dev.drkit.core.plan.Durations;
import dev.drkit.core.plan.PlanDefaults;
import dev.drkit.core.plan.RecoveryPlan;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
  private static final List<String> BACKUP_KEYS = List.of("name", "type", "schedule", "retention", "encryption");
  private static final List<String> RETENTION_KEYS = List.of("keep-last", "keep-hourly", "keep-daily",
      "keep-weekly", "keep-monthly", "keep-yearly", "keep-within", "keep-tags");
  private static final List<String> ENCRYPTION_KEYS = List.of("algorithm", "key-source");
  private static final Pattern GRAPH_PATH = Pattern.compile("services\\[(\\d+)\\](.*)");
  private static final Pattern DEPENDENCY_PATH = Pattern.compile("\\.dependencies\\[(\\d+)\\]");

  private final ProblemCollector problems;
  private final CheckSpecValidator checkValidator;

  /**
   * @param problems where problems go (and where positions were remembered)
   * @param checkValidator validates each check spec
   */
  public PlanBinder(ProblemCollector problems, CheckSpecValidator checkValidator) {
    this.problems = problems;
    this.checkValidator = checkValidator;
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
    MapNode top = map("", root);
    if (top == null) {
      throw problems.toException();
    }
    checkKeys("", top, TOP_KEYS);
    ConfigNode version = field(top, "version", "");
    if (version != null && !(version instanceof ScalarNode s && s.kind() == ScalarKind.NUMBER
        && s.number() != null && s.number().compareTo(BigDecimal.ONE) == 0)) {
      problems.add("version", version, "unsupported plan version " + version.describe() + "; this drkit reads version 1");
    }
    String planName = string("name", field(top, "name", ""));
    PlanDefaults defaults = bindDefaults(field(top, "defaults", ""));

    ConfigNode servicesNode = field(top, "services", "");
    List<ServiceResult> results = new ArrayList<>();
    if (servicesNode == null) {
      problems.add("services", top, "a plan needs a 'services' list");
    } else {
      List<ConfigNode> items = list("services", servicesNode);
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
    MapNode m = map("defaults", node);
    if (m == null) {
      return builtIn;
    }
    checkKeys("defaults", m, DEFAULTS_KEYS);
    Duration rpo = positiveOrNull("defaults.rpo", duration("defaults.rpo", field(m, "rpo", "defaults")));
    Duration rto = positiveOrNull("defaults.rto", duration("defaults.rto", field(m, "rto", "defaults")));
    Priority priority = priority("defaults.priority", field(m, "priority", "defaults"));
    double threshold = builtIn.validationThreshold();
    Duration timeout = builtIn.validationTimeout();
    ConfigNode validation = field(m, "validation", "defaults");
    if (validation != null) {
      MapNode v = map("defaults.validation", validation);
      if (v != null) {
        checkKeys("defaults.validation", v, DEFAULTS_VALIDATION_KEYS);
        Double t = fraction("defaults.validation.threshold", field(v, "threshold", "defaults.validation"));
        if (t != null) {
          if (t > 0.0 && t <= 1.0) {
            threshold = t;
          } else {
            problems.add("defaults.validation.threshold", problems.locate("defaults.validation.threshold"),
                "must be in (0, 1] (the fraction of checks that must pass) but was " + t);
          }
        }
        Duration to = positiveOrNull("defaults.validation.timeout",
            duration("defaults.validation.timeout", field(v, "timeout", "defaults.validation")));
        if (to != null) {
          timeout = to;
        }
      }
    }
    RetentionPolicy retention = builtIn.retention();
    EncryptionConfig encryption = null;
    ConfigNode backup = field(m, "backup", "defaults");
    if (backup != null) {
      MapNode b = map("defaults.backup", backup);
      if (b != null) {
        checkKeys("defaults.backup", b, DEFAULTS_BACKUP_KEYS);
        RetentionPolicy r = retention("defaults.backup.retention", field(b, "retention", "defaults.backup"));
        if (r != null) {
          retention = r;
        }
        encryption = encryption("defaults.backup.encryption", field(b, "encryption", "defaults.backup"));
      }
    }
    return new PlanDefaults(rpo, rto, priority == null ? builtIn.priority() : priority, threshold, timeout,
        retention, encryption);
  }

  private @Nullable Duration positiveOrNull(String path, @Nullable Duration d) {
    if (d != null && (d.isZero() || d.isNegative())) {
      problems.add(path, problems.locate(path), "must be positive but was " + Durations.format(d));
      return null;
    }
    return d;
  }

  // ---------------------------------------------------------------- services

  private ServiceResult bindService(int i, ConfigNode node, PlanDefaults defaults) {
    String path = "services[" + i + "]";
    MapNode m = map(path, node);
    if (m == null) {
      return new ServiceResult(null, List.of(), null, List.of());
    }
    checkKeys(path, m, SERVICE_KEYS);
    String name = string(path + ".name", field(m, "name", path));
    if (name == null && !problems.isReported(path + ".name")) {
      problems.add(path + ".name", m, "a service needs a name");
    }
    Duration rpo = duration(path + ".rpo", field(m, "rpo", path));
    Duration rto = duration(path + ".rto", field(m, "rto", path));
    requireObjective(path, m, "rpo", rpo, defaults.rpo());
    requireObjective(path, m, "rto", rto, defaults.rto());
    Priority priority = priority(path + ".priority", field(m, "priority", path));

    List<@Nullable String> rawDeps = new ArrayList<>();
    List<String> deps = new ArrayList<>();
    ConfigNode depsNode = field(m, "dependencies", path);
    if (depsNode != null) {
      List<ConfigNode> items = list(path + ".dependencies", depsNode);
      if (items != null) {
        for (int j = 0; j < items.size(); j++) {
          String dp = path + ".dependencies[" + j + "]";
          problems.remember(dp, items.get(j).location());
          String d = string(dp, items.get(j));
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
    ConfigNode validationNode = field(m, "validation", path);
    if (validationNode != null) {
      List<ConfigNode> items = list(path + ".validation", validationNode);
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
    ConfigNode backupNode = field(m, "backup", path);
    if (backupNode != null) {
      List<ConfigNode> items = list(path + ".backup", backupNode);
      if (items != null) {
        Map<String, Integer> strategyNames = new HashMap<>();
        for (int k = 0; k < items.size(); k++) {
          String bp = path + ".backup[" + k + "]";
          BackupStrategy strategy = bindBackup(bp, items.get(k), defaults);
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
    MapNode m = map(path, node);
    if (m == null) {
      return null;
    }
    checkKeys(path, m, STEP_KEYS);
    String name = string(path + ".name", field(m, "name", path));
    List<CheckSpec> checks = new ArrayList<>();
    ConfigNode checksNode = field(m, "checks", path);
    if (checksNode != null) {
      List<ConfigNode> items = list(path + ".checks", checksNode);
      if (items != null) {
        for (int c = 0; c < items.size(); c++) {
          CheckSpec spec = bindCheck(path + ".checks[" + c + "]", items.get(c));
          // A stand-in keeps the step's own rules (threshold, timeout, at least one check) checked.
          checks.add(spec != null ? spec : CheckSpec.of("invalid"));
        }
      }
    }
    Double threshold = fraction(path + ".threshold", field(m, "threshold", path));
    Duration timeout = duration(path + ".timeout", field(m, "timeout", path));
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
      MapNode m = map(path, node);
      if (m == null) {
        return null;
      }
      String type = string(path + ".type", field(m, "type", path));
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
        Object value = plain(pp, e.value());
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

  private @Nullable Object plain(String path, ConfigNode node) {
    if (node instanceof ScalarNode s) {
      switch (s.kind()) {
        case STRING:
          return s.text();
        case BOOLEAN:
          return Boolean.parseBoolean(s.text());
        case NUMBER: {
          BigDecimal n = s.number();
          if (n == null) {
            return null;
          }
          if (n.scale() <= 0 || n.stripTrailingZeros().scale() <= 0) {
            try {
              long v = n.longValueExact();
              return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? (Object) (int) v : (Object) v;
            } catch (ArithmeticException e) {
              return n;
            }
          }
          double d = n.doubleValue();
          return Double.isFinite(d) ? (Object) d : n;
        }
        case NULL:
        default:
          if (!problems.isReported(path)) {
            problems.add(path, node, "a check parameter needs a value");
          }
          return null;
      }
    }
    if (node instanceof ListNode l) {
      List<Object> out = new ArrayList<>(l.items().size());
      for (int i = 0; i < l.items().size(); i++) {
        Object v = plain(path + "[" + i + "]", l.items().get(i));
        if (v == null) {
          return null;
        }
        out.add(v);
      }
      return Collections.unmodifiableList(out);
    }
    MapNode m = (MapNode) node;
    Map<String, Object> out = new LinkedHashMap<>();
    for (Entry e : m.entries().values()) {
      Object v = plain(path + "." + e.key(), e.value());
      if (v == null) {
        return null;
      }
      out.put(e.key(), v);
    }
    return Collections.unmodifiableMap(out);
  }

  // ---------------------------------------------------------------- backups

  private @Nullable BackupStrategy bindBackup(String path, ConfigNode node, PlanDefaults defaults) {
    int before = problems.count();
    MapNode m = map(path, node);
    if (m == null) {
      return null;
    }
    checkKeys(path, m, BACKUP_KEYS);
    BackupStrategy.Builder b = BackupStrategy.builder();
    b.name(string(path + ".name", field(m, "name", path)));
    ConfigNode typeNode = field(m, "type", path);
    String type = string(path + ".type", typeNode);
    if (type != null && typeNode != null) {
      try {
        b.type(BackupType.parse(type));
      } catch (ConfigException e) {
        addAt(path + ".type", typeNode, e);
      }
    }
    ConfigNode scheduleNode = field(m, "schedule", path);
    String schedule = string(path + ".schedule", scheduleNode);
    if (schedule != null && scheduleNode != null) {
      try {
        b.schedule(CronSchedule.parse(schedule));
      } catch (ConfigException e) {
        addAt(path + ".schedule", scheduleNode, e);
      }
    }
    ConfigNode retentionNode = field(m, "retention", path);
    RetentionPolicy retention = retentionNode == null ? defaults.retention()
        : retention(path + ".retention", retentionNode);
    if (retention != null) {
      b.retention(retention);
    }
    ConfigNode encryptionNode = field(m, "encryption", path);
    b.encryption(encryptionNode == null ? defaults.encryption() : encryption(path + ".encryption", encryptionNode));
    try {
      BackupStrategy strategy = b.build();
      return problems.count() == before ? strategy : null;
    } catch (ConfigException e) {
      problems.addAll(path, e);
      return null;
    }
  }

  private @Nullable RetentionPolicy retention(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    int before = problems.count();
    MapNode m = map(path, node);
    if (m == null) {
      return null;
    }
    checkKeys(path, m, RETENTION_KEYS);
    RetentionPolicy.Builder b = RetentionPolicy.builder();
    Integer n;
    if ((n = count(path + ".keep-last", field(m, "keep-last", path))) != null) b.keepLast(n);
    if ((n = count(path + ".keep-hourly", field(m, "keep-hourly", path))) != null) b.keepHourly(n);
    if ((n = count(path + ".keep-daily", field(m, "keep-daily", path))) != null) b.keepDaily(n);
    if ((n = count(path + ".keep-weekly", field(m, "keep-weekly", path))) != null) b.keepWeekly(n);
    if ((n = count(path + ".keep-monthly", field(m, "keep-monthly", path))) != null) b.keepMonthly(n);
    if ((n = count(path + ".keep-yearly", field(m, "keep-yearly", path))) != null) b.keepYearly(n);
    Duration within = duration(path + ".keep-within", field(m, "keep-within", path));
    if (within != null) {
      b.keepWithin(within);
    }
    ConfigNode tagsNode = field(m, "keep-tags", path);
    if (tagsNode != null) {
      List<ConfigNode> tags = list(path + ".keep-tags", tagsNode);
      if (tags != null) {
        for (int t = 0; t < tags.size(); t++) {
          String tp = path + ".keep-tags[" + t + "]";
          String tag = string(tp, tags.get(t));
          if (tag != null && tag.isBlank()) {
            problems.add(tp, tags.get(t), "tags must not be blank");
          } else if (tag != null) {
            b.keepTag(tag);
          } else if (!problems.isReported(tp)) {
            problems.add(tp, tags.get(t), "a tag must be a string");
          }
        }
      }
    }
    try {
      RetentionPolicy policy = b.build();
      return problems.count() == before ? policy : null;
    } catch (ConfigException e) {
      problems.addAll(path, e);
      return null;
    }
  }

  private @Nullable EncryptionConfig encryption(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    MapNode m = map(path, node);
    if (m == null) {
      return null;
    }
    checkKeys(path, m, ENCRYPTION_KEYS);
    EncryptionConfig.Algorithm algorithm = EncryptionConfig.Algorithm.AES_256_GCM;
    ConfigNode algorithmNode = field(m, "algorithm", path);
    String a = string(path + ".algorithm", algorithmNode);
    if (a != null && algorithmNode != null) {
      try {
        algorithm = EncryptionConfig.Algorithm.parse(a);
      } catch (ConfigException e) {
        addAt(path + ".algorithm", algorithmNode, e);
        return null;
      }
    } else if (algorithmNode != null) {
      return null;
    }
    String keySource = string(path + ".key-source", field(m, "key-source", path));
    if (keySource == null && algorithm != EncryptionConfig.Algorithm.NONE) {
      if (!problems.isReported(path + ".key-source")) {
        problems.add(path + ".key-source", m, "'key-source' is required for " + algorithm.configName()
            + ": a reference such as env:NAME, file:PATH, prompt or host:NAME (never the key itself)");
      }
      return null;
    }
    try {
      return new EncryptionConfig(algorithm, keySource == null ? "" : keySource); // null only for NONE
    } catch (ConfigException e) {
      problems.addAll(path, e);
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

  // ---------------------------------------------------------------- typed access

  private @Nullable ConfigNode field(MapNode m, String key, String parentPath) {
    Entry e = m.entries().get(key);
    if (e == null) {
      return null;
    }
    problems.remember(ProblemCollector.join(parentPath, key), e.value().location());
    if (e.value() instanceof ScalarNode s && s.kind() == ScalarKind.NULL) {
      return null;
    }
    return e.value();
  }

  private void checkKeys(String path, MapNode m, List<String> allowed) {
    for (Entry e : m.entries().values()) {
      if (!allowed.contains(e.key())) {
        String suggestion = closest(e.key(), allowed);
        problems.add(ProblemCollector.join(path, e.key()), e.keyLocation(), "unknown field '" + e.key() + "'"
            + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
            + "; expected one of " + String.join(", ", allowed));
      }
    }
  }

  private @Nullable MapNode map(String path, ConfigNode node) {
    problems.remember(path, node.location());
    if (node instanceof MapNode m) {
      return m;
    }
    problems.add(path, node, "expected a mapping but got " + node.describe());
    return null;
  }

  private @Nullable List<ConfigNode> list(String path, ConfigNode node) {
    if (node instanceof ListNode l) {
      return l.items();
    }
    problems.add(path, node, "expected a list but got " + node.describe());
    return null;
  }

  private @Nullable String string(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode s && (s.kind() == ScalarKind.STRING || s.kind() == ScalarKind.NUMBER)) {
      return s.text();
    }
    problems.add(path, node, "expected a string but got " + node.describe());
    return null;
  }

  private @Nullable Duration duration(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    try {
      if (node instanceof ScalarNode s && s.kind() == ScalarKind.NUMBER && s.number() != null) {
        return Durations.ofMinutes(s.number());
      }
      if (node instanceof ScalarNode s && s.kind() == ScalarKind.STRING) {
        return Durations.parse(s.text());
      }
    } catch (ConfigException e) {
      addAt(path, node, e);
      return null;
    }
    problems.add(path, node, "expected a duration (a number of minutes, or e.g. 90s, 5m, 1h, PT1H) but got "
        + node.describe());
    return null;
  }

  private @Nullable Double fraction(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode s && s.kind() == ScalarKind.NUMBER && s.number() != null) {
      double d = s.number().doubleValue();
      if (Double.isFinite(d)) {
        return d;
      }
    }
    problems.add(path, node, "expected a number in (0, 1] but got " + node.describe());
    return null;
  }

  private @Nullable Integer count(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode s && s.kind() == ScalarKind.NUMBER && s.number() != null) {
      BigDecimal n = s.number();
      try {
        return n.intValueExact();
      } catch (ArithmeticException e) {
        problems.add(path, node, "expected a whole number between 0 and " + Integer.MAX_VALUE + " but got "
            + node.describe());
        return null;
      }
    }
    problems.add(path, node, "expected a whole number but got " + node.describe());
    return null;
  }

  private @Nullable Priority priority(String path, @Nullable ConfigNode node) {
    String value = string(path, node);
    if (value == null || node == null) {
      return null;
    }
    try {
      return Priority.parse(value);
    } catch (ConfigException e) {
      addAt(path, node, e);
      return null;
    }
  }

  /** Reports an exception of a single-value parser at {@code path}, ignoring its own relative path. */
  private void addAt(String path, ConfigNode node, ConfigException e) {
    for (ConfigException.Problem p : e.problems()) {
      problems.add(path, node, p.message());
    }
  }

  private static @Nullable String closest(String key, List<String> allowed) {
    return dev.drkit.core.Names.closest(key, allowed);
  }
}
