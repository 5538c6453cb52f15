package dev.drkit.core.plan;

import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.internal.config.ConfigNode;
import dev.drkit.core.internal.config.ConfigTreeReader;
import dev.drkit.core.internal.config.PlanBinder;
import dev.drkit.core.internal.config.ProblemCollector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@link RecoveryPlan} from YAML or JSON. The file format is documented in
 * {@code docs/plan-format.md}; in short:
 *
 * <pre>{@code
 * defaults: {rpo: 15, rto: 1h, priority: medium}
 * services:
 *   - name: orders
 *     dependencies: [inventory, auth]
 *     validation:
 *       - name: smoke
 *         checks: [{type: tcp, host: orders.internal, port: 8080}]
 *         threshold: 1.0
 *         timeout: 30s
 *     backup:
 *       - {name: nightly, type: full, schedule: "0 2 * * *", encryption: {key-source: env:DRKIT_KEY}}
 * }</pre>
 *
 * <p>Loading never throws anything but {@link ConfigException} (and {@link NullPointerException}
 * for null arguments), whatever the input: every problem found (unknown or repeated field, wrong
 * type, missing name, non-positive RPO or RTO, threshold outside {@code (0, 1]}, bad cron
 * expression, duplicate service, unknown dependency, dependency cycle, a check the
 * {@link CheckSpecValidator} refuses, and syntax errors) is collected, each with the source, line,
 * column and field path such as {@code services[2].validation[0].threshold}. Inputs are bounded:
 * at most {@link #MAX_BYTES} bytes, {@value ConfigTreeReader#MAX_DEPTH} levels of nesting, no YAML
 * aliases. Immutable and thread-safe.
 */
public final class PlanLoader {
  /** The largest plan file accepted, in bytes (8 MiB). */
  public static final int MAX_BYTES = 8 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(PlanLoader.class);
  private static final PlanLoader DEFAULT = new PlanLoader(CheckSpecValidator.discovered());

  /** The syntax of a plan file. */
  public enum Format {
    /** YAML 1.1 (one document). */
    YAML,
    /** JSON. */
    JSON;

    /**
     * Chooses by file name ({@code .json} is JSON, {@code .yaml} and {@code .yml} are YAML) and
     * otherwise by content (a document starting with <code>&#123;</code> or <code>[</code> is JSON).
     *
     * @param name the file name or other source name
     * @param content the document
     * @return the format
     */
    public static Format detect(String name, byte[] content) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".json")) {
        return JSON;
      }
      if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
        return YAML;
      }
      for (byte b : content) {
        if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
          continue;
        }
        return b == '{' || b == '[' ? JSON : YAML;
      }
      return YAML;
    }
  }

  private final CheckSpecValidator checkValidator;

  private PlanLoader(CheckSpecValidator checkValidator) {
    this.checkValidator = checkValidator;
  }

  /**
   * @return a loader that validates every check with {@link CheckSpecValidator#discovered()}: the
   *     check types of dr-validation and of its live registries when dr-validation is on the class
   *     path, nothing otherwise
   */
  public static PlanLoader create() {
    return DEFAULT;
  }

  /**
   * @param checkValidator validates every check spec of the plan (for example dr-validation's
   *     registry of check types); its {@link ConfigException} paths are placed under the check's
   *     path, and any other exception it throws is reported as a problem of that check
   * @return a loader using it
   * @throws NullPointerException when {@code checkValidator} is null
   */
  public static PlanLoader withCheckValidator(CheckSpecValidator checkValidator) {
    return new PlanLoader(Objects.requireNonNull(checkValidator, "checkValidator"));
  }

  /**
   * Loads a plan file, choosing the format with {@link Format#detect}.
   *
   * @param file the plan file (YAML or JSON)
   * @return the plan
   * @throws ConfigException naming the file for every problem, including a file that cannot be read
   *     or is larger than {@link #MAX_BYTES}
   */
  public RecoveryPlan load(Path file) {
    Objects.requireNonNull(file, "file");
    String source = file.toString();
    byte[] content;
    try {
      if (Files.isDirectory(file)) {
        throw single(source, "is a directory, not a plan file");
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw single(source, "is " + size + " bytes; a plan file may be at most " + MAX_BYTES + " bytes");
      }
      try (InputStream in = Files.newInputStream(file)) {
        content = readBounded(in, source);
      }
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigException.Problem(source, 0, 0, "",
          "cannot read the plan file: " + e)), e);
    }
    return parse(content, source, Format.detect(source, content));
  }

  /**
   * Loads a plan from a stream (for example a class-path resource), reading at most
   * {@link #MAX_BYTES} bytes. The stream is not closed.
   *
   * @param in the stream
   * @param source a name for messages (and format detection)
   * @return the plan
   * @throws ConfigException for every problem, naming {@code source}
   */
  public RecoveryPlan load(InputStream in, String source) {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(source, "source");
    byte[] content;
    try {
      content = readBounded(in, source);
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigException.Problem(source, 0, 0, "",
          "cannot read the plan: " + e)), e);
    }
    return parse(content, source, Format.detect(source, content));
  }

  /**
   * @param text the document
   * @param source a name for messages (and format detection)
   * @return the plan
   * @throws ConfigException for every problem, naming {@code source}
   */
  public RecoveryPlan parse(String text, String source) {
    Objects.requireNonNull(text, "text");
    byte[] content = text.getBytes(StandardCharsets.UTF_8);
    return parse(content, source, Format.detect(source, content));
  }

  /**
   * @param content the document
   * @param source a name for messages
   * @param format its syntax
   * @return the plan
   * @throws ConfigException for every problem, naming {@code source}
   */
  public RecoveryPlan parse(byte[] content, String source, Format format) {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(format, "format");
    if (content.length > MAX_BYTES) {
      throw single(source, "is " + content.length + " bytes; a plan may be at most " + MAX_BYTES + " bytes");
    }
    ProblemCollector problems = new ProblemCollector(source);
    try {
      ConfigNode root = ConfigTreeReader.read(content, format == Format.YAML, problems);
      if (root == null) {
        throw problems.toException();
      }
      RecoveryPlan plan = new PlanBinder(problems, checkValidator).bind(root);
      LOG.debug("loaded plan {} from {}: {} services in {} waves", plan.name(), source,
          plan.services().size(), plan.waves().size());
      return plan;
    } catch (ConfigException e) {
      LOG.debug("plan {} is invalid: {} problems", source, e.problems().size());
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      // Defensive: the reader and binder report every failure they foresee as a problem; anything
      // else is still a problem of this input, not a crash of the caller.
      List<ConfigException.Problem> list = new java.util.ArrayList<>(problems.problems());
      list.add(new ConfigException.Problem(source, 0, 0, "", "cannot load the plan: " + e));
      throw new ConfigException(list, e);
    }
  }

  private static byte[] readBounded(InputStream in, String source) throws IOException {
    byte[] content = in.readNBytes(MAX_BYTES + 1);
    if (content.length > MAX_BYTES) {
      throw single(source, "is larger than " + MAX_BYTES + " bytes, the most a plan may be");
    }
    return content;
  }

  private static ConfigException single(String source, String message) {
    return new ConfigException(List.of(new ConfigException.Problem(source, 0, 0, "", message)));
  }
}
