package dev.drkit.core.failover;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.spi.PreparingRebuildTarget;
import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayLog;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The replay's reader: one thread that reads the log from the snapshot's position, checks that the
 * offsets are dense, gathers records into batches (up to a number of records and of payload bytes),
 * cuts the batch where the rebuild's target is passed and, for a {@link PreparingRebuildTarget},
 * prepares the part to apply; it hands each batch to the rebuild thread through a queue of one, so
 * it works one batch ahead of the apply. A damaged or missing record ends its output with a
 * {@link Failure} whose message the rebuild thread completes with what it had applied by then (all
 * batches before it). {@link #close} stops the thread and waits for it.
 */
final class ReadAhead implements AutoCloseable {
  /** Records asked of the log per read. */
  static final int READ_CHUNK = 4096;

  /** What the reader hands over, in log order; a {@link Failure} or {@link #END} is the last one. */
  sealed interface Item permits Batch, Failure, End {}

  /**
   * Dense records read; the first {@code cut} are to be applied (with {@code applier}), the rest lie
   * past the target and are only counted.
   */
  record Batch(List<ReplayRecord> records, int cut, @Nullable Applier applier) implements Item {}

  /**
   * The reader's end on an error. An integrity failure of the log (damage, gap, early end) gets its
   * message from {@code integrity} given what was recovered; anything else is {@code error} as thrown.
   */
  record Failure(@Nullable Function<String, IntegrityException> integrity, @Nullable Throwable error) implements Item {}

  /** The end of the log. */
  record End() implements Item {}

  static final End END = new End();

  /** Applies one prepared batch on the rebuild thread. */
  @FunctionalInterface
  interface Applier {
    void apply() throws Exception;
  }

  private final String service;
  private final Site site;
  private final long epoch;
  private final ReplayLog log;
  private final RebuildTarget target;
  private final Predicate<ReplayRecord> pastTarget;
  private final @Nullable Long toOffset;
  private final long end;
  /** The epoch of the last record read (at first, the snapshot's): a log's epochs never go down. */
  private long lastEpoch;
  private final long startOffset;
  private final int batchRecords;
  private final long batchBytes;
  private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(1);
  private final Thread thread;
  private volatile boolean stopped;
  /** Records and payload bytes read so far (the reader's own), for the size of the next read. */
  private long readRecords;
  private long readBytes;

  /**
   * Starts the reader thread.
   *
   * @param pastTarget whether a record lies past the rebuild's target (the first one ends the apply)
   * @param toOffset the target offset, if the target is one (a batch ending on it reaches the target)
   * @param fromEpoch the epoch of the snapshot's log position: a record of an older epoch is from
   *     another line of the log, and ends the replay as damage
   */
  ReadAhead(String service, Site site, long epoch, ReplayLog log, RebuildTarget target,
      Predicate<ReplayRecord> pastTarget, @Nullable Long toOffset, long from, long fromEpoch, long end,
      int batchRecords, long batchBytes) {
    this.service = service;
    this.site = site;
    this.epoch = epoch;
    this.log = log;
    this.target = target;
    this.pastTarget = pastTarget;
    this.toOffset = toOffset;
    this.end = end;
    this.lastEpoch = fromEpoch;
    this.startOffset = from;
    this.batchRecords = batchRecords;
    this.batchBytes = batchBytes;
    this.thread = DrkitThreads.create(() -> run(from), threadName(service), true);
    thread.start();
  }

  /** @return the name of the reader thread of a rebuild of {@code service} */
  static String threadName(String service) {
    return "drkit-rebuild-read-" + service;
  }

  /**
   * @return the next item, in log order
   * @throws InterruptedException when the rebuild thread is interrupted while waiting
   */
  Item next() throws InterruptedException {
    return queue.take();
  }

  /** Stops the reader (interrupting a read or a preparation in progress) and waits until it has ended. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    boolean interrupted = false;
    while (true) {
      queue.clear(); // a reader blocked handing over a batch gets room (or its interrupt) and ends
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the reader must not outlive the replay: keep waiting, then re-assert
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run(long from) {
    try {
      read(from);
    } catch (Throwable t) {
      if (!stopped) { // else close() interrupted it: nobody waits for more
        handOver(new Failure(null, t));
      }
    }
  }

  private void read(long from) throws Exception {
    long next = from;
    boolean reachedTarget = false;
    while (next < end && !stopped) {
      List<ReplayRecord> gathered = new ArrayList<>();
      long bytes = 0;
      Failure failure = null;
      int cut = -1;
      while (next < end && gathered.size() < batchRecords && bytes < batchBytes) {
        List<ReplayRecord> chunk;
        try {
          chunk = readChecked(next, (int) Math.min(wanted(batchRecords - gathered.size(), batchBytes - bytes),
              end - next));
        } catch (LogDamage e) {
          failure = e.failure;
          break;
        }
        for (ReplayRecord r : chunk) {
          if (!reachedTarget && cut < 0 && pastTarget.test(r)) {
            cut = gathered.size();
          }
          gathered.add(r);
          bytes += r.payload().length;
          readBytes += r.payload().length;
        }
        readRecords += chunk.size();
        next = chunk.get(chunk.size() - 1).offset() + 1;
        if (cut >= 0 || reachedTarget) {
          break; // the target was passed here: hand the applied part over now, count the rest later
        }
      }
      if (!gathered.isEmpty()) {
        int apply = reachedTarget ? 0 : cut >= 0 ? cut : gathered.size();
        Applier applier = apply == 0 ? null : prepare(gathered.subList(0, apply));
        handOver(new Batch(gathered, apply, applier));
        if (cut >= 0 || (apply > 0 && toOffset != null && gathered.get(apply - 1).offset() >= toOffset)) {
          reachedTarget = true;
        }
      }
      if (failure != null) {
        handOver(failure);
        return;
      }
    }
    handOver(END);
  }

  /**
   * How many records to ask of the log: at most a {@link #READ_CHUNK}, at most {@code records}, and
   * about as many as fill {@code bytes} at the average size read so far (one record at first), so a
   * log of large records does not return far more bytes than a batch may hold.
   */
  private int wanted(int records, long bytes) {
    long bySize = readRecords == 0 ? 1 : Math.max(1, (long) (bytes / ((double) readBytes / readRecords)));
    return (int) Math.min(Math.min(READ_CHUNK, records), bySize);
  }

  private Applier prepare(List<ReplayRecord> records) throws Exception {
    if (target instanceof PreparingRebuildTarget<?> p) {
      return prepared(p, records);
    }
    return () -> target.apply(service, site, records, epoch);
  }

  private <B> Applier prepared(PreparingRebuildTarget<B> p, List<ReplayRecord> records) throws Exception {
    B b = p.prepare(service, records);
    return () -> p.applyPrepared(service, site, records, b, epoch);
  }

  /** Hands an item over unless the replay stopped; the rebuild thread waits for each one. */
  private void handOver(Item item) {
    while (!stopped) {
      try {
        queue.put(item);
        return;
      } catch (InterruptedException e) {
        // close() (then stopped is set) or a stray interrupt from the host's code: try again
      }
    }
  }

  /** A damaged, missing or early-ending part of the log, found by the reader. */
  private static final class LogDamage extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Failure failure;

    LogDamage(Failure failure) {
      super(null, null, false, false);
      this.failure = failure;
    }
  }

  /** Reads up to {@code max} records from {@code next}: the dense part of what the log returns. */
  private List<ReplayRecord> readChecked(long next, int max) throws Exception {
    List<ReplayRecord> batch;
    try {
      batch = log.read(service, next, max);
    } catch (IntegrityException e) {
      throw new LogDamage(new Failure(recovered -> new IntegrityException(e.getMessage() + "; " + recovered, e), null));
    }
    if (batch.isEmpty()) {
      long reported = log.endOffset(service) - 1;
      throw new LogDamage(new Failure(recovered -> new IntegrityException("rebuild of '" + service
          + "': the log ends at offset " + next + " although it reported records up to " + reported + "; "
          + recovered), null));
    }
    long expect = next;
    for (int i = 0; i < batch.size(); i++) {
      ReplayRecord r = batch.get(i);
      if (r.epoch() < lastEpoch && r.offset() == expect) {
        if (i > 0) {
          return batch.subList(0, i); // the valid part; the next read reports the record
        }
        long older = lastEpoch;
        throw new LogDamage(new Failure(recovered -> new IntegrityException("rebuild of '" + service
            + "': the record at offset " + r.offset() + " was written at epoch " + r.epoch() + ", older than epoch "
            + older + (r.offset() == startOffset ? " of the snapshot's log position" : " of the record before it")
            + ": the log is not the line the snapshot was taken on (another epoch's or another service's log?); "
            + recovered), null));
      }
      if (r.offset() != expect) {
        if (i > 0) {
          return batch.subList(0, i); // the dense part; the next read reports the gap
        }
        long gapAt = expect;
        throw new LogDamage(new Failure(recovered -> new IntegrityException("rebuild of '" + service
            + "': gap in the log at offset " + gapAt + " (the next record read is offset " + r.offset() + "); "
            + recovered), null));
      }
      expect++;
      lastEpoch = r.epoch();
    }
    return batch;
  }
}
