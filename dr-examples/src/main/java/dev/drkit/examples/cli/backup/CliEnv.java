package dev.drkit.examples.cli.backup;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the backup commands take from their surroundings: environment variables, output streams,
 * whether they run on a terminal, a passphrase prompt, the clock and the time zone. {@link #system()}
 * is the real process; tests build their own.
 */
public final class CliEnv {
  /** Reads a secret from the user without echo. */
  @FunctionalInterface
  public interface Prompt {
    /**
     * @param message what to ask
     * @return the answer, or {@code null} at end of input
     */
    char @Nullable [] readSecret(String message);
  }

  private final Map<String, String> env;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean terminal;
  private final @Nullable Prompt prompt;
  private final Clock clock;
  private final ZoneId zone;
  private final @Nullable EarlyOpen earlyOpen;

  /**
   * @param env environment variables
   * @param out standard output
   * @param err standard error
   * @param terminal whether output goes to a terminal (progress bars are drawn only then)
   * @param prompt how to ask for a passphrase, or {@code null} when no one can be asked
   * @param clock where "now" is read from (snapshot ages, lock times)
   * @param zone the zone of displayed times and of retention's calendar
   */
  public CliEnv(Map<String, String> env, PrintWriter out, PrintWriter err, boolean terminal, @Nullable Prompt prompt,
      Clock clock, ZoneId zone) {
    this(env, out, err, terminal, prompt, clock, zone, null);
  }

  /**
   * @param env environment variables
   * @param out standard output
   * @param err standard error
   * @param terminal whether output goes to a terminal (progress bars are drawn only then)
   * @param prompt how to ask for a passphrase, or {@code null} when no one can be asked
   * @param clock where "now" is read from (snapshot ages, lock times)
   * @param zone the zone of displayed times and of retention's calendar
   * @param earlyOpen a repository being opened ahead of the command, which a command opening that
   *     repository takes instead of opening its own, or {@code null}
   */
  public CliEnv(Map<String, String> env, PrintWriter out, PrintWriter err, boolean terminal, @Nullable Prompt prompt,
      Clock clock, ZoneId zone, @Nullable EarlyOpen earlyOpen) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
    this.terminal = terminal;
    this.prompt = prompt;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.zone = Objects.requireNonNull(zone, "zone");
    this.earlyOpen = earlyOpen;
  }

  /**
   * @return the real process: {@code System.getenv()}, stdout/stderr, {@code System.console()}, and
   *     the repository {@link EarlyOpen#startForProcess} is opening, if any
   */
  public static CliEnv system() {
    Console console = System.console();
    Charset cs = Charset.defaultCharset();
    return new CliEnv(System.getenv(), new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true),
        new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true), console != null,
        console == null ? null : message -> console.readPassword("%s", message), Clock.systemDefaultZone(),
        ZoneId.systemDefault(), EarlyOpen.forProcess());
  }

  /** @param name a variable @return its value, or {@code null} */
  public @Nullable String getenv(String name) {
    return env.get(name);
  }

  /** @return standard output */
  public PrintWriter out() {
    return out;
  }

  /** @return standard error */
  public PrintWriter err() {
    return err;
  }

  /** @return whether progress may be drawn */
  public boolean terminal() {
    return terminal;
  }

  /** @return the passphrase prompt, or {@code null} */
  public @Nullable Prompt prompt() {
    return prompt;
  }

  /** @return the clock */
  public Clock clock() {
    return clock;
  }

  /** @return the display and calendar zone */
  public ZoneId zone() {
    return zone;
  }

  /** @return the repository being opened ahead of the command, or {@code null} */
  @Nullable EarlyOpen earlyOpen() {
    return earlyOpen;
  }
}
