package dev.drkit.backup.internal;

import dev.drkit.backup.Progress;
import dev.drkit.backup.ProgressListener;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts progress from many threads and reports it at most every 200 ms and at the end. */
public final class ProgressTracker {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressTracker.class);
  private final String operation;
  private final ProgressListener listener;
  private final Clock clock;
  private final long start;
  private final AtomicLong files = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong lastReport = new AtomicLong(Long.MIN_VALUE);
  private volatile long filesTotal = -1;
  private volatile long bytesTotal = -1;

  /**
   * @param operation the operation's name
   * @param listener receives the progress reports
   * @param clock where report times and rates are read from
   */
  public ProgressTracker(String operation, ProgressListener listener, Clock clock) {
    this.operation = operation;
    this.listener = listener;
    this.clock = clock;
    this.start = clock.millis();
  }

  /** @param f files in all @param b bytes in all */
  public void totals(long f, long b) {
    filesTotal = f;
    bytesTotal = b;
  }

  /** @param n bytes finished */
  public void addBytes(long n) {
    bytes.addAndGet(n);
    maybeReport();
  }

  /** @param n files finished */
  public void addFiles(long n) {
    files.addAndGet(n);
    maybeReport();
  }

  private void maybeReport() {
    long now = clock.millis();
    long last = lastReport.get();
    if (now - last >= 200 && lastReport.compareAndSet(last, now)) {
      report(false);
    }
  }

  /** Sends the final report. */
  public void finish() {
    report(true);
  }

  /** @return the elapsed time */
  public Duration elapsed() {
    return Duration.ofMillis(Math.max(0, clock.millis() - start));
  }

  private void report(boolean done) {
    try {
      listener.onProgress(new Progress(operation, files.get(), filesTotal, bytes.get(), bytesTotal, elapsed(), done));
    } catch (RuntimeException e) {
      LOG.warn("progress listener of {} failed; ignored", operation, e);
    }
  }
}
