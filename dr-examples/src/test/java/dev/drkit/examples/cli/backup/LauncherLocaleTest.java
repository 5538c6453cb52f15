package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bin/drkit} launcher runs the JVM under a UTF-8 locale, so a non-ASCII path argument
 * works from a shell whose locale is {@code C}; a JVM started directly under {@code C} cannot name it.
 */
@Tag("integration")
class LauncherLocaleTest {
  @TempDir Path tmp;

  private Result run(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("LC_ALL");
    pb.environment().remove("LC_CTYPE");
    pb.environment().put("LANG", "C");
    pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    pb.environment().put("DRKIT_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("DRKIT_JAVA_OPTS", "-Xmx256m -Xshare:off");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out, err);
  }

  record Result(int code, String out, String err) {}

  @Test
  void theLauncherNamesNonAsciiPathArgumentsUnderTheCLocale() throws Exception {
    Path launcher = Path.of("bin", "drkit").toAbsolutePath();
    assertThat(launcher).isExecutable();
    Path repo = tmp.resolve("repo");
    Path src = Files.createDirectories(tmp.resolve("données"));
    Files.writeString(src.resolve("f"), "x");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    Result init = run(List.of(launcher.toString(), "init", "--repo", repo.toString(), "--no-encryption"), Map.of());
    assertThat(init.code()).as(init.err()).isZero();
    Result viaLauncher = run(List.of(launcher.toString(), "backup", "--repo", repo.toString(), src.toString()),
        Map.of());
    assertThat(viaLauncher.code()).as(viaLauncher.err()).isZero();
    assertThat(viaLauncher.err()).contains("données");

    Result direct = run(List.of(java, "-Xshare:off", "-cp", System.getProperty("java.class.path"),
        "dev.drkit.examples.cli.DrkitCli", "backup", "--repo", repo.toString(), src.toString()), Map.of());
    assertThat(direct.code()).as("a JVM under LANG=C cannot name the path: %s", direct.err()).isEqualTo(2);
  }
}
