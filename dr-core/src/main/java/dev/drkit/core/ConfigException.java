package dev.drkit.core;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Invalid configuration. Carries every problem found, each naming the field path (for example
 * {@code services[2].validation[0].threshold}) and, for a file, the source, line and column.
 */
public class ConfigException extends DrException {
  private static final long serialVersionUID = 1L;
  private final List<Problem> problems;

  /**
   * One problem in a configuration.
   *
   * @param source the file or other source, {@code null} when built in code
   * @param line 1-based line, {@code 0} when unknown
   * @param column 1-based column, {@code 0} when unknown
   * @param path the field path, for example {@code services[0].rpo}
   * @param message what is wrong
   */
  public record Problem(@Nullable String source, int line, int column, String path, String message) {
    /** Validates the components. */
    public Problem {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(message, "message");
    }

    /**
     * A problem found in code (no file location).
     *
     * @param path the field path
     * @param message what is wrong
     * @return the problem
     */
    public static Problem of(String path, String message) {
      return new Problem(null, 0, 0, path, message);
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      if (source != null) {
        sb.append(source);
        if (line > 0) {
          sb.append(':').append(line);
          if (column > 0) {
            sb.append(':').append(column);
          }
        }
        sb.append(": ");
      }
      if (!path.isEmpty()) {
        sb.append(path).append(": ");
      }
      return sb.append(message).toString();
    }
  }

  /**
   * @param path the field path
   * @param message what is wrong
   */
  public ConfigException(String path, String message) {
    this(List.of(Problem.of(path, message)));
  }

  /** @param problems every problem found, at least one */
  public ConfigException(List<Problem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * @param problems every problem found, at least one
   * @param cause the underlying failure
   */
  public ConfigException(List<Problem> problems, Throwable cause) {
    super(render(problems), cause);
    this.problems = List.copyOf(problems);
  }

  private static String render(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    if (problems.size() == 1) {
      return problems.get(0).toString();
    }
    return problems.size() + " configuration problems:\n  "
        + problems.stream().map(Problem::toString).collect(Collectors.joining("\n  "));
  }

  /** @return every problem, in the order found */
  public List<Problem> problems() {
    return problems;
  }

  /**
   * A copy whose problems' paths are prefixed, for nesting a component's validation into a larger
   * config (for example prefix {@code services[3]} onto {@code rpo}).
   *
   * @param prefix the path of the enclosing field
   * @return a new exception with prefixed paths
   */
  public ConfigException prefixed(String prefix) {
    return new ConfigException(problems.stream()
        .map(p -> new Problem(p.source(), p.line(), p.column(),
            p.path().isEmpty() ? prefix : p.path().startsWith("[") ? prefix + p.path() : prefix + "." + p.path(),
            p.message()))
        .toList(), this);
  }
}
