package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link ScheduleRunner}'s seeded schedules: 500 in the build (seeds from
 * {@code -Ddrkit.schedules.seed}, default 1; count from {@code -Ddrkit.schedules}, default 500);
 * {@code benchmarks/soak-backup-schedules.sh} runs many more. The summary goes to standard output
 * and {@code target/schedule-summary.txt}.
 */
class RandomizedScheduleTest {
  @TempDir Path tmp;

  @Test
  void everyListedSnapshotRestoresAndNoOperationSucceedsAfterLosingData() throws Exception {
    int count = Integer.getInteger("drkit.schedules", 500);
    long first = Long.getLong("drkit.schedules.seed", 1);
    // sources and restores are small and many: on a RAM disk when there is one
    Path shm = Path.of("/dev/shm");
    Path work = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "drkit-schedules")
        : tmp;
    ScheduleRunner runner = new ScheduleRunner(work);
    ScheduleRunner.Stats stats;
    try {
      stats = runner.run(first, count);
    } finally {
      runner.close();
      if (!work.equals(tmp)) {
        ScheduleRunner.deleteTree(work);
      }
    }
    String summary = "seeds " + first + ".." + (first + count - 1) + ": " + stats.summary();
    System.out.println(summary);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "schedule-summary.txt"), summary);
    assertThat(stats.schedules).isEqualTo((long) count * Integer.getInteger("drkit.schedules.repeat", 1));
    if (count >= 50) {
      assertThat(stats.pausesPastLease).as("schedules paused operations past their lease").isPositive();
    }
    assertThat(stats.findings).as(summary).isEmpty();
  }
}
