package dev.drkit.examples.cli;

import dev.drkit.examples.FileTrees;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The training run of the class-data-sharing archive {@code drkit.jsa} the build writes next to
 * {@code drkit.jar}: the build starts {@code java -XX:ArchiveClassesAtExit=target/drkit.jsa -cp
 * target/drkit.jar dev.drkit.examples.cli.CdsTraining DIR} and the JVM archives every class this run
 * loaded. In one JVM it runs the commands a user runs most, each run as {@code drkit} runs it
 * ({@link DrkitCli#run}, which also opens the repository early): {@code --help}, {@code init},
 * {@code backup} (full, then no-change), {@code snapshots}, {@code restore} and {@code verify}, on a small tree in a fresh
 * repository under {@code DIR}. The passphrase comes from {@code DRKIT_PASSWORD} as for the real tool (the build sets a
 * throw-away one in this process's environment only); {@code DIR} is deleted at the end, so no
 * repository and no key is left behind. Output of the commands is discarded.
 */
public final class CdsTraining {
  private CdsTraining() {}

  /**
   * Runs the training.
   *
   * @param args one argument: a directory to work in (created if absent, deleted at the end)
   * @throws IOException when the work directory cannot be written or deleted
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: CdsTraining DIR (a scratch directory, deleted at the end)");
    }
    Path dir = Path.of(args[0]).toAbsolutePath();
    PrintStream realOut = System.out;
    int failures = 0;
    try {
      Files.createDirectories(dir);
      Path src = Files.createDirectories(dir.resolve("src"));
      Files.writeString(src.resolve("readme.txt"), "drkit class-data-sharing training\n".repeat(200));
      Path sub = Files.createDirectories(src.resolve("sub"));
      byte[] data = new byte[300_000];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (i * 31 + (i >>> 7));
      }
      Files.write(sub.resolve("data.bin"), data);
      String repo = dir.resolve("repo").toString();
      List<List<String>> commands = List.of(
          List.of("--help"),
          List.of("backup", "--help"),
          List.of("init", "--repo", repo),
          List.of("backup", "--repo", repo, src.toString()),
          List.of("backup", "--repo", repo, src.toString()),
          List.of("snapshots", "--repo", repo),
          List.of("restore", "latest", "--repo", repo, "--target", dir.resolve("restored").toString()),
          List.of("verify", "--repo", repo));
      System.setOut(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
      for (List<String> command : commands) {
        String[] argv = command.toArray(String[]::new);
        int code = DrkitCli.run(argv);
        if (code != 0) {
          failures++;
          System.err.println("drkit CDS training: `drkit " + String.join(" ", command) + "` exited with " + code);
        }
      }
    } finally {
      System.setOut(realOut);
      FileTrees.deleteTree(dir);
    }
    if (failures > 0) {
      System.err.println("drkit CDS training: " + failures + " command(s) failed; the archive covers fewer classes");
    }
  }

}
