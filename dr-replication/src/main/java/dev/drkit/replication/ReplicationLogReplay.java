package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.spi.ReplayLog;
import dev.drkit.spi.ReplayRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ReplicationLog} as a rebuild's {@link ReplayLog}: records with their offsets, epochs and
 * commit times (the appending primary's clock, {@link LogRecord#timestampMillis()}). The log is
 * opened on first use through the given supplier (empty when the log is gone) and closed by
 * {@link #close()}. A frame that fails its checksum is reported as an {@link IntegrityException}
 * naming its offset. Thread-safe.
 */
public final class ReplicationLogReplay implements ReplayLog, AutoCloseable {
  private final String service;
  private final Supplier<Optional<ReplicationLog>> opener;
  private @Nullable ReplicationLog log;
  private boolean opened;

  /**
   * @param service the one service whose log this is
   * @param opener opens the log (recovering it), or returns empty when it is gone
   */
  public ReplicationLogReplay(String service, Supplier<Optional<ReplicationLog>> opener) {
    this.service = Objects.requireNonNull(service, "service");
    this.opener = Objects.requireNonNull(opener, "opener");
  }

  private synchronized @Nullable ReplicationLog log(String forService) {
    if (!service.equals(forService)) {
      throw new IllegalArgumentException("this replay log is service '" + service + "''s, not '" + forService + "''s");
    }
    if (!opened) {
      log = opener.get().orElse(null);
      opened = true;
    }
    return log;
  }

  private ReplicationLog require(String forService) {
    ReplicationLog l = log(forService);
    if (l == null) {
      throw new IllegalStateException("the replication log of '" + service + "' is gone");
    }
    return l;
  }

  @Override
  public boolean available(String forService) {
    return log(forService) != null;
  }

  @Override
  public long firstOffset(String forService) {
    return require(forService).startOffset();
  }

  @Override
  public long endOffset(String forService) {
    return require(forService).durableOffset() + 1;
  }

  /**
   * @throws IntegrityException naming the offset of a record that fails its checksum or is out of
   *     place
   */
  @Override
  public List<ReplayRecord> read(String forService, long fromOffset, int maxRecords) {
    ReplicationLog l = require(forService);
    List<LogRecord> records;
    try {
      records = l.read(fromOffset, maxRecords);
    } catch (IntegrityException e) {
      records = validPrefix(l, fromOffset, maxRecords, e);
    }
    List<ReplayRecord> out = new ArrayList<>(records.size());
    for (LogRecord r : records) {
      out.add(new ReplayRecord(r.offset(), r.epoch(), Instant.ofEpochMilli(r.timestampMillis()), r.payload()));
    }
    return out;
  }

  /**
   * After a batch read failed: reads record by record to return the valid ones before the damage,
   * or, when the first one is damaged, throws naming its offset.
   */
  private List<LogRecord> validPrefix(ReplicationLog l, long fromOffset, int maxRecords, IntegrityException first) {
    List<LogRecord> out = new ArrayList<>();
    for (long o = fromOffset; o < fromOffset + maxRecords; o++) {
      try {
        // A read of one frame header's worth returns exactly one frame, checked, without touching the next.
        FrameBatch b = l.readFrames(o, Frames.HEADER);
        if (b == null || b.count() == 0) {
          break;
        }
        ByteBuffer f = b.frames();
        out.add(new LogRecord(Frames.epoch(f, 0), Frames.offset(f, 0), Frames.timestamp(f, 0), Frames.payload(f, 0)));
      } catch (IntegrityException e) {
        if (out.isEmpty()) {
          throw new IntegrityException("replication log of '" + service + "': the record at offset " + o
              + " is damaged (" + e.getMessage() + ")", e);
        }
        return out;
      }
    }
    if (out.isEmpty()) {
      throw new IntegrityException("replication log of '" + service + "': reading from offset " + fromOffset
          + " failed (" + first.getMessage() + ")", first);
    }
    return out;
  }

  /** Closes the log if it was opened. */
  @Override
  public synchronized void close() {
    if (log != null) {
      log.close();
      log = null;
    }
  }
}
