package dev.drkit.core.coord;

import java.nio.file.Path;
import java.time.Duration;

/** Child process of {@link FileLockCoordinatorTest}: takes leadership, reports its token, waits to be killed. */
public final class FileLockLeaderChild {
  private FileLockLeaderChild() {}

  /**
   * @param args the lock file
   * @throws Exception never expected
   */
  public static void main(String[] args) throws Exception {
    FileLockCoordinator c = new FileLockCoordinator(Path.of(args[0]), Duration.ofMillis(10));
    long token = c.awaitLeadership(Duration.ofSeconds(30)).orElseThrow().token();
    System.out.println("leader " + token);
    System.out.flush();
    // Stay leader until killed; reading stdin blocks without burning CPU.
    System.in.read();
  }
}
