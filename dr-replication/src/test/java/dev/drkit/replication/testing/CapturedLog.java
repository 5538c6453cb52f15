package dev.drkit.replication.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Captures what the tests' slf4j provider (slf4j-simple, which writes each line to the current
 * {@code System.err}) logs while open, as the other log tests of this module do; closing restores
 * {@code System.err}. Tests run one at a time, so only the test's own components log meanwhile.
 */
public final class CapturedLog implements AutoCloseable {
  private final PrintStream original = System.err;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  /** Starts capturing. */
  public CapturedLog() {
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
  }

  /** @return everything logged so far, as written */
  public String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** @return the lines logged so far (split at every line terminator a log reader would see) */
  public List<String> lines() {
    return Arrays.stream(text().split("\r\n|\r|\n|\u0085|\u2028|\u2029")).filter(l -> !l.isEmpty()).toList();
  }

  /** @return the lines logged at WARN so far */
  public List<String> warnings() {
    return lines().stream().filter(l -> l.contains(" WARN ")).toList();
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
