package dev.drkit.backup.schedule;

import dev.drkit.core.config.BackupStrategy;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The work the {@link BackupScheduler} runs for a strategy: typically a backup into a repository.
 * Asynchronous, so that a long backup does not hold a scheduler thread: the run is in progress
 * until the returned stage completes, and it failed if the stage completes exceptionally (or this
 * method throws). Use {@link #blocking} to adapt blocking code.
 */
@FunctionalInterface
public interface BackupJob {
  /**
   * Starts one attempt.
   *
   * @param strategy the strategy that fell due
   * @param run what this attempt is about
   * @return completes when the attempt ends
   * @throws Exception if the attempt cannot start; counts as a failed attempt
   */
  CompletionStage<?> start(BackupStrategy strategy, RunInfo run) throws Exception;

  /** Blocking form of a {@link BackupJob}. */
  @FunctionalInterface
  interface Blocking {
    /**
     * @param strategy the strategy that fell due
     * @param run what this attempt is about
     * @throws Exception if the attempt failed
     */
    void run(BackupStrategy strategy, RunInfo run) throws Exception;
  }

  /**
   * @param job blocking work
   * @param executor where to run it (for example a small fixed pool)
   * @return a job running {@code job} on {@code executor}
   */
  static BackupJob blocking(Blocking job, Executor executor) {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(executor, "executor");
    return (strategy, run) -> CompletableFuture.runAsync(() -> {
      try {
        job.run(strategy, run);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, executor);
  }
}
