package dev.drkit.replication;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The failed writes of a {@link ReplicationLog} since it was opened: each failure lost the records
 * from an offset on that were appended in its write generation or before, and their appenders must
 * be told so (a later generation reuses those offsets for new records).
 */
final class WriteFailures {
  private final List<Failure> failures = new ArrayList<>();
  private volatile int count;

  /** Records that a write in {@code generation} failed and lost the records from {@code lostFrom} on. */
  synchronized void add(int generation, long lostFrom, String cause) {
    failures.add(new Failure(generation, lostFrom, cause));
    count = failures.size();
  }

  /**
   * @return why the record appended at {@code offset} in generation {@code gen} was lost, or null
   *     when it was not
   */
  @Nullable String lostCause(long offset, int gen) {
    if (count == 0) {
      return null;
    }
    synchronized (this) {
      for (Failure f : failures) {
        if (f.generation() >= gen && offset >= f.lostFrom()) {
          return f.cause();
        }
      }
      return null;
    }
  }

  private record Failure(int generation, long lostFrom, String cause) {}
}
