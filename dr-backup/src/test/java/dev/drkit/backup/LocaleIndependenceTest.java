package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.EncryptionConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names and symlink targets round-trip whatever the JVM's file-name encoding: a child JVM started
 * under {@code LC_ALL=C} (so {@code sun.jnu.encoding} is ASCII and every non-ASCII name is
 * undecodable as a string) backs up and restores a tree of UTF-8, Latin-1 and {@code 0xFF} names
 * and links, and the shell finds the restored bytes identical.
 */
@Tag("integration")
class LocaleIndependenceTest {
  @TempDir Path tmp;

  /** The child: backs up {@code args[1]} into repository {@code args[0]} and restores it to {@code args[2]}. */
  public static final class Child {
    private Child() {}

    /**
     * @param args repository, source, target (ASCII paths)
     */
    public static void main(String[] args) {
      System.out.println("jnu=" + System.getProperty("sun.jnu.encoding"));
      try (Repository repo = Repository.init(new FileSystemBlobStore(Path.of(args[0])), EncryptionConfig.none(), null,
          RepositoryOptions.builder().host("h").build())) {
        Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(Path.of(args[1]))));
        repo.restore(s.id(), Path.of(args[2]));
        System.out.println("skipped=" + s.skipped().size());
      }
    }
  }

  @Test
  void aJvmUnderTheCLocaleRoundTripsNonAsciiNamesAndTargets() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    List<byte[]> names = List.of(b("caf\u00e9"), new byte[] {'l', (byte) 0xe9}, new byte[] {'x', (byte) 0xff});
    List<byte[]> targets = List.of(b("../donn\u00e9es/x"), new byte[] {(byte) 0xff, '/', '.', '.', '/', 'y'},
        b("/abs/\u65e5\u672c/"));
    RawShell.symlinks(src, names, targets);
    RawShell.run(src, "printf data > \"$(printf 'f\\351')\"; mkdir \"$(printf 'd\\303\\251')\"");

    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), Child.class.getName(),
        tmp.resolve("repo").toString(), src.toString(), tmp.resolve("out").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("LC_ALL", "C");
    pb.environment().put("LANG", "C");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("jnu=ANSI_X3.4-1968").contains("skipped=0");

    Path restored = tmp.resolve("out");
    HexFormat hex = HexFormat.of();
    assertThat(RawShell.readlinks(restored, names).stream().map(hex::formatHex).toList())
        .isEqualTo(targets.stream().map(hex::formatHex).toList());
    String listing = "for f in *; do printf '%s\\n' \"$f\"; done | od -An -tx1 | tr -d ' \\n'";
    assertThat(new String(RawShell.run(restored, listing), StandardCharsets.US_ASCII))
        .isEqualTo(new String(RawShell.run(src, listing), StandardCharsets.US_ASCII));
    assertThat(new String(RawShell.run(restored, "cat \"$(printf 'f\\351')\""), StandardCharsets.US_ASCII))
        .isEqualTo("data");
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
