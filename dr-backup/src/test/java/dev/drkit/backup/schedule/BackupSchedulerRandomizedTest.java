package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Random histories of slow, failing and suspended runs on a fake clock. Invariants: a strategy
 * never has two attempts in flight; every cron time that passes is accounted for exactly once (run
 * on time, skipped for overlap, or reported missed); with coalescing, nothing stays owed once runs
 * end. Seeds are fixed; raise {@code -Ddrkit.scheduler.iterations} for a longer search.
 */
class BackupSchedulerRandomizedTest {
  private static final int ITERATIONS = Integer.getInteger("drkit.scheduler.iterations", 150);
  private static final Instant T0 = Instant.parse("2026-03-02T00:30:00Z");

  private final java.util.Map<String, Long> seen = new java.util.TreeMap<>();

  @Test
  void neverOverlapsAndAccountsForEveryCronTime() {
    for (int seed = 0; seed < ITERATIONS; seed++) {
      runOnce(seed, seed % 2 == 0 ? OverlapPolicy.SKIP : OverlapPolicy.COALESCE,
          seed % 3 == 0 ? MissedRunPolicy.SKIP : MissedRunPolicy.RUN_ONCE);
    }
    // the histories did exercise every path
    assertThat(seen).containsKeys("backup.run.skipped", "backup.run.coalesced", "backup.run.missed",
        "backup.run.retrying", "backup.run.failed", "backup.run.succeeded", "trigger CATCH_UP", "trigger COALESCED");
  }

  private void runOnce(long seed, OverlapPolicy overlap, MissedRunPolicy missedPolicy) {
    Random rnd = new Random(seed);
    FakeClock clock = new FakeClock(T0);
    ManualTaskScheduler tasks = new ManualTaskScheduler(clock);
    List<DrEvent> events = new ArrayList<>();
    List<RunInfo> attempts = new ArrayList<>();
    int[] inFlight = {0};
    int[] maxInFlight = {0};
    BackupJob job = (strategy, run) -> {
      attempts.add(run);
      inFlight[0]++;
      maxInFlight[0] = Math.max(maxInFlight[0], inFlight[0]);
      CompletableFuture<Void> f = new CompletableFuture<>();
      boolean fail = rnd.nextInt(4) == 0;
      long minutes = rnd.nextInt(4) == 0 ? 30 + rnd.nextInt(200) : rnd.nextInt(20);
      tasks.schedule(clock.instant().plus(Duration.ofMinutes(minutes)), () -> {
        inFlight[0]--;
        if (fail) {
          f.completeExceptionally(new IllegalStateException("boom"));
        } else {
          f.complete(null);
        }
      });
      return f;
    };
    BackupStrategy hourly = BackupStrategy.builder().name("inc").schedule("0 * * * *")
        .encryption(EncryptionConfig.none()).build();
    try (BackupScheduler s = BackupScheduler.builder(job).taskScheduler(tasks).eventBus(EventBus.of(events::add))
        .overlapPolicy(overlap).missedRunPolicy(missedPolicy).retries(1, Duration.ofMinutes(5), Duration.ofMinutes(10))
        .build()) {
      s.add(null, hourly);
      s.start();
      for (int step = 0; step < 30; step++) {
        if (rnd.nextInt(6) == 0) {
          clock.advance(Duration.ofMinutes(60 + rnd.nextInt(300))); // suspended: no timer fires meanwhile
          tasks.runDue();
        } else {
          tasks.advance(Duration.ofMinutes(rnd.nextInt(90)));
        }
      }
      Instant end = clock.instant();
      // let every run (and retry) finish, without crossing another cron time
      Instant drainTo = end.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofMinutes(59));
      tasks.advanceTo(drainTo);
      while (inFlight[0] > 0 || s.status().get(0).running()) {
        // long runs outlive the hour: keep draining hour by hour, counting what falls due
        drainTo = drainTo.plus(Duration.ofHours(1));
        tasks.advanceTo(drainTo);
      }
      end = drainTo;

      events.forEach(e -> seen.merge(e.type(), 1L, Long::sum));
      attempts.forEach(a -> seen.merge("trigger " + a.trigger(), 1L, Long::sum));
      assertThat(maxInFlight[0]).as("seed %s: attempts in flight at once", seed).isLessThanOrEqualTo(1);
      assertThat(s.status().get(0).owed()).as("seed %s: a run still owed", seed).isFalse();

      long cronTimes = Duration.between(T0.truncatedTo(ChronoUnit.HOURS), end.truncatedTo(ChronoUnit.HOURS)).toHours();
      long onTime = attempts.stream().filter(a -> a.attempt() == 1 && a.trigger() == RunTrigger.SCHEDULED).count();
      long skippedOnTime = events.stream().filter(e -> e.type().equals("backup.run.skipped")
          && "overlap".equals(e.attributes().get("reason")) && "SCHEDULED".equals(e.attributes().get("trigger"))).count();
      long coalescedOnTime = events.stream().filter(e -> e.type().equals("backup.run.coalesced")
          && "SCHEDULED".equals(e.attributes().get("trigger"))).count();
      long missed = events.stream().filter(e -> e.type().equals("backup.run.missed"))
          .mapToLong(e -> Long.parseLong(e.attributes().get("count"))).sum();
      assertThat(onTime + skippedOnTime + coalescedOnTime + missed).as("seed %s: cron times accounted for", seed)
          .isEqualTo(cronTimes);
      long started = events.stream().filter(e -> e.type().equals("backup.run.started")).count();
      long ended = events.stream().filter(e -> e.type().equals("backup.run.succeeded") || e.type().equals("backup.run.failed")).count();
      long retried = events.stream().filter(e -> e.type().equals("backup.run.retrying")).count();
      assertThat(started).as("seed %s: every attempt ends or is retried", seed).isEqualTo(ended + retried);
    }
  }
}
