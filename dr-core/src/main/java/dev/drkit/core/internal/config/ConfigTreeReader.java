package dev.drkit.core.internal.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.drkit.core.internal.config.ConfigNode.Entry;
import dev.drkit.core.internal.config.ConfigNode.ListNode;
import dev.drkit.core.internal.config.ConfigNode.Location;
import dev.drkit.core.internal.config.ConfigNode.MapNode;
import dev.drkit.core.internal.config.ConfigNode.ScalarKind;
import dev.drkit.core.internal.config.ConfigNode.ScalarNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a YAML or JSON document into a {@link ConfigNode} tree with positions, iteratively (an
 * explicit stack, no recursion). Bounded: at most {@link #MAX_DEPTH} levels of nesting, YAML
 * aliases refused (so no alias bomb can expand), one document per file, and Jackson's stream
 * constraints on number and string lengths. Every failure becomes a problem in the collector;
 * nothing else is thrown.
 */
public final class ConfigTreeReader {
  /** The deepest nesting of mappings and lists accepted. */
  public static final int MAX_DEPTH = 64;

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final YAMLFactory YAML;

  static {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(10);
    options.setNestingDepthLimit(MAX_DEPTH + 1);
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit(16 * 1024 * 1024);
    YAML = YAMLFactory.builder().loaderOptions(options).build();
  }

  private ConfigTreeReader() {}

  /**
   * @param content the document
   * @param yaml whether it is YAML (else JSON)
   * @param problems where syntax problems go
   * @return the root node, or {@code null} when the document could not be read
   */
  public static @Nullable ConfigNode read(byte[] content, boolean yaml, ProblemCollector problems) {
    Deque<Frame> stack = new ArrayDeque<>();
    JsonParser p = null;
    try {
      p = yaml ? YAML.createParser(content) : JSON.createParser(content);
      return readTree(p, yaml, stack, problems);
    } catch (JsonProcessingException e) {
      Location loc = location(e.getLocation());
      String message = e.getOriginalMessage();
      if (e.getCause() instanceof MarkedYAMLException m) {
        message = (m.getContext() == null ? "" : m.getContext() + ": ") + m.getProblem();
        loc = location(m.getProblemMark(), loc);
      }
      problems.add(currentPath(stack), loc, "syntax error: " + oneLine(message));
    } catch (MarkedYAMLException m) {
      String message = (m.getContext() == null ? "" : m.getContext() + ": ") + m.getProblem();
      problems.add(currentPath(stack), location(m.getProblemMark(), Location.UNKNOWN),
          "syntax error: " + oneLine(message));
    } catch (IOException | RuntimeException e) {
      problems.add(currentPath(stack), p == null ? Location.UNKNOWN : location(p.currentLocation()),
          "cannot parse the file: " + oneLine(String.valueOf(e.getMessage())));
    } catch (StackOverflowError e) {
      problems.add(currentPath(stack), Location.UNKNOWN,
          "the document is nested too deeply (at most " + MAX_DEPTH + " levels)");
    } finally {
      if (p != null) {
        try {
          p.close();
        } catch (IOException | RuntimeException ignored) {
          // Reading from a byte array: nothing to release.
        }
      }
    }
    return null;
  }

  private static @Nullable ConfigNode readTree(JsonParser p, boolean yaml, Deque<Frame> stack,
      ProblemCollector problems) throws IOException {
    JsonToken token = p.nextToken();
    if (token == null) {
      problems.add("", new Location(1, 1), "the file is empty");
      return null;
    }
    ConfigNode root = null;
    while (token != null) {
      Location loc = location(p.currentTokenLocation());
      ConfigNode complete = null;
      switch (token) {
        case START_OBJECT, START_ARRAY -> {
          if (stack.size() >= MAX_DEPTH) {
            problems.add(childPath(stack), loc, "nested too deeply (at most " + MAX_DEPTH + " levels)");
            return null;
          }
          String path = childPath(stack);
          stack.push(new Frame(token == JsonToken.START_OBJECT, loc, path));
        }
        case FIELD_NAME -> {
          Frame top = stack.peek();
          if (top != null) {
            top.pendingKey = p.currentName();
            top.pendingKeyLocation = loc;
          }
        }
        case END_OBJECT, END_ARRAY -> {
          Frame done = stack.pop();
          complete = done.map
              ? new MapNode(done.location, Collections.unmodifiableMap(done.entries))
              : new ListNode(done.location, Collections.unmodifiableList(done.items));
        }
        case VALUE_STRING -> {
          if (yaml && p instanceof YAMLParser y && y.isCurrentAlias()) {
            problems.add(childPath(stack), loc, "YAML aliases (*" + p.getText()
                + ") are not supported in plan files; repeat the value or use the defaults block");
            complete = new ScalarNode(loc, ScalarKind.NULL, "null", null);
          } else {
            complete = new ScalarNode(loc, ScalarKind.STRING, p.getText(), null);
          }
        }
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> complete = number(p, loc, stack, problems);
        case VALUE_TRUE, VALUE_FALSE -> complete =
            new ScalarNode(loc, ScalarKind.BOOLEAN, Boolean.toString(token == JsonToken.VALUE_TRUE), null);
        case VALUE_NULL -> complete = new ScalarNode(loc, ScalarKind.NULL, "null", null);
        default -> {
          problems.add(childPath(stack), loc, "unsupported content (" + token + ")");
          complete = new ScalarNode(loc, ScalarKind.NULL, "null", null);
        }
      }
      if (complete != null) {
        Frame parent = stack.peek();
        if (parent == null) {
          root = complete;
          JsonToken extra = p.nextToken();
          if (extra != null) {
            problems.add("", location(p.currentTokenLocation()),
                "unexpected content after the end of the document (a plan file holds exactly one document)");
            return null;
          }
          return root;
        }
        parent.add(complete, problems);
      }
      token = p.nextToken();
    }
    problems.add(currentPath(stack), location(p.currentLocation()), "the document ends unexpectedly");
    return root;
  }

  private static ScalarNode number(JsonParser p, Location loc, Deque<Frame> stack, ProblemCollector problems)
      throws IOException {
    String text = p.getText();
    try {
      BigDecimal value = p.getDecimalValue();
      return new ScalarNode(loc, ScalarKind.NUMBER, text, value);
    } catch (NumberFormatException | ArithmeticException e) {
      problems.add(childPath(stack), loc, "'" + text + "' is not a finite number");
      return new ScalarNode(loc, ScalarKind.NULL, "null", null);
    }
  }

  private static String childPath(Deque<Frame> stack) {
    Frame top = stack.peek();
    if (top == null) {
      return "";
    }
    if (top.map) {
      return ProblemCollector.join(top.path, top.pendingKey == null ? "" : top.pendingKey);
    }
    return top.path + "[" + top.items.size() + "]";
  }

  private static String currentPath(Deque<Frame> stack) {
    return childPath(stack);
  }

  private static Location location(@Nullable JsonLocation loc) {
    if (loc == null || loc.getLineNr() <= 0) {
      return Location.UNKNOWN;
    }
    return new Location(loc.getLineNr(), Math.max(loc.getColumnNr(), 0));
  }

  private static Location location(@Nullable Mark mark, Location fallback) {
    return mark == null ? fallback : new Location(mark.getLine() + 1, mark.getColumn() + 1);
  }

  private static String oneLine(String message) {
    String s = message.replaceAll("\\s*\\R\\s*", " ").trim();
    return s.length() <= 300 ? s : s.substring(0, 297) + "...";
  }

  /** A mapping or list being read. */
  private static final class Frame {
    final boolean map;
    final Location location;
    final String path;
    final Map<String, Entry> entries = new LinkedHashMap<>();
    final List<ConfigNode> items = new ArrayList<>();
    @Nullable String pendingKey;
    Location pendingKeyLocation = Location.UNKNOWN;

    Frame(boolean map, Location location, String path) {
      this.map = map;
      this.location = location;
      this.path = path;
    }

    void add(ConfigNode node, ProblemCollector problems) {
      if (!map) {
        items.add(node);
        return;
      }
      String key = pendingKey == null ? "" : pendingKey;
      Entry first = entries.get(key);
      if (first != null) {
        problems.add(ProblemCollector.join(path, key), pendingKeyLocation, "duplicate field '" + key
            + "' (first given at line " + first.keyLocation().line() + "); each field may appear once");
      } else {
        entries.put(key, new Entry(key, pendingKeyLocation, node));
      }
      pendingKey = null;
    }
  }
}
