package dev.drkit.testkit;

import dev.drkit.core.coord.FileLockCoordinator;
import dev.drkit.core.spi.Coordinator;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

/**
 * dr-core's FileLockCoordinator passes the Coordinator contract, its instances competing for one
 * lock file (within one JVM the lock is refused as an overlapping lock, as across processes).
 */
class FileLockCoordinatorContractTest extends CoordinatorContract {
  @TempDir
  Path dir;

  @Override
  protected Coordinator createCoordinator() {
    return new FileLockCoordinator(dir.resolve("leader.lock"), Duration.ofMillis(5));
  }

  @Override
  protected void endTerm(Coordinator coordinator) {
    ((FileLockCoordinator) coordinator).relinquish();
  }

  @Override
  protected boolean sharesLeadership() {
    return true;
  }
}
