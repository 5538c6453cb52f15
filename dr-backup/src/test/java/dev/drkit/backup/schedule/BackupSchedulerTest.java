package dev.drkit.backup.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.WrongKeyException;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.testkit.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupSchedulerTest {
  private static final Instant T0 = Instant.parse("2026-03-02T00:30:00Z");

  private final FakeClock clock = new FakeClock(T0);
  private final ManualTaskScheduler tasks = new ManualTaskScheduler(clock);
  private final List<DrEvent> events = new CopyOnWriteArrayList<>();
  private final EventBus bus = EventBus.of(events::add);
  private final List<RunInfo> runs = new ArrayList<>();

  private static BackupStrategy hourly(String name) {
    return BackupStrategy.builder().name(name).type(BackupType.INCREMENTAL).schedule("0 * * * *")
        .encryption(EncryptionConfig.none()).build();
  }

  /** A job that records each attempt and completes at once. */
  private BackupJob recording() {
    return (strategy, run) -> {
      runs.add(run);
      return CompletableFuture.completedFuture(null);
    };
  }

  private BackupScheduler.Builder builder(BackupJob job) {
    return BackupScheduler.builder(job).taskScheduler(tasks).eventBus(bus)
        .retries(3, Duration.ofSeconds(30), Duration.ofMinutes(10));
  }

  private List<String> types() {
    return events.stream().map(DrEvent::type).toList();
  }

  private List<DrEvent> eventsOf(String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  private static Instant at(String hhmm) {
    return Instant.parse("2026-03-02T" + hhmm + ":00Z");
  }

  @Test
  void runsAStrategyAtEachCronTimeOfTheInjectedClock() {
    try (BackupScheduler s = builder(recording()).build()) {
      s.add("db", hourly("inc"));
      s.start();
      tasks.advance(Duration.ofMinutes(29));
      assertThat(runs).isEmpty();
      tasks.advanceTo(at("03:30"));

      assertThat(runs).extracting(RunInfo::scheduledFor).containsExactly(at("01:00"), at("02:00"), at("03:00"));
      assertThat(runs).extracting(RunInfo::startedAt).containsExactly(at("01:00"), at("02:00"), at("03:00"));
      assertThat(runs).allSatisfy(r -> {
        assertThat(r.trigger()).isEqualTo(RunTrigger.SCHEDULED);
        assertThat(r.attempt()).isEqualTo(1);
        assertThat(r.service()).isEqualTo("db");
        assertThat(r.strategy()).isEqualTo("inc");
      });
      assertThat(types()).containsExactly("backup.run.started", "backup.run.succeeded", "backup.run.started",
          "backup.run.succeeded", "backup.run.started", "backup.run.succeeded");
      assertThat(events.get(0).service()).isEqualTo("db");
      assertThat(events.get(0).attributes()).containsEntry("strategy", "inc").containsEntry("type", "incremental");
      assertThat(s.status()).singleElement().satisfies(st -> {
        assertThat(st.nextDue()).isEqualTo(at("04:00"));
        assertThat(st.running()).isFalse();
        assertThat(st.lastOutcome()).isEqualTo("succeeded");
      });
    }
  }

  @Test
  void runsStrategiesIndependentlyOnTheirOwnSchedules() {
    try (BackupScheduler s = builder(recording()).build()) {
      s.add("db", hourly("inc"));
      s.add("db", BackupStrategy.builder().name("full").schedule("0 0 2 * * ?")
          .encryption(EncryptionConfig.none()).build());
      s.start();
      tasks.advanceTo(at("03:00"));
      assertThat(runs).extracting(r -> r.strategy() + "@" + r.scheduledFor())
          .containsExactlyInAnyOrder("inc@" + at("01:00"), "inc@" + at("02:00"), "full@" + at("02:00"), "inc@" + at("03:00"));
    }
  }

  @Test
  void skipsARunThatFallsDueWhileThePreviousOneIsStillGoing() {
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    BackupJob slow = (strategy, run) -> {
      runs.add(run);
      CompletableFuture<Void> f = new CompletableFuture<>();
      inFlight.add(f);
      return f;
    };
    try (BackupScheduler s = builder(slow).overlapPolicy(OverlapPolicy.SKIP).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("03:10"));
      assertThat(runs).hasSize(1);
      assertThat(s.status().get(0).running()).isTrue();
      assertThat(eventsOf("backup.run.skipped")).extracting(e -> e.attributes().get("scheduledFor"))
          .containsExactly(at("02:00").toString(), at("03:00").toString());
      assertThat(eventsOf("backup.run.skipped")).allSatisfy(e -> {
        assertThat(e.attributes()).containsEntry("reason", "overlap");
        assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN);
      });

      inFlight.get(0).complete(null);
      assertThat(eventsOf("backup.run.succeeded")).hasSize(1);
      tasks.advanceTo(at("04:00"));
      assertThat(runs).extracting(RunInfo::scheduledFor).containsExactly(at("01:00"), at("04:00"));
    }
  }

  @Test
  void coalescesRunsThatFallDueDuringALongRunIntoOneRunAfterIt() {
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    BackupJob slow = (strategy, run) -> {
      runs.add(run);
      CompletableFuture<Void> f = new CompletableFuture<>();
      inFlight.add(f);
      return f;
    };
    try (BackupScheduler s = builder(slow).overlapPolicy(OverlapPolicy.COALESCE).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("03:10"));
      assertThat(runs).hasSize(1);
      assertThat(eventsOf("backup.run.coalesced")).hasSize(2);
      assertThat(s.status().get(0).owed()).isTrue();

      clock.set(at("03:20"));
      inFlight.get(0).complete(null);
      tasks.runDue(); // the owed run starts through the scheduler, at once
      assertThat(runs).hasSize(2);
      assertThat(runs.get(1).trigger()).isEqualTo(RunTrigger.COALESCED);
      assertThat(runs.get(1).scheduledFor()).isEqualTo(at("03:00"));
      assertThat(runs.get(1).startedAt()).isEqualTo(at("03:20"));
      assertThat(s.status().get(0).owed()).isFalse();
      assertThat(s.status().get(0).running()).isTrue();

      inFlight.get(1).complete(null);
      tasks.advanceTo(at("04:00"));
      assertThat(runs).extracting(RunInfo::trigger)
          .containsExactly(RunTrigger.SCHEDULED, RunTrigger.COALESCED, RunTrigger.SCHEDULED);
    }
  }

  @Test
  void runsOnceToCatchUpOnRunsMissedWhileTheHostWasDown(@TempDir Path dir) {
    RunHistory history = RunHistory.file(dir.resolve("runs.properties"));
    try (BackupScheduler s = builder(recording()).runHistory(history).build()) {
      s.add("db", hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:30"));
    }
    assertThat(runs).hasSize(1);
    clock.set(at("06:30")); // the host was down from 01:30 to 06:30

    try (BackupScheduler s = builder(recording()).runHistory(RunHistory.file(dir.resolve("runs.properties")))
        .missedRunPolicy(MissedRunPolicy.RUN_ONCE).build()) {
      s.add("db", hourly("inc"));
      s.start();
      tasks.runDue();
      assertThat(runs).hasSize(2);
      assertThat(runs.get(1).trigger()).isEqualTo(RunTrigger.CATCH_UP);
      assertThat(runs.get(1).scheduledFor()).isEqualTo(at("06:00"));
      assertThat(runs.get(1).startedAt()).isEqualTo(at("06:30"));
      DrEvent missed = eventsOf("backup.run.missed").get(0);
      assertThat(missed.attributes()).containsEntry("count", "5").containsEntry("from", at("02:00").toString())
          .containsEntry("policy", "RUN_ONCE");

      tasks.advanceTo(at("07:00"));
      assertThat(runs).hasSize(3);
      assertThat(runs.get(2).trigger()).isEqualTo(RunTrigger.SCHEDULED);
    }
  }

  @Test
  void skipsRunsMissedWhileTheHostWasDownUnderTheSkipPolicy(@TempDir Path dir) {
    RunHistory history = RunHistory.file(dir.resolve("runs.properties"));
    history.handled("db/inc", at("01:00"));
    clock.set(at("06:30"));
    try (BackupScheduler s = builder(recording()).runHistory(history).missedRunPolicy(MissedRunPolicy.SKIP).build()) {
      s.add("db", hourly("inc"));
      s.start();
      tasks.runDue();
      assertThat(runs).isEmpty();
      assertThat(eventsOf("backup.run.missed").get(0).attributes()).containsEntry("count", "5");
      assertThat(eventsOf("backup.run.skipped").get(0).attributes()).containsEntry("reason", "missed");
      assertThat(history.lastHandled("db/inc")).contains(at("06:00"));

      tasks.advanceTo(at("07:00"));
      assertThat(runs).extracting(RunInfo::scheduledFor).containsExactly(at("07:00"));
    }
  }

  @Test
  void aRestartJustAfterACronTimeRunsItOnTimeAndReportsTheEarlierOnesAsCovered() {
    RunHistory history = RunHistory.inMemory();
    history.handled("inc", at("01:00"));
    clock.set(at("06:00").plusSeconds(30)); // within the one-minute grace of 06:00
    try (BackupScheduler s = builder(recording()).runHistory(history).missedRunPolicy(MissedRunPolicy.SKIP).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.runDue();
      assertThat(runs).singleElement().satisfies(r -> {
        assertThat(r.trigger()).isEqualTo(RunTrigger.SCHEDULED);
        assertThat(r.scheduledFor()).isEqualTo(at("06:00"));
      });
      assertThat(eventsOf("backup.run.missed").get(0).attributes()).containsEntry("count", "4");
      assertThat(eventsOf("backup.run.skipped")).isEmpty();
    }
  }

  @Test
  void treatsALateWakeUpAfterASuspendAsMissedRuns() {
    try (BackupScheduler s = builder(recording()).missedRunPolicy(MissedRunPolicy.RUN_ONCE).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:00"));
      clock.set(at("04:15")); // suspended: no timer fired between 01:00 and 04:15
      tasks.runDue();
      assertThat(runs).extracting(RunInfo::trigger).containsExactly(RunTrigger.SCHEDULED, RunTrigger.CATCH_UP);
      assertThat(runs.get(1).scheduledFor()).isEqualTo(at("04:00"));
      assertThat(eventsOf("backup.run.missed").get(0).attributes()).containsEntry("count", "3");
      assertThat(s.status().get(0).nextDue()).isEqualTo(at("05:00"));
    }
  }

  @Test
  void aRunCutShortByACrashIsCaughtUpAfterTheRestart(@TempDir Path dir) {
    Path file = dir.resolve("runs.properties");
    try (BackupScheduler s = builder((strategy, run) -> {
      runs.add(run);
      return new CompletableFuture<Void>(); // never ends: the process dies during the run
    }).runHistory(RunHistory.file(file)).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:00"));
      tasks.advanceTo(at("02:00")); // skipped for overlap, recorded only once the 01:00 run ends
      assertThat(RunHistory.file(file).lastHandled("inc")).contains(T0); // when it was first scheduled
    }
    ManualTaskScheduler afterRestart = new ManualTaskScheduler(clock);
    clock.set(at("02:10"));
    try (BackupScheduler s = BackupScheduler.builder(recording()).taskScheduler(afterRestart).eventBus(bus)
        .runHistory(RunHistory.file(file)).build()) {
      s.add(null, hourly("inc"));
      s.start();
      afterRestart.runDue();
      assertThat(runs).extracting(RunInfo::trigger).containsExactly(RunTrigger.SCHEDULED, RunTrigger.CATCH_UP);
    }
  }

  @Test
  void aRunCutShortWithoutALaterCronTimeIsCaughtUpToo(@TempDir Path dir) {
    Path file = dir.resolve("runs.properties");
    RunHistory history = RunHistory.file(file);
    history.handled("inc", at("00:00"));
    try (BackupScheduler s = builder((strategy, run) -> {
      runs.add(run);
      return new CompletableFuture<Void>();
    }).runHistory(history).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:00"));
    }
    assertThat(RunHistory.file(file).lastHandled("inc")).contains(at("00:00"));
    clock.set(at("01:30"));
    ManualTaskScheduler afterRestart = new ManualTaskScheduler(clock);
    try (BackupScheduler s = BackupScheduler.builder(recording()).taskScheduler(afterRestart).eventBus(bus)
        .runHistory(RunHistory.file(file)).build()) {
      s.add(null, hourly("inc"));
      s.start();
      afterRestart.runDue();
      assertThat(runs.get(1).trigger()).isEqualTo(RunTrigger.CATCH_UP);
      assertThat(runs.get(1).scheduledFor()).isEqualTo(at("01:00"));
    }
    assertThat(RunHistory.file(file).lastHandled("inc")).contains(at("01:00"));
  }

  @Test
  void aFreshSchedulerWithoutHistoryMissesNothing() {
    try (BackupScheduler s = builder(recording()).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.runDue();
      assertThat(runs).isEmpty();
      assertThat(eventsOf("backup.run.missed")).isEmpty();
      assertThat(s.status().get(0).nextDue()).isEqualTo(at("01:00"));
    }
  }

  @Test
  void retriesAFailedRunWithExponentialBackoffOnTheInjectedClock() {
    BackupJob flaky = (strategy, run) -> {
      runs.add(run);
      if (run.attempt() < 3) {
        return CompletableFuture.failedFuture(new IllegalStateException("disk busy " + run.attempt()));
      }
      return CompletableFuture.completedFuture(null);
    };
    try (BackupScheduler s = builder(flaky).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:00"));
      assertThat(runs).hasSize(1);
      tasks.advance(Duration.ofSeconds(29));
      assertThat(runs).hasSize(1);
      tasks.advance(Duration.ofSeconds(1));
      assertThat(runs).hasSize(2);
      tasks.advance(Duration.ofSeconds(59));
      assertThat(runs).hasSize(2);
      tasks.advance(Duration.ofSeconds(1));

      assertThat(runs).extracting(RunInfo::attempt).containsExactly(1, 2, 3);
      assertThat(runs).extracting(RunInfo::startedAt)
          .containsExactly(at("01:00"), at("01:00").plusSeconds(30), at("01:00").plusSeconds(90));
      assertThat(runs).extracting(RunInfo::scheduledFor).containsOnly(at("01:00"));
      assertThat(eventsOf("backup.run.retrying")).extracting(e -> e.attributes().get("delay"))
          .containsExactly("PT30S", "PT1M");
      assertThat(eventsOf("backup.run.retrying").get(0).message()).contains("disk busy 1");
      assertThat(eventsOf("backup.run.succeeded")).hasSize(1);
      assertThat(eventsOf("backup.run.failed")).isEmpty();
    }
  }

  @Test
  void reportsAFailureOnceRetriesAreExhaustedAndKeepsTheSchedule() {
    BackupJob broken = (strategy, run) -> {
      runs.add(run);
      throw new IllegalStateException("source unreachable");
    };
    try (BackupScheduler s = builder(broken).retries(2, Duration.ofSeconds(10), Duration.ofSeconds(15)).build()) {
      s.add(null, hourly("inc"));
      s.start();
      CompletableFuture<Boolean> manual = s.runNow("inc");
      tasks.advance(Duration.ofMinutes(1));
      assertThat(runs).extracting(RunInfo::startedAt).containsExactly(T0, T0.plusSeconds(10), T0.plusSeconds(25));
      assertThat(runs.get(0).trigger()).isEqualTo(RunTrigger.MANUAL);
      assertThat(manual).isCompletedExceptionally();
      DrEvent failed = eventsOf("backup.run.failed").get(0);
      assertThat(failed.severity()).isEqualTo(DrEvent.Severity.ERROR);
      assertThat(failed.attributes()).containsEntry("error", "IllegalStateException: source unreachable");
      assertThat(s.status().get(0).lastOutcome()).isEqualTo("failed");

      tasks.advanceTo(at("01:00"));
      assertThat(runs).hasSize(4);
      assertThat(runs.get(3).scheduledFor()).isEqualTo(at("01:00"));
    }
  }

  @Test
  void doesNotRetryAWrongPassphrase() {
    BackupJob locked = (strategy, run) -> {
      runs.add(run);
      return CompletableFuture.failedFuture(new WrongKeyException("repository /r: wrong passphrase"));
    };
    try (BackupScheduler s = builder(locked).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:30"));
      assertThat(runs).hasSize(1);
      assertThat(eventsOf("backup.run.retrying")).isEmpty();
      assertThat(eventsOf("backup.run.failed").get(0).message()).contains("WrongKeyException: repository /r: wrong passphrase");
    }
  }

  @Test
  void aBlockingJobIsRetriedAndItsWrongPassphraseIsNot() {
    BackupJob.Blocking work = (strategy, run) -> {
      runs.add(run);
      if (run.attempt() == 1) {
        throw new java.io.IOException("source busy");
      }
      throw new WrongKeyException("repository /r: wrong passphrase");
    };
    try (BackupScheduler s = builder(BackupJob.blocking(work, Runnable::run)).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:30"));
      assertThat(runs).extracting(RunInfo::attempt).containsExactly(1, 2);
      assertThat(eventsOf("backup.run.retrying").get(0).message()).contains("IOException: source busy");
      assertThat(eventsOf("backup.run.failed").get(0).attributes())
          .containsEntry("error", "WrongKeyException: repository /r: wrong passphrase");
    }
  }

  @Test
  void manualRunIsSkippedWhileAScheduledOneGoes() {
    CompletableFuture<Void> hold = new CompletableFuture<>();
    BackupJob slow = (strategy, run) -> {
      runs.add(run);
      return hold;
    };
    try (BackupScheduler s = builder(slow).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("01:00"));
      CompletableFuture<Boolean> manual = s.runNow("inc");
      assertThat(manual).isCompletedWithValue(false);
      assertThat(eventsOf("backup.run.skipped").get(0).attributes()).containsEntry("trigger", "MANUAL");
      hold.complete(null);
      assertThat(s.runNow("inc")).isNotDone();
      tasks.runDue();
      assertThat(runs).hasSize(2);
    }
  }

  @Test
  void closeStopsEveryTimer() {
    BackupScheduler s = builder(recording()).build();
    s.add(null, hourly("inc"));
    s.start();
    s.close();
    tasks.advanceTo(at("05:00"));
    assertThat(runs).isEmpty();
    assertThatThrownBy(() -> s.add(null, hourly("other"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aStrategyAddedAfterStartIsArmedAtOnce() {
    try (BackupScheduler s = builder(recording()).build()) {
      s.start();
      s.add(null, hourly("late"));
      tasks.advanceTo(at("01:00"));
      assertThat(runs).hasSize(1);
    }
  }

  @Test
  void aThrowingEventListenerDoesNotStopTheScheduler() {
    Consumer<DrEvent> bad = e -> {
      throw new IllegalStateException("listener broke");
    };
    bus.register(bad::accept);
    try (BackupScheduler s = builder(recording()).build()) {
      s.add(null, hourly("inc"));
      s.start();
      tasks.advanceTo(at("02:00"));
      assertThat(runs).hasSize(2);
    }
  }

  @Test
  void rejectsInvalidConfiguration() {
    assertThatThrownBy(() -> BackupScheduler.builder(recording()).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("taskScheduler");
    assertThatThrownBy(() -> BackupScheduler.builder(recording()).retries(-1, Duration.ofSeconds(1), Duration.ofSeconds(2)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("retries");
    assertThatThrownBy(() -> BackupScheduler.builder(recording()).retries(1, Duration.ZERO, Duration.ofSeconds(2)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("backoff");
    try (BackupScheduler s = builder(recording()).build()) {
      s.add("db", hourly("inc"));
      assertThatThrownBy(() -> s.add("db", hourly("inc"))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("db/inc");
      assertThatThrownBy(() -> s.runNow("nope")).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
