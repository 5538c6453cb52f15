package dev.drkit.examples.drill;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.drkit.core.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a drill runs the orders service: the replication mode, the failure detection, the load and
 * the scenario's pacing. Read from the drill settings file shipped beside the plan
 * ({@code drill/orders-drill.yaml}); everything has a default.
 *
 * <pre>{@code
 * service: orders              # the plan's service the drill exercises
 * replication: {mode: sync}    # sync | async
 * detection: {interval: 200ms, failures: 3, timeout: 150ms}
 * load: {writers: 4, rate: 200}   # total acknowledged-or-failed writes per second
 * pacing: {warmup: 1500ms, on-backup: 1s, settle: 500ms}
 * rebuild: {rto: 10s}          # the restore and pitr scenarios' recovery-time objective
 * }</pre>
 *
 * @param service the service of the plan the drill exercises
 * @param replicationMode {@code sync} or {@code async}
 * @param probeInterval the detection probe interval
 * @param failuresToDown consecutive failed probes that declare the primary down
 * @param probeTimeout how long one probe may take
 * @param writers concurrent clients of the load generator
 * @param writeRate total writes per second the clients attempt
 * @param warmup steady load before the disaster
 * @param onBackup how long the service runs on the backup before the primary returns
 * @param settle steady load after the last phase, before the final checks
 * @param rebuildRto the recovery-time objective of a rebuild from a backup snapshot and the
 *     replication log (the {@code restore} and {@code pitr} scenarios): restoring a database is a
 *     slower tier than failing over to a live replica, whose objective is the plan's RTO
 */
public record DrillSettings(String service, String replicationMode, Duration probeInterval, int failuresToDown,
    Duration probeTimeout, int writers, double writeRate, Duration warmup, Duration onBackup, Duration settle,
    Duration rebuildRto) {

  private static final java.util.Map<String, Set<String>> KEYS = java.util.Map.of(
      "service", Set.of(), "replication", Set.of("mode"), "detection", Set.of("interval", "failures", "timeout"),
      "load", Set.of("writers", "rate"), "pacing", Set.of("warmup", "on-backup", "settle"),
      "rebuild", Set.of("rto"));

  /**
   * Validates.
   *
   * @throws ConfigException naming each invalid field
   */
  public DrillSettings {
    List<ConfigException.Problem> p = new ArrayList<>();
    if (service == null || service.isBlank()) {
      p.add(ConfigException.Problem.of("service", "must name a service of the plan"));
    }
    if (!"sync".equals(replicationMode) && !"async".equals(replicationMode)) {
      p.add(ConfigException.Problem.of("replication.mode", "must be sync or async but was '" + replicationMode + "'"));
    }
    positive(p, "detection.interval", probeInterval);
    positive(p, "detection.timeout", probeTimeout);
    nonNegative(p, "pacing.warmup", warmup);
    nonNegative(p, "pacing.on-backup", onBackup);
    nonNegative(p, "pacing.settle", settle);
    positive(p, "rebuild.rto", rebuildRto);
    if (failuresToDown < 1) {
      p.add(ConfigException.Problem.of("detection.failures", "must be >= 1 but was " + failuresToDown));
    }
    if (writers < 1 || writers > 64) {
      p.add(ConfigException.Problem.of("load.writers", "must be in 1..64 but was " + writers));
    }
    if (!(writeRate > 0 && writeRate <= 10_000)) {
      p.add(ConfigException.Problem.of("load.rate", "must be in (0, 10000] writes per second but was " + writeRate));
    }
    if (!p.isEmpty()) {
      throw new ConfigException(p);
    }
  }

  /** @return the defaults: orders, sync, 200 ms x 3 probes, 4 writers at 200/s, short pacing */
  public static DrillSettings defaults() {
    return new DrillSettings("orders", "sync", Duration.ofMillis(200), 3, Duration.ofMillis(150), 4, 200,
        Duration.ofMillis(1500), Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(10));
  }

  /** @return the detection window: probe interval times failures to declare down */
  public Duration detectionWindow() {
    return probeInterval.multipliedBy(failuresToDown);
  }

  /**
   * @param mode {@code sync} or {@code async}
   * @return a copy with that replication mode
   */
  public DrillSettings withReplicationMode(String mode) {
    return new DrillSettings(service, mode, probeInterval, failuresToDown, probeTimeout, writers, writeRate, warmup,
        onBackup, settle, rebuildRto);
  }

  /**
   * @param newWarmup steady load before the disaster
   * @param newOnBackup time on the backup
   * @param newSettle time after the last phase
   * @return a copy with that pacing (tests use short runs)
   */
  public DrillSettings withPacing(Duration newWarmup, Duration newOnBackup, Duration newSettle) {
    return new DrillSettings(service, replicationMode, probeInterval, failuresToDown, probeTimeout, writers, writeRate,
        newWarmup, newOnBackup, newSettle, rebuildRto);
  }

  /**
   * @param newWriters concurrent clients
   * @param newRate writes per second
   * @return a copy with that load
   */
  public DrillSettings withLoad(int newWriters, double newRate) {
    return new DrillSettings(service, replicationMode, probeInterval, failuresToDown, probeTimeout, newWriters, newRate,
        warmup, onBackup, settle, rebuildRto);
  }

  /**
   * @param file a settings file (YAML or JSON)
   * @return the settings
   * @throws ConfigException naming the file, line, column and field of every problem
   */
  public static DrillSettings load(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return parse(in, file.toString());
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigException.Problem(file.toString(), 0, 0, "",
          "cannot read drill settings: " + e.getMessage())), e);
    }
  }

  /**
   * @param in the settings document (YAML or JSON)
   * @param source its name, for messages
   * @return the settings
   * @throws ConfigException naming the source, line, column and field of every problem
   */
  public static DrillSettings parse(InputStream in, String source) {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode root;
    Map<String, JsonLocation> where;
    try {
      byte[] content = in.readAllBytes();
      root = yaml.readTree(content);
      where = fieldLocations(yaml, content);
    } catch (JsonProcessingException e) {
      JsonLocation l = e.getLocation();
      throw new ConfigException(List.of(new ConfigException.Problem(source, l == null ? 0 : l.getLineNr(),
          l == null ? 0 : l.getColumnNr(), "", "not valid YAML: " + e.getOriginalMessage())), e);
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigException.Problem(source, 0, 0, "", "cannot read: " + e.getMessage())),
          e);
    }
    DrillSettings d = defaults();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return d;
    }
    List<ConfigException.Problem> p = new ArrayList<>();
    if (!root.isObject()) {
      throw new ConfigException(List.of(new ConfigException.Problem(source, 1, 1, "", "must be a mapping")));
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
      String k = it.next();
      Set<String> nested = KEYS.get(k);
      if (nested == null) {
        p.add(located(source, where, k, "unknown field (expected one of "
            + new java.util.TreeSet<>(KEYS.keySet()) + ")"));
        continue;
      }
      JsonNode child = root.get(k);
      if (!nested.isEmpty()) {
        if (!child.isObject()) {
          p.add(located(source, where, k, "must be a mapping with " + new java.util.TreeSet<>(nested)));
          continue;
        }
        for (Iterator<String> jt = child.fieldNames(); jt.hasNext();) {
          String f = jt.next();
          if (!nested.contains(f)) {
            p.add(located(source, where, k + "." + f, "unknown field (expected one of "
                + new java.util.TreeSet<>(nested) + ")"));
          }
        }
      }
    }
    Reader r = new Reader(source, where, p);
    String service = r.text(root, "service", d.service());
    String mode = r.text(root.path("replication"), "replication.mode", d.replicationMode());
    Duration interval = r.duration(root.path("detection"), "detection.interval", d.probeInterval());
    int failures = (int) r.number(root.path("detection"), "detection.failures", d.failuresToDown());
    Duration timeout = r.duration(root.path("detection"), "detection.timeout", d.probeTimeout());
    int writers = (int) r.number(root.path("load"), "load.writers", d.writers());
    double rate = r.number(root.path("load"), "load.rate", d.writeRate());
    Duration warmup = r.duration(root.path("pacing"), "pacing.warmup", d.warmup());
    Duration onBackup = r.duration(root.path("pacing"), "pacing.on-backup", d.onBackup());
    Duration settle = r.duration(root.path("pacing"), "pacing.settle", d.settle());
    Duration rebuildRto = r.duration(root.path("rebuild"), "rebuild.rto", d.rebuildRto());
    if (!p.isEmpty()) {
      throw new ConfigException(p);
    }
    try {
      return new DrillSettings(service, mode.toLowerCase(Locale.ROOT), interval, failures, timeout, writers, rate, warmup,
          onBackup, settle, rebuildRto);
    } catch (ConfigException e) {
      List<ConfigException.Problem> located = new ArrayList<>();
      for (ConfigException.Problem problem : e.problems()) {
        located.add(located(source, where, problem.path(), problem.message()));
      }
      throw new ConfigException(located);
    }
  }

  /** A problem at the position of the field's key in the document (0:0 when it is not there). */
  private static ConfigException.Problem located(String source, Map<String, JsonLocation> where, String path,
      String message) {
    JsonLocation l = where.get(path);
    return new ConfigException.Problem(source, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), path,
        message);
  }

  /**
   * One streaming pass over the document recording where each field's key stands, by dotted path
   * ({@code detection.interval}), since a {@link JsonNode} tree keeps no positions.
   */
  private static Map<String, JsonLocation> fieldLocations(ObjectMapper mapper, byte[] content) throws IOException {
    Map<String, JsonLocation> where = new HashMap<>();
    Deque<String> path = new ArrayDeque<>();
    try (JsonParser parser = mapper.getFactory().createParser(content)) {
      String pending = null;
      for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
        switch (t) {
          case FIELD_NAME -> {
            pending = parser.currentName();
            String base = path.isEmpty() ? "" : path.peekLast();
            String full = base.isEmpty() ? pending : base + "." + pending;
            where.putIfAbsent(full, parser.currentTokenLocation());
          }
          case START_OBJECT, START_ARRAY -> {
            String base = path.isEmpty() ? "" : path.peekLast();
            path.addLast(pending == null ? base : base.isEmpty() ? pending : base + "." + pending);
            pending = null;
          }
          case END_OBJECT, END_ARRAY -> path.pollLast();
          default -> pending = null;
        }
      }
    }
    return where;
  }

  /**
   * @param text {@code 200ms}, {@code 1.5s}, {@code 2m} or a bare number of milliseconds
   * @return the duration
   * @throws IllegalArgumentException when malformed
   */
  /**
   * Reads a setting's duration in drkit's one duration grammar with a unit required
   * ({@link dev.drkit.core.plan.Durations#parseWithUnit}): {@code 200ms}, {@code 1.5s}, {@code 2m},
   * {@code PT1S}.
   */
  static Duration parseDuration(String text) {
    try {
      return dev.drkit.core.plan.Durations.parseWithUnit(text);
    } catch (ConfigException e) {
      boolean bare = text.trim().matches("\\d+(\\.\\d+)?");
      throw new IllegalArgumentException("'" + text + "' is not a duration (like 200ms, 1.5s, 2m)"
          + (bare ? "; a number needs a unit" : ""), e);
    }
  }

  private static void positive(List<ConfigException.Problem> p, String field, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      p.add(ConfigException.Problem.of(field, "must be a positive duration but was " + d));
    }
  }

  private static void nonNegative(List<ConfigException.Problem> p, String field, Duration d) {
    if (d == null || d.isNegative()) {
      p.add(ConfigException.Problem.of(field, "must be zero or positive but was " + d));
    }
  }

  private record Reader(String source, Map<String, JsonLocation> where, List<ConfigException.Problem> problems) {
    private ConfigException.Problem problem(JsonNode n, String path, String message) {
      return located(source, where, path, message);
    }

    String text(JsonNode parent, String path, String dflt) {
      JsonNode n = parent.path(last(path));
      if (n.isMissingNode() || n.isNull()) {
        return dflt;
      }
      if (!n.isTextual()) {
        problems.add(problem(n, path, "must be a string but was " + n.getNodeType()));
        return dflt;
      }
      return n.asText();
    }

    double number(JsonNode parent, String path, double dflt) {
      JsonNode n = parent.path(last(path));
      if (n.isMissingNode() || n.isNull()) {
        return dflt;
      }
      if (!n.isNumber()) {
        problems.add(problem(n, path, "must be a number but was '" + n.asText() + "'"));
        return dflt;
      }
      return n.asDouble();
    }

    Duration duration(JsonNode parent, String path, Duration dflt) {
      JsonNode n = parent.path(last(path));
      if (n.isMissingNode() || n.isNull()) {
        return dflt;
      }
      try {
        return parseDuration(n.asText());
      } catch (IllegalArgumentException e) {
        problems.add(problem(n, path, e.getMessage()));
        return dflt;
      }
    }

    private static String last(String path) {
      return path.substring(path.lastIndexOf('.') + 1);
    }
  }
}
