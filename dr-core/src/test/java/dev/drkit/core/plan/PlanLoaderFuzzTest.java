package dev.drkit.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.drkit.core.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whatever the input, loading either returns a plan or throws a {@link ConfigException} with at
 * least one problem; never another exception, never a hang. Fixed seeds; raise the counts with
 * {@code -Ddrkit.fuzz.iterations=N}.
 */
class PlanLoaderFuzzTest {
  private static final int ITERATIONS = Integer.getInteger("drkit.fuzz.iterations", 1_500);
  private static final byte[] SPECIAL = ("{}[]:,-&*!|>'\"#%@`?\n\t \\0.5e9-1_~=" + "\u00e9\u2028")
      .getBytes(StandardCharsets.UTF_8);

  private final PlanLoader loader = PlanLoader.create();
  private int loaded;
  private int rejected;

  private void loadMustNotCrash(byte[] content, PlanLoader.Format format, String label) {
    try {
      RecoveryPlan plan = loader.parse(content, "fuzz." + format.name().toLowerCase(java.util.Locale.ROOT), format);
      assertThat(plan.services()).isNotEmpty();
      loaded++;
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
      assertThat(e.getMessage()).isNotBlank();
      rejected++;
    } catch (Throwable t) {
      fail("%s: loading threw %s for input:\n%s", label, t, new String(content, 0,
          Math.min(content.length, 2_000), StandardCharsets.UTF_8), t);
    }
  }

  private static byte[] resource(String name) {
    try {
      return Files.readAllBytes(PlanLoaderTest.resource(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void randomBytesNeverCrashTheLoader() {
    Random random = new Random(11);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] content = new byte[random.nextInt(512)];
      if (random.nextBoolean()) {
        random.nextBytes(content);
      } else {
        for (int k = 0; k < content.length; k++) {
          content[k] = SPECIAL[random.nextInt(SPECIAL.length)];
        }
      }
      loadMustNotCrash(content, random.nextBoolean() ? PlanLoader.Format.YAML : PlanLoader.Format.JSON,
          "random bytes #" + i);
    }
    assertThat(rejected).isGreaterThan(0);
  }

  @Test
  void mutationsOfValidPlansNeverCrashTheLoader() {
    Random random = new Random(12);
    byte[][] seeds = {resource("valid-plan.yaml"), resource("valid-plan.json")};
    PlanLoader.Format[] formats = {PlanLoader.Format.YAML, PlanLoader.Format.JSON};
    long start = System.nanoTime();
    for (int i = 0; i < ITERATIONS * 2; i++) {
      int s = random.nextInt(2);
      byte[] content = seeds[s];
      int mutations = 1 + random.nextInt(4);
      for (int m = 0; m < mutations; m++) {
        content = mutate(content, random);
      }
      loadMustNotCrash(content, formats[s], "mutation #" + i);
    }
    // Some mutations (in comments, or swapping equivalent values) keep the plan valid.
    assertThat(loaded).isGreaterThan(0);
    assertThat(rejected).isGreaterThan(loaded);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
  }

  private static byte[] mutate(byte[] in, Random random) {
    if (in.length == 0) {
      return new byte[] {SPECIAL[random.nextInt(SPECIAL.length)]};
    }
    int at = random.nextInt(in.length);
    switch (random.nextInt(6)) {
      case 0: { // flip a byte
        byte[] out = in.clone();
        out[at] = random.nextInt(3) == 0 ? (byte) random.nextInt(256) : SPECIAL[random.nextInt(SPECIAL.length)];
        return out;
      }
      case 1: { // delete a range
        int len = Math.min(in.length - at, 1 + random.nextInt(20));
        byte[] out = new byte[in.length - len];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(in, at + len, out, at, in.length - at - len);
        return out;
      }
      case 2: { // insert special bytes
        int len = 1 + random.nextInt(5);
        byte[] out = new byte[in.length + len];
        System.arraycopy(in, 0, out, 0, at);
        for (int k = 0; k < len; k++) {
          out[at + k] = SPECIAL[random.nextInt(SPECIAL.length)];
        }
        System.arraycopy(in, at, out, at + len, in.length - at);
        return out;
      }
      case 3: { // duplicate a range
        int len = Math.min(in.length - at, 1 + random.nextInt(80));
        byte[] out = new byte[in.length + len];
        System.arraycopy(in, 0, out, 0, at + len);
        System.arraycopy(in, at, out, at + len, in.length - at);
        return out;
      }
      case 4: // truncate
        return Arrays.copyOf(in, at);
      default: { // replace a digit run with a huge or odd number
        String[] numbers = {"1e400", "-0", "99999999999999999999999999", "0.0000001", "1e-400", "NaN", ".inf",
            "2147483648", "-2147483649", "0x1F"};
        byte[] n = numbers[random.nextInt(numbers.length)].getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[in.length + n.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(n, 0, out, at, n.length);
        System.arraycopy(in, at, out, at + n.length, in.length - at);
        return out;
      }
    }
  }

  @Test
  void pathologicalDocumentsAreRejectedQuickly() {
    String[] yaml = {
        "[".repeat(200_000),
        "a: ".repeat(10_000) + "b",
        "- ".repeat(10_000) + "x",
        "{a: ".repeat(50_000),
        "services:\n" + "  - name: x\n    rpo: 1e999999999\n    rto: 5\n",
        "services:\n" + "  - name: x\n    rpo: 1e-999999999\n    rto: -1e-999999999\n",
        "services:\n" + "  - name: x\n    rpo: 5\n    rto: 5\n    validation:\n      - name: s\n"
            + "        checks: [{type: t, a: 1e999999999, b: 1e-999999999, c: -1e999999999}]\n",
        "services:\n  - name: x\n    rpo: " + "9".repeat(5_000) + "\n    rto: 5\n",
        "services:\n  - name: " + "n".repeat(1_000_000) + "\n    rpo: 5\n    rto: 5\n",
        // A "billion laughs" alias bomb: aliases are refused, so nothing is expanded.
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            + "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            + "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
            + "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
            + "services: [{name: x, rpo: 5, rto: 5, dependencies: *g}]\n",
        "services: !!binary AAAA\n",
        "!!python/object:os.system [ls]\n",
        "? [complex, key]\n: value\n",
        "services:\n  - name: x\n    rpo: 5\n    rto: 5\n\u0000\u0001",
        "\ufeffservices: [{name: a, rpo: 5, rto: 5}]\n",
        "services: [{name: a, rpo: 5, rto: 5}]\n".repeat(3),
    };
    long start = System.nanoTime();
    for (int i = 0; i < yaml.length; i++) {
      byte[] content = yaml[i].getBytes(StandardCharsets.UTF_8);
      loadMustNotCrash(content, PlanLoader.Format.YAML, "pathological yaml #" + i);
      loadMustNotCrash(content, PlanLoader.Format.JSON, "pathological yaml as json #" + i);
    }
    String[] json = {
        "[".repeat(200_000),
        "{\"a\":".repeat(100_000),
        "{\"services\": [{\"name\": \"x\", \"rpo\": 1e999999999, \"rto\": 5}]}",
        "{\"services\": [{\"name\": \"x\", \"rpo\": " + "1".repeat(100_000) + ", \"rto\": 5}]}",
        "{\"services\": [{\"name\": \"" + "\\ud800".repeat(100) + "\", \"rpo\": 5, \"rto\": 5}]}",
    };
    for (int i = 0; i < json.length; i++) {
      loadMustNotCrash(json[i].getBytes(StandardCharsets.UTF_8), PlanLoader.Format.JSON, "pathological json #" + i);
    }
    assertThat(rejected).isGreaterThan(0);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }
}
