package dev.drkit.core.internal.config;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A node of a config document with the position where it starts. Maps keep their keys in file
 * order with each key's own position; scalars keep their kind and text as written.
 */
public sealed interface ConfigNode permits ConfigNode.MapNode, ConfigNode.ListNode, ConfigNode.ScalarNode {

  /** @return where the node starts */
  Location location();

  /** @return a short description of the node's kind for error messages */
  String describe();

  /**
   * A 1-based line and column.
   *
   * @param line the line, {@code 0} when unknown
   * @param column the column, {@code 0} when unknown
   */
  record Location(int line, int column) {
    /** Nowhere in particular. */
    public static final Location UNKNOWN = new Location(0, 0);
  }

  /**
   * One key of a map with the position of the key itself.
   *
   * @param key the key as written
   * @param keyLocation where the key is written
   * @param value the node under the key
   */
  record Entry(String key, Location keyLocation, ConfigNode value) {}

  /**
   * A mapping.
   *
   * @param location where it starts
   * @param entries the keys in file order (a repeated key is reported by the reader and the first
   *     occurrence kept)
   */
  record MapNode(Location location, Map<String, Entry> entries) implements ConfigNode {
    @Override
    public String describe() {
      return "a mapping";
    }
  }

  /**
   * A sequence.
   *
   * @param location where it starts
   * @param items the elements, in document order
   */
  record ListNode(Location location, List<ConfigNode> items) implements ConfigNode {
    @Override
    public String describe() {
      return "a list";
    }
  }

  /** What a scalar is. */
  enum ScalarKind {
    /** Text. */
    STRING,
    /** A finite number; {@link ScalarNode#number()} holds it. */
    NUMBER,
    /** {@code true} or {@code false}. */
    BOOLEAN,
    /** An explicit null (or an empty YAML value). */
    NULL
  }

  /**
   * A scalar.
   *
   * @param location where it starts
   * @param kind what it is
   * @param text the text as written (numbers as written, booleans as {@code true}/{@code false})
   * @param number the value of a {@link ScalarKind#NUMBER}, else {@code null}
   */
  record ScalarNode(Location location, ScalarKind kind, String text, @Nullable BigDecimal number)
      implements ConfigNode {
    @Override
    public String describe() {
      return switch (kind) {
        case STRING -> "the string '" + abbreviate(text) + "'";
        case NUMBER -> "the number " + abbreviate(text);
        case BOOLEAN -> "the boolean " + text;
        case NULL -> "null";
      };
    }

    private static String abbreviate(String s) {
      return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
  }
}
