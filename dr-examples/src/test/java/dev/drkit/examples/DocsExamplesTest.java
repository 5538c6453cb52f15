package dev.drkit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.ConfigException;
import dev.drkit.core.plan.PlanLoader;
import dev.drkit.core.plan.RecoveryPlan;
import dev.drkit.examples.drill.DrillSettings;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.validation.CheckRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every YAML and JSON example in {@code docs/} is read by the real code: plans by {@link PlanLoader}
 * against dr-validation's real check registry, lists of checks as the checks of a plan, drill
 * settings by {@link DrillSettings}, and the repository format's JSON documents as JSON. An example
 * this test cannot classify fails it, so a new example cannot go unchecked.
 */
class DocsExamplesTest {
  private static final Path DOCS = Path.of("../docs");

  /** One fenced code block. */
  record Example(Path file, int line, String language, String text) {
    String where() {
      return "docs/" + file.getFileName();
    }
  }

  static List<Example> examples() throws IOException {
    List<Example> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(DOCS)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
          String open = lines.get(i).strip();
          if (!open.startsWith("```") || open.length() == 3) {
            continue;
          }
          String lang = open.substring(3).strip();
          StringBuilder text = new StringBuilder();
          int j = i + 1;
          while (j < lines.size() && !lines.get(j).strip().equals("```")) {
            text.append(lines.get(j)).append('\n');
            j++;
          }
          if (lang.equals("yaml") || lang.equals("yml") || lang.equals("json")) {
            out.add(new Example(f, i + 2, lang, text.toString()));
          }
          i = j;
        }
      }
    }
    return out;
  }

  @Test
  void everyYamlAndJsonExampleInTheDocsIsAcceptedByTheRealCode() throws IOException {
    List<Example> examples = examples();
    assertThat(examples).as("examples found in docs/").hasSizeGreaterThanOrEqualTo(7);
    CheckRegistry registry = CheckRegistry.withBuiltIns()
        .registerCheck("my-host-check", ctx -> HealthResult.healthy("registered by the host"));
    List<String> failures = new ArrayList<>();
    for (Example e : examples) {
      try {
        check(e, registry);
      } catch (ConfigException | IOException | IllegalArgumentException ex) {
        failures.add(e.where() + ", " + e.language() + " example at line " + e.line() + ": " + ex.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      fail(failures.size() + " example(s) in docs/ are refused by the real code:\n" + String.join("\n", failures));
    }
  }

  private static void check(Example e, CheckRegistry registry) throws IOException {
    String t = e.text();
    if (e.language().equals("json")) {
      JsonNode node = new ObjectMapper().readTree(t);
      if (!node.isObject()) {
        throw new IllegalArgumentException("expected a JSON object but got " + node.getNodeType());
      }
      if (node.has("services")) {
        loadPlan(e, t, registry);
      }
      return;
    }
    if (t.lines().anyMatch(l -> l.startsWith("services:"))) {
      // blank lines before the example make the problems' line numbers those of the Markdown file
      loadPlan(e, "\n".repeat(e.line() - 1) + t, registry);
    } else if (t.startsWith("- type:") || t.startsWith("- {type:")) {
      String plan = "services:\n  - name: docs\n    rpo: 5m\n    rto: 30m\n    validation:\n      - name: example\n"
          + "        checks:\n" + t.lines().map(l -> "          " + l).reduce("", (a, b) -> a + b + "\n");
      loadPlan(e, plan, registry);
    } else if (t.startsWith("service:")) {
      DrillSettings.parse(new ByteArrayInputStream(t.getBytes(StandardCharsets.UTF_8)), e.where());
    } else {
      throw new IllegalArgumentException("an example DocsExamplesTest cannot classify (a plan, a list of checks,"
          + " drill settings or JSON); teach the test how to check it");
    }
  }

  private static void loadPlan(Example e, String text, CheckRegistry registry) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    // the default loader (the check types found through ServiceLoader) ...
    RecoveryPlan plan = PlanLoader.create().load(new ByteArrayInputStream(bytes), e.where());
    // ... and the host's registry, which knows its registered checks too
    PlanLoader.withCheckValidator(registry.specValidator()).load(new ByteArrayInputStream(bytes), e.where());
    assertThat(plan.services()).as(e.where()).isNotEmpty();
  }
}
