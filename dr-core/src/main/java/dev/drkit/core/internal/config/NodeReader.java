package dev.drkit.core.internal.config;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.Priority;
import dev.drkit.core.internal.DurationSyntax;
import dev.drkit.core.internal.DurationSyntax.BareNumber;
import dev.drkit.core.internal.config.ConfigNode.Entry;
import dev.drkit.core.internal.config.ConfigNode.ListNode;
import dev.drkit.core.internal.config.ConfigNode.MapNode;
import dev.drkit.core.internal.config.ConfigNode.ScalarKind;
import dev.drkit.core.internal.config.ConfigNode.ScalarNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Typed access to a {@link ConfigNode} tree for the binders: each reader returns the value or null,
 * and reports to the {@link ProblemCollector} (with the path and the node's position) when the node
 * is of the wrong kind or its value is invalid, so that binding goes on and every problem of a file
 * is reported at once. Also remembers where each path is written, for problems found later by the
 * config model's builders.
 */
final class NodeReader {
  private final ProblemCollector problems;

  NodeReader(ProblemCollector problems) {
    this.problems = problems;
  }

  @Nullable ConfigNode field(MapNode m, String key, String parentPath) {
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

  void checkKeys(String path, MapNode m, List<String> allowed) {
    for (Entry e : m.entries().values()) {
      if (!allowed.contains(e.key())) {
        String suggestion = closest(e.key(), allowed);
        problems.add(ProblemCollector.join(path, e.key()), e.keyLocation(), "unknown field '" + e.key() + "'"
            + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
            + "; expected one of " + String.join(", ", allowed));
      }
    }
  }

  @Nullable MapNode map(String path, ConfigNode node) {
    problems.remember(path, node.location());
    if (node instanceof MapNode m) {
      return m;
    }
    problems.add(path, node, "expected a mapping but got " + node.describe());
    return null;
  }

  @Nullable List<ConfigNode> list(String path, ConfigNode node) {
    if (node instanceof ListNode l) {
      return l.items();
    }
    problems.add(path, node, "expected a list but got " + node.describe());
    return null;
  }

  @Nullable String string(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode s && (s.kind() == ScalarKind.STRING || s.kind() == ScalarKind.NUMBER)) {
      return s.text();
    }
    problems.add(path, node, "expected a string but got " + node.describe());
    return null;
  }

  @Nullable Duration duration(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    try {
      if (node instanceof ScalarNode s && s.kind() == ScalarKind.NUMBER && s.number() != null) {
        return DurationSyntax.ofMinutes(s.number());
      }
      if (node instanceof ScalarNode s && s.kind() == ScalarKind.STRING) {
        return DurationSyntax.parse(s.text(), BareNumber.MINUTES);
      }
    } catch (ConfigException e) {
      addAt(path, node, e);
      return null;
    }
    problems.add(path, node, "expected a duration (a number of minutes, or e.g. 500ms, 30s, 5m, 1h30m, 2d or"
        + " PT5M) but got " + node.describe());
    return null;
  }

  @Nullable Double fraction(String path, @Nullable ConfigNode node) {
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

  @Nullable Integer count(String path, @Nullable ConfigNode node) {
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

  @Nullable Priority priority(String path, @Nullable ConfigNode node) {
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
  void addAt(String path, ConfigNode node, ConfigException e) {
    for (ConfigException.Problem p : e.problems()) {
      problems.add(path, node, p.message());
    }
  }

  private static @Nullable String closest(String key, List<String> allowed) {
    return dev.drkit.core.config.Names.closest(key, allowed);
  }

  @Nullable Duration positiveOrNull(String path, @Nullable Duration d) {
    if (d != null && (d.isZero() || d.isNegative())) {
      problems.add(path, problems.locate(path), "must be positive but was " + DurationSyntax.format(d));
      return null;
    }
    return d;
  }

  @Nullable Object plain(String path, ConfigNode node) {
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
}
