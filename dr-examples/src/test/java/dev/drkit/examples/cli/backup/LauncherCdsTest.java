package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bin/drkit} launcher maps the class-data-sharing archive {@code drkit.jsa} next to the
 * jar when there is one, and a missing, stale (the jar rebuilt or touched) or damaged archive never
 * breaks a run nor adds a word to its output. Runs the real JVM on a small jar whose main class prints
 * one line, with an archive dumped the way the build dumps {@code drkit.jsa}.
 */
@Tag("integration")
class LauncherCdsTest {
  @TempDir Path tmp;
  Path launcher;
  Path jar;
  Path jsa;
  Path classLog;
  final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  /** The jar's main class. */
  public static final class Hello {
    private Hello() {}

    /** @param args ignored */
    public static void main(String[] args) {
      System.out.println("hello from the jar");
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("dist"));
    launcher = dir.resolve("drkit");
    Files.copy(Path.of("bin", "drkit"), launcher);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    jar = dir.resolve("drkit.jar");
    jsa = dir.resolve("drkit.jsa");
    classLog = tmp.resolve("classes.log");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Hello.class.getName());
    String entry = Hello.class.getName().replace('.', '/') + ".class";
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest);
        InputStream in = Hello.class.getResourceAsStream("/" + entry)) {
      assertThat(in).as(entry).isNotNull();
      j.putNextEntry(new JarEntry(entry));
      in.transferTo(j);
      j.closeEntry();
    }
  }

  private void dumpArchive() throws Exception {
    Process p = new ProcessBuilder(java, "-XX:ArchiveClassesAtExit=" + jsa, "-XX:+UseSerialGC", "-cp", jar.toString(),
        Hello.class.getName()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(jsa).as(out).isNotEmptyFile();
  }

  private record Run(int code, String out, String err, String classes) {}

  /** Runs the launcher from {@code tmp} (a relative path to it, as a user in that directory would). */
  private Run launch(Map<String, String> env) throws Exception {
    Files.deleteIfExists(classLog);
    ProcessBuilder pb = new ProcessBuilder("dist/drkit").directory(tmp.toFile());
    pb.environment().remove("DRKIT_JAR");
    pb.environment().remove("DRKIT_CLASSPATH");
    pb.environment().remove("DRKIT_HEAP");
    pb.environment().remove("DRKIT_CDS");
    pb.environment().put("JAVA", java);
    pb.environment().put("DRKIT_JAVA_OPTS", "-Xmx64m -XX:+UseSerialGC -Xlog:class+load=info:file=" + classLog);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String classes = Files.exists(classLog) ? Files.readString(classLog) : "";
    return new Run(p.exitValue(), out, err, classes);
  }

  /** @return the class-load log line of the main class */
  private static String helloLoad(Run run) {
    List<String> lines = new ArrayList<>();
    run.classes().lines().filter(l -> l.contains(Hello.class.getName() + " ")).forEach(lines::add);
    assertThat(lines).as(run.classes()).hasSize(1);
    return lines.get(0);
  }

  @Test
  void withoutAnArchiveTheJarRunsAsBefore() throws Exception {
    Run run = launch(Map.of());
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("hello from the jar\n");
    assertThat(helloLoad(run)).contains("source: file:").doesNotContain("shared objects file");
  }

  @Test
  void anArchiveNextToTheJarIsMappedAndDrkitCdsOffLeavesItAlone() throws Exception {
    dumpArchive();
    Run run = launch(Map.of());
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("hello from the jar\n");
    assertThat(helloLoad(run)).contains("shared objects file (top)");

    Run off = launch(Map.of("DRKIT_CDS", "off"));
    assertThat(off.code()).as(off.err()).isZero();
    assertThat(off.out()).isEqualTo("hello from the jar\n");
    assertThat(helloLoad(off)).doesNotContain("shared objects file");
  }

  @Test
  void aStaleArchiveIsIgnoredSilently() throws Exception {
    dumpArchive();
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
    Run run = launch(Map.of());
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("hello from the jar\n");
    assertThat(run.err()).isEmpty();
    assertThat(helloLoad(run)).contains("source: file:").doesNotContain("shared objects file");
  }

  @Test
  void aDamagedArchiveIsIgnoredSilently() throws Exception {
    byte[] junk = new byte[64 * 1024];
    for (int i = 0; i < junk.length; i++) {
      junk[i] = (byte) (i * 131 + 7);
    }
    Files.write(jsa, junk);
    Run run = launch(Map.of());
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("hello from the jar\n");
    assertThat(run.err()).isEmpty();
    assertThat(helloLoad(run)).doesNotContain("shared objects file");
  }
}
