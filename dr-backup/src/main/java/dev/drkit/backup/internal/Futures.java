package dev.drkit.backup.internal;

import dev.drkit.core.StorageException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Waits for the work a backup hands to its other threads, and rethrows what that work threw. */
final class Futures {
  private Futures() {}

  /**
   * @param f the work's future
   * @param failed what failed, for a checked exception (which the work's tasks cannot throw)
   * @return the work's result
   * @throws RuntimeException the work's own unchecked exception or error, as it was thrown, or a
   *     {@link StorageException} naming {@code failed} around a checked one
   */
  static <T> T join(CompletableFuture<T> f, String failed) {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new StorageException(failed + ": " + c, c);
    }
  }
}
