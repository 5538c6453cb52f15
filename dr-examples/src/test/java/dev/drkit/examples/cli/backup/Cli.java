package dev.drkit.examples.cli.backup;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Runs the backup commands in-process under a {@code drkit} root, capturing their output. */
final class Cli {
  @Command(name = "drkit")
  static final class Root implements Runnable {
    @Override
    public void run() {
      throw new IllegalStateException("no command");
    }
  }

  /** One run's result. */
  record Result(int exitCode, String out, String err) {}

  final Map<String, String> env = new HashMap<>();
  final Deque<String> answers = new ArrayDeque<>();
  boolean terminal;
  boolean canPrompt;
  Clock clock = Clock.systemUTC();
  /** A repository opened ahead of the next command, as the tool's {@code main} does. */
  EarlyOpen early;

  Cli password(String p) {
    env.put("DRKIT_PASSWORD", p);
    return this;
  }

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    PrintWriter o = new PrintWriter(out, true);
    PrintWriter e = new PrintWriter(err, true);
    CliEnv.Prompt prompt = canPrompt ? message -> {
      String a = answers.poll();
      return a == null ? null : a.toCharArray();
    } : null;
    CliEnv cliEnv = new CliEnv(env, o, e, terminal, prompt, clock, ZoneOffset.UTC, early);
    CommandLine cl = new CommandLine(new Root());
    for (Object c : BackupCommands.commands(cliEnv)) {
      cl.addSubcommand(c);
    }
    cl.setOut(o);
    cl.setErr(e);
    int code = cl.execute(args);
    o.flush();
    e.flush();
    return new Result(code, out.toString(), err.toString());
  }
}
