package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bin/drkit} launcher starts the JVM lean by default (bounded heap, serial collector,
 * bounded direct memory, metaspace and code cache), lets {@code DRKIT_JAVA_OPTS} replace those
 * options and {@code DRKIT_HEAP} the heap alone, and runs the {@code drkit.jar} next to itself (where
 * the build puts both). The {@code java} it runs is a script that prints its arguments.
 */
@Tag("integration")
class LauncherOptionsTest {
  @TempDir Path tmp;
  Path launcher;
  Path fakeJava;

  @BeforeEach
  void setUp() throws Exception {
    launcher = tmp.resolve("target").resolve("drkit");
    Files.createDirectories(launcher.getParent());
    Files.copy(Path.of("bin", "drkit"), launcher);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(launcher.resolveSibling("drkit.jar"), "not read by the fake java");
    fakeJava = tmp.resolve("fake-java");
    Files.writeString(fakeJava, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
    Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private List<String> args(Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "backup", "--repo", "r", "x");
    pb.environment().remove("DRKIT_JAVA_OPTS");
    pb.environment().remove("DRKIT_HEAP");
    pb.environment().remove("DRKIT_JAR");
    pb.environment().remove("DRKIT_CLASSPATH");
    pb.environment().put("JAVA", fakeJava.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    return out.lines().toList();
  }

  @Test
  void byDefaultTheJvmIsLeanAndRunsTheJarNextToTheLauncher() throws Exception {
    List<String> a = args(Map.of());
    assertThat(a).contains("-Xmx160m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=64m", "-Xss512k");
    assertThat(a).anyMatch(s -> s.startsWith("-XX:MaxMetaspaceSize="));
    assertThat(a).anyMatch(s -> s.startsWith("-XX:ReservedCodeCacheSize="));
    int jar = a.indexOf("-jar");
    assertThat(jar).isPositive();
    assertThat(Path.of(a.get(jar + 1)).toRealPath()).isEqualTo(launcher.resolveSibling("drkit.jar").toRealPath());
    assertThat(a.subList(jar + 2, a.size())).containsExactly("backup", "--repo", "r", "x");
  }

  @Test
  void drkitHeapChangesOnlyTheHeapAndJavaOptsReplaceTheDefaults() throws Exception {
    List<String> heap = args(Map.of("DRKIT_HEAP", "512m"));
    assertThat(heap).contains("-Xmx512m", "-XX:+UseSerialGC").doesNotContain("-Xmx160m");
    List<String> own = args(Map.of("DRKIT_JAVA_OPTS", "-Xmx1g -XX:+UseParallelGC"));
    assertThat(own.subList(0, own.indexOf("-jar"))).containsExactly("-Xmx1g", "-XX:+UseParallelGC");
    List<String> none = args(Map.of("DRKIT_JAVA_OPTS", ""));
    assertThat(none.get(0)).isEqualTo("-jar");
  }

  @Test
  void anArchiveNextToTheJarIsPassedWithItsAbsolutePathAndToleratedIfItDoesNotMatch() throws Exception {
    assertThat(args(Map.of())).noneMatch(s -> s.startsWith("-XX:SharedArchiveFile"));
    Path jsa = launcher.resolveSibling("drkit.jsa");
    Files.writeString(jsa, "not read by the fake java");
    List<String> a = args(Map.of());
    List<String> options = a.subList(0, a.indexOf("-jar"));
    assertThat(options).contains("-Xmx160m", "-Xshare:auto", "-XX:SharedArchiveFile=" + jsa.toRealPath(),
        "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    assertThat(a.get(a.indexOf("-jar") + 1)).isEqualTo(launcher.resolveSibling("drkit.jar").toRealPath().toString());
    assertThat(a.subList(a.indexOf("-jar") + 2, a.size())).containsExactly("backup", "--repo", "r", "x");
    assertThat(args(Map.of("DRKIT_CDS", "off"))).noneMatch(s -> s.startsWith("-XX:SharedArchiveFile"));
  }
}
