package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.replication.internal.Frames;
import dev.drkit.core.spi.ReplayLog;
import dev.drkit.core.spi.ReplayRecord;
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
  /** Bytes of frames asked for per segment read. */
  private static final int READ_BYTES = 1 << 20;
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
   * Reads the log in bulk, about a mebibyte of frames per segment read, and decodes each frame
   * straight into a {@link ReplayRecord} (one copy of the payload).
   *
   * @throws IntegrityException naming the offset of a record that fails its checksum or is out of
   *     place
   */
  @Override
  public List<ReplayRecord> read(String forService, long fromOffset, int maxRecords) {
    ReplicationLog l = require(forService);
    List<ReplayRecord> out = new ArrayList<>(Math.min(maxRecords, 8192));
    long next = fromOffset;
    while (out.size() < maxRecords) {
      FrameBatch b;
      try {
        b = l.readFrames(next, READ_BYTES);
      } catch (IntegrityException e) {
        if (!out.isEmpty()) {
          return out; // the valid records before the damage; the next read reports it
        }
        return validPrefix(l, fromOffset, maxRecords, e);
      }
      if (b == null) {
        break;
      }
      ByteBuffer f = b.frames();
      int p = 0;
      while (p < f.limit() && out.size() < maxRecords) {
        out.add(decode(f, p));
        p += Frames.frameSize(Frames.payloadLength(f, p));
      }
      next = fromOffset + out.size();
    }
    return out;
  }

  private static ReplayRecord decode(ByteBuffer f, int p) {
    return new ReplayRecord(Frames.offset(f, p), Frames.epoch(f, p), Instant.ofEpochMilli(Frames.timestamp(f, p)),
        Frames.payload(f, p));
  }

  /**
   * After a batch read failed: reads record by record to return the valid ones before the damage,
   * or, when the first one is damaged, throws naming its offset.
   */
  private List<ReplayRecord> validPrefix(ReplicationLog l, long fromOffset, int maxRecords, IntegrityException first) {
    List<ReplayRecord> out = new ArrayList<>();
    for (long o = fromOffset; o < fromOffset + maxRecords; o++) {
      try {
        // A read of one frame header's worth returns exactly one frame, checked, without touching the next.
        FrameBatch b = l.readFrames(o, Frames.HEADER);
        if (b == null || b.count() == 0) {
          break;
        }
        out.add(decode(b.frames(), 0));
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
