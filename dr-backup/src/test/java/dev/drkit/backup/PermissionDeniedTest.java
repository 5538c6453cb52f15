package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.drkit.core.config.EncryptionConfig;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file that cannot be read and a directory that cannot be listed (permissions) are skipped and
 * reported, and the snapshot holds the rest. Root reads everything, so under root the backup runs
 * in a child JVM as {@code nobody} (through {@code setpriv}), with the class path copied where
 * {@code nobody} can read it.
 */
@Tag("integration")
class PermissionDeniedTest {
  @TempDir Path tmp;

  /** The child: backs up {@code args[1]} into a new repository {@code args[0]}, prints the skipped entries. */
  public static final class Child {
    private Child() {}

    /** @param args repository, source */
    public static void main(String[] args) {
      try (Repository repo = Repository.init(new FileSystemBlobStore(Path.of(args[0])), EncryptionConfig.none(), null,
          RepositoryOptions.builder().host("h").build())) {
        Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(Path.of(args[1]))));
        System.out.println("files=" + s.stats().files());
        for (SkippedEntry k : s.skipped()) {
          System.out.println("skipped " + k.path() + " " + k.reason());
        }
        System.out.println("listed=" + repo.snapshots().size());
      }
    }
  }

  @Test
  void unreadableFilesAndDirectoriesAreSkippedAndReported() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("open.txt"), "o");
    Path secret = Files.writeString(src.resolve("secret.txt"), "s");
    Path locked = Files.createDirectories(src.resolve("locked"));
    Files.writeString(locked.resolve("inside"), "i");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
    Path repoDir = Files.createDirectories(tmp.resolve("repo"));
    Files.setPosixFilePermissions(repoDir, PosixFilePermissions.fromString("rwxrwxrwx"));
    String out;
    try {
      out = root() ? runAsNobody(repoDir, src) : inProcess(repoDir, src);
    } finally {
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
    }
    assertThat(out).contains("files=1").contains("skipped locked PERMISSION_DENIED")
        .contains("skipped secret.txt PERMISSION_DENIED").contains("listed=1");
  }

  private static boolean root() throws Exception {
    return new String(RawShell.run(Path.of("/"), "id -u"), StandardCharsets.US_ASCII).trim().equals("0");
  }

  private static String inProcess(Path repoDir, Path src) {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      Child.main(new String[] {repoDir.toString(), src.toString()});
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  private String runAsNobody(Path repoDir, Path src) throws Exception {
    Process probe = new ProcessBuilder("setpriv", "--version").redirectErrorStream(true).start();
    probe.getInputStream().readAllBytes();
    assumeThat(probe.waitFor()).as("setpriv is needed to drop root").isZero();
    Path cp = Files.createDirectories(tmp.resolve("cp"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path from = Path.of(e);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = cp.resolve(i++ + "-" + from.getFileName());
      RawShell.run(tmp, "cp -r '" + from + "' '" + to + "' && chmod -R a+rX '" + to + "'");
      entries.add(to.toString());
    }
    RawShell.run(tmp, "chmod a+rx '" + cp + "' '" + src + "'");
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-Xshare:off",
        "-Djava.io.tmpdir=" + repoDir, "-cp", String.join(File.pathSeparator, entries), Child.class.getName(),
        repoDir.toString(), src.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
