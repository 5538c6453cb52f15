package dev.drkit.validation;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.Names;
import dev.drkit.core.internal.DurationSyntax;
import dev.drkit.core.internal.DurationSyntax.BareNumber;
import dev.drkit.core.spi.Site;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * The parameters of one check as a {@link CheckFactory} reads them: typed accessors that record a
 * problem naming the field ({@code params.port}) instead of throwing, so that every problem of a
 * check is reported at once by {@link #ensureValid()}. A parameter that no accessor read is reported
 * as unknown (a typo such as {@code prot} is an error, not silently ignored).
 *
 * <p>Not thread-safe; one instance per creation.
 */
public final class CheckParams {
  /** Parameters every check accepts: a display name and per-site overrides. */
  static final Set<String> COMMON = Set.of("name", "sites");

  private final String type;
  private final Map<String, Object> values;
  private final @Nullable Site site;
  private final Function<String, @Nullable Object> resources;
  private final boolean shapeOnly;
  private final Set<String> read = new LinkedHashSet<>();
  private final Set<String> unresolved = new LinkedHashSet<>();
  private final List<ConfigException.Problem> problems = new ArrayList<>();

  CheckParams(String type, Map<String, Object> values, @Nullable Site site,
      Function<String, @Nullable Object> resources) {
    this(type, values, site, resources, false);
  }

  /**
   * @param shapeOnly validate the parameters without building a check: a named resource that is
   *     not registered (yet) is not a problem, and {@link #ensureValid()} ends the factory with
   *     {@link ShapeValid} instead of returning when nothing is wrong
   */
  CheckParams(String type, Map<String, Object> values, @Nullable Site site,
      Function<String, @Nullable Object> resources, boolean shapeOnly) {
    this.type = type;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.site = site;
    this.resources = resources;
    this.shapeOnly = shapeOnly;
  }

  /**
   * Thrown by {@link #ensureValid()} in shape-only validation when the parameters are valid, so
   * that the factory stops before it builds a check from resources that may not be registered yet.
   */
  static final class ShapeValid extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ShapeValid() {
      super("the parameters are valid", null, false, false);
    }
  }

  /** @return the resource parameters whose names no registry knew (shape-only validation) */
  Set<String> unresolved() {
    return unresolved;
  }

  /**
   * Parameters for a check built in code, without a registry's named resources.
   *
   * @param type the check type (for messages)
   * @param values the parameters
   * @return the parameters
   */
  public static CheckParams of(String type, Map<String, Object> values) {
    return new CheckParams(type, values, null, name -> null);
  }

  /** @return the check type these parameters are for */
  public String type() {
    return type;
  }

  /** @return the site the check is built for, or {@code null} when validating a plan */
  public @Nullable Site site() {
    return site;
  }

  /**
   * @param key a parameter name
   * @return whether it is present
   */
  public boolean has(String key) {
    return values.get(key) != null;
  }

  /**
   * Records a problem with a parameter.
   *
   * @param key the parameter
   * @param message what is wrong
   */
  public void problem(String key, String message) {
    problems.add(ConfigException.Problem.of("params." + key, message
        + (site == null ? "" : " (for site " + site.name().toLowerCase(java.util.Locale.ROOT) + ")")));
  }

  private @Nullable Object raw(String key) {
    read.add(key);
    return values.get(key);
  }

  /**
   * @param key a required string parameter
   * @return its value, or {@code ""} after recording a problem
   */
  public String requireString(String key) {
    Object v = raw(key);
    if (v == null) {
      problem(key, "is required for a '" + type + "' check");
      return "";
    }
    return Objects.requireNonNull(string(key, v, "")); // not null with a fallback that is not
  }

  /**
   * @param key an optional string parameter
   * @param defaultValue its default
   * @return its value or the default
   */
  public @Nullable String optString(String key, @Nullable String defaultValue) {
    Object v = raw(key);
    return v == null ? defaultValue : string(key, v, defaultValue);
  }

  private @Nullable String string(String key, Object v, @Nullable String fallback) {
    if (v instanceof String s) {
      if (s.isBlank()) {
        problem(key, "must not be blank");
        return fallback;
      }
      return s;
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    problem(key, "must be a string but was " + describe(v));
    return fallback;
  }

  /**
   * @param key a required integer parameter
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return its value, or {@code min} after recording a problem
   */
  public long requireLong(String key, long min, long max) {
    Object v = raw(key);
    if (v == null) {
      problem(key, "is required for a '" + type + "' check");
      return min;
    }
    return integer(key, v, min, max, min);
  }

  /**
   * @param key an optional integer parameter
   * @param defaultValue its default
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return its value or the default
   */
  public long optLong(String key, long defaultValue, long min, long max) {
    Object v = raw(key);
    return v == null ? defaultValue : integer(key, v, min, max, defaultValue);
  }

  private long integer(String key, Object v, long min, long max, long fallback) {
    long n;
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      n = ((Number) v).longValue();
    } else if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())
        && Math.abs(num.doubleValue()) < 9e15) {
      n = num.longValue();
    } else if (v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
      n = Long.parseLong(s.trim());
    } else {
      problem(key, "must be an integer but was " + describe(v));
      return fallback;
    }
    if (n < min || n > max) {
      problem(key, "must be between " + min + " and " + max + " but was " + n);
      return fallback;
    }
    return n;
  }

  /**
   * @param key an optional number parameter
   * @param defaultValue its default
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return its value or the default
   */
  public double optDouble(String key, double defaultValue, double min, double max) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    double d;
    if (v instanceof Number num) {
      d = num.doubleValue();
    } else if (v instanceof String s) {
      try {
        d = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        problem(key, "must be a number but was " + describe(v));
        return defaultValue;
      }
    } else {
      problem(key, "must be a number but was " + describe(v));
      return defaultValue;
    }
    if (!(d >= min && d <= max)) {
      problem(key, "must be between " + min + " and " + max + " but was " + d);
      return defaultValue;
    }
    return d;
  }

  /**
   * @param key an optional boolean parameter
   * @param defaultValue its default
   * @return its value or the default
   */
  public boolean optBoolean(String key, boolean defaultValue) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    problem(key, "must be true or false but was " + describe(v));
    return defaultValue;
  }

  /**
   * Reads an optional duration parameter in drkit's one duration grammar (docs/plan-format.md,
   * "Durations"): {@code 250ms}, {@code 2s}, {@code 1h30m}, {@code PT1M}. A number without a unit
   * is refused here (in plan fields it means minutes), so that {@code p95: 200} is not silently
   * read as 200 minutes.
   *
   * @param key the parameter's name
   * @param defaultValue its default
   * @return its value, or the default when it is absent or after recording a problem that quotes
   *     the value
   */
  public @Nullable Duration optDuration(String key, @Nullable Duration defaultValue) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Duration d) {
      return positive(key, d, defaultValue);
    }
    if (v instanceof String || v instanceof Number) {
      try {
        return positive(key, DurationSyntax.parse(v.toString(), BareNumber.REFUSED), defaultValue);
      } catch (ConfigException e) {
        problem(key, e.problems().get(0).message());
        return defaultValue;
      }
    }
    problem(key, "must be a duration with a unit (250ms, 2s, 1h30m, PT1M) but was " + describe(v));
    return defaultValue;
  }

  private @Nullable Duration positive(String key, Duration d, @Nullable Duration fallback) {
    if (d.isNegative() || d.isZero()) {
      problem(key, "must be a positive duration but was " + d);
      return fallback;
    }
    return d;
  }

  /**
   * @param key a required absolute {@code http} or {@code https} URI parameter
   * @return the URI, or {@code null} after recording a problem
   */
  public @Nullable URI requireHttpUri(String key) {
    String s = requireString(key);
    if (s.isEmpty()) {
      return null;
    }
    return httpUri(key, s);
  }

  /**
   * @param key an optional absolute {@code http} or {@code https} URI parameter
   * @return the URI, or {@code null} when absent or invalid
   */
  public @Nullable URI optHttpUri(String key) {
    String s = optString(key, null);
    return s == null ? null : httpUri(key, s);
  }

  private @Nullable URI httpUri(String key, String s) {
    try {
      URI u = new URI(s);
      String scheme = u.getScheme();
      if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || u.getHost() == null) {
        problem(key, "must be an absolute http:// or https:// URL but was '" + s + "'");
        return null;
      }
      return u;
    } catch (URISyntaxException e) {
      problem(key, "is not a valid URL: " + e.getMessage());
      return null;
    }
  }

  /**
   * @param key an optional regular-expression parameter
   * @return the compiled pattern, or {@code null} when absent or invalid
   */
  public @Nullable Pattern optPattern(String key) {
    String s = optString(key, null);
    if (s == null) {
      return null;
    }
    try {
      return Pattern.compile(s);
    } catch (PatternSyntaxException e) {
      problem(key, "is not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex());
      return null;
    }
  }

  /**
   * @param key an optional parameter holding one integer or a list of integers
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return the values, empty when absent or invalid
   */
  public List<Long> optLongList(String key, long min, long max) {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    if (v instanceof List<?> list) {
      if (list.isEmpty()) {
        problem(key, "must not be an empty list");
      }
      for (int i = 0; i < list.size(); i++) {
        Object e = list.get(i);
        if (e == null) {
          problem(key + "[" + i + "]", "must not be null");
        } else {
          out.add(integer(key + "[" + i + "]", e, min, max, min));
        }
      }
    } else {
      out.add(integer(key, v, min, max, min));
    }
    return List.copyOf(out);
  }

  /**
   * @param key an optional map of string to string (HTTP headers, for example)
   * @return the map, empty when absent or invalid
   */
  public Map<String, String> optStringMap(String key) {
    Object v = raw(key);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?> map)) {
      problem(key, "must be a map of names to values but was " + describe(v));
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String k) || k.isBlank()) {
        problem(key, "has a key that is not a non-blank string: " + e.getKey());
      } else if (e.getValue() == null || e.getValue() instanceof Map || e.getValue() instanceof List) {
        problem(key + "." + k, "must be a plain value but was " + describe(e.getValue()));
      } else {
        out.put(k, e.getValue().toString());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Looks up a resource the host registered by name (a DataSource, a synthetic transaction, ...).
   *
   * @param key the parameter holding the resource's name
   * @param kind the resource's class
   * @param label how to call the kind in messages ("DataSource")
   * @param <T> the kind
   * @return the resource, or {@code null} after recording a problem
   */
  public <T> @Nullable T requireResource(String key, Class<T> kind, String label) {
    String name = requireString(key);
    if (name.isEmpty()) {
      return null;
    }
    return resource(key, name, kind, label);
  }

  /**
   * @param key the parameter holding an optional resource's name
   * @param kind the resource's class
   * @param label how to call the kind in messages
   * @param <T> the kind
   * @return the resource, or {@code null} when absent or unknown
   */
  public <T> @Nullable T optResource(String key, Class<T> kind, String label) {
    String name = optString(key, null);
    return name == null ? null : resource(key, name, kind, label);
  }

  private <T> @Nullable T resource(String key, String name, Class<T> kind, String label) {
    Object r = resources.apply(kind.getName() + ":" + name);
    if (r == null && shapeOnly) {
      unresolved.add(key);
      return null;
    }
    if (r == null) {
      problem(key, "no " + label + " is registered under the name '" + name + "'");
      return null;
    }
    return kind.cast(r);
  }

  /**
   * @param key a parameter a factory accepts but reads elsewhere (marks it known)
   * @return its raw value, or {@code null}
   */
  public @Nullable Object rawValue(String key) {
    return raw(key);
  }

  /** @return whether a problem was recorded so far */
  public boolean hasProblems() {
    return !problems.isEmpty();
  }

  /**
   * Reports every problem found so far and every parameter no accessor read.
   *
   * @throws ConfigException naming each field ({@code params.port}) when there is a problem
   */
  public void ensureValid() {
    List<ConfigException.Problem> all = new ArrayList<>(problems);
    for (String k : values.keySet()) {
      if (!read.contains(k) && !COMMON.contains(k)) {
        String suggestion = Names.closest(k, read);
        all.add(ConfigException.Problem.of("params." + k, "unknown parameter '" + k + "' for a '" + type + "' check"
            + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
            + (read.isEmpty() ? " (it takes none)" : "; known: " + String.join(", ", read))));
      }
    }
    if (!all.isEmpty()) {
      throw new ConfigException(all);
    }
    if (shapeOnly) {
      throw new ShapeValid();
    }
  }

  private static String describe(@Nullable Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Map) {
      return "a map";
    }
    if (v instanceof List) {
      return "a list";
    }
    return v.getClass().getSimpleName() + " '" + v + "'";
  }

  @Override
  public String toString() {
    return "CheckParams[" + type + " " + values + "]";
  }

  static Map<String, Object> forSite(Map<String, Object> params, @Nullable Site site,
      List<ConfigException.Problem> problems) {
    Object sites = params.get("sites");
    Map<String, Object> merged = new LinkedHashMap<>(params);
    merged.remove("sites");
    merged.remove("name");
    if (sites == null) {
      return merged;
    }
    if (!(sites instanceof Map<?, ?> sm)) {
      problems.add(ConfigException.Problem.of("params.sites",
          "must be a map from site (primary, backup) to parameter overrides"));
      return merged;
    }
    for (Map.Entry<?, ?> e : sm.entrySet()) {
      String k = String.valueOf(e.getKey());
      if (!k.equals("primary") && !k.equals("backup")) {
        problems.add(ConfigException.Problem.of("params.sites." + k, "unknown site; use primary or backup"));
      } else if (!(e.getValue() instanceof Map<?, ?>)) {
        problems.add(ConfigException.Problem.of("params.sites." + k, "must be a map of parameter overrides"));
      }
    }
    if (site != null && sm.get(site.name().toLowerCase(java.util.Locale.ROOT)) instanceof Map<?, ?> o) {
      for (Map.Entry<?, ?> e : o.entrySet()) {
        merged.put(String.valueOf(e.getKey()), e.getValue());
      }
    }
    return merged;
  }
}
