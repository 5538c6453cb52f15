package dev.drkit.core.coord;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.Lease;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class FileLockCoordinatorTest {
  @TempDir
  Path dir;

  @Test
  void onlyOneHolderOfTheLockFileLeads() throws Exception {
    Path file = dir.resolve("leader.lock");
    try (FileLockCoordinator a = new FileLockCoordinator(file, Duration.ofMillis(5));
         FileLockCoordinator b = new FileLockCoordinator(file, Duration.ofMillis(5))) {
      Lease la = a.awaitLeadership(Duration.ZERO).orElseThrow();
      assertThat(b.awaitLeadership(Duration.ofMillis(30))).isEmpty();
      assertThat(b.currentLease()).isEmpty();
      a.relinquish();
      assertThat(la.isValid()).isFalse();
      Lease lb = b.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
      assertThat(lb.token()).isGreaterThan(la.token());
      assertThat(a.awaitLeadership(Duration.ofMillis(20))).isEmpty();
    }
  }

  @Test
  void anotherProcessHoldingTheLockKeepsUsOutUntilItIsKilled() throws Exception {
    Path file = dir.resolve("leader.lock");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(javaBin, "-Xshare:off", "-cp", System.getProperty("java.class.path"),
        FileLockLeaderChild.class.getName(), file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (FileLockCoordinator us = new FileLockCoordinator(file, Duration.ofMillis(10));
         java.io.BufferedReader out = new java.io.BufferedReader(
             new java.io.InputStreamReader(child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertThat(line).startsWith("leader ");
      long childToken = Long.parseLong(line.substring("leader ".length()));
      assertThat(us.awaitLeadership(Duration.ofMillis(100))).as("the child leads").isEmpty();
      child.toHandle().destroyForcibly(); // SIGKILL: the OS releases the child's lock
      assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      Lease ours = us.awaitLeadership(Duration.ofSeconds(10)).orElseThrow();
      assertThat(ours.token()).isGreaterThan(childToken);
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void tokensKeepGrowingAcrossRestarts() throws Exception {
    Path file = dir.resolve("leader.lock");
    long last = 0;
    for (int i = 0; i < 3; i++) {
      try (FileLockCoordinator c = new FileLockCoordinator(file, Duration.ofMillis(5))) {
        long token = c.awaitLeadership(Duration.ZERO).orElseThrow().token();
        assertThat(token).isGreaterThan(last);
        last = token;
      }
    }
    assertThat(last).isEqualTo(3);
  }

  @Test
  void closedCoordinatorNeverLeads() throws Exception {
    FileLockCoordinator c = new FileLockCoordinator(dir.resolve("l"), Duration.ofMillis(5));
    Lease lease = c.awaitLeadership(Duration.ZERO).orElseThrow();
    c.close();
    assertThat(lease.isValid()).isFalse();
    assertThat(c.awaitLeadership(Duration.ZERO)).isEmpty();
  }
}
