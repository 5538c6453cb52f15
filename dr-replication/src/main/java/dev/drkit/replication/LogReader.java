package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.replication.internal.Frames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The read path of a {@link ReplicationLog}: finds the segment and byte position of an offset and
 * returns checked frames from there, up to a limit the caller sets (the durable or the written end).
 * Reads need no lock: segments are positional-read only, and a segment cut meanwhile invalidates its
 * read hint by its {@link Segment#cuts} count.
 */
final class LogReader {
  private final String name;
  private final NavigableMap<Long, Segment> segments;

  LogReader(String name, NavigableMap<Long, Segment> segments) {
    this.name = name;
    this.segments = segments;
  }

  /** @return the oldest offset still held */
  long startOffset() {
    Map.Entry<Long, Segment> e = segments.firstEntry();
    return e == null ? 0 : e.getKey();
  }

  /**
   * @param upTo the last offset that may be returned
   * @return frames from {@code fromOffset} (at least one, about {@code maxBytes}), or {@code null}
   *     if {@code fromOffset > upTo}
   * @throws OffsetUnavailableException if the log no longer holds {@code fromOffset}
   * @throws IntegrityException if a stored frame fails its check
   */
  @Nullable FrameBatch readFrames(long fromOffset, int maxBytes, long upTo) {
    if (fromOffset > upTo) {
      return null;
    }
    Map.Entry<Long, Segment> e = segments.floorEntry(fromOffset);
    if (e == null || fromOffset < startOffset()) {
      throw new OffsetUnavailableException(name, fromOffset, startOffset());
    }
    Segment s = e.getValue();
    int cuts = s.cuts;
    try {
      long pos = s.locate(fromOffset, name);
      long end = s.size;
      int want = (int) Math.min(Math.max(maxBytes, Frames.HEADER), end - pos);
      ByteBuffer buf = s.readAt(pos, want);
      int p = 0;
      int count = 0;
      long ts = 0;
      boolean reread = false;
      long segmentLast = s.lastOffset;
      while (true) {
        if (count > 0 && fromOffset + count > segmentLast) {
          break; // a closed segment may end in zero-filled space
        }
        int len = Frames.check(buf, p, buf.limit());
        if (len == -1 && count == 0 && !reread && buf.limit() >= Frames.HEADER) {
          int need = Frames.frameSize(Frames.payloadLength(buf, p));
          buf = s.readAt(pos, need);
          reread = true;
          continue;
        }
        if (len == -1 && count > 0) {
          break;
        }
        if (len < 0 && count == 0 && fromOffset <= segmentLast && segments.higherKey(s.base) != null
            && Frames.endOfData(buf, p, buf.limit())) {
          throw s.missing(name, fromOffset, pos + p);
        }
        if (len < 0) {
          throw new IntegrityException("log " + name + ": segment " + s.path + " is damaged at byte " + (pos + p));
        }
        long off = Frames.offset(buf, p);
        if (off != fromOffset + count) {
          throw new IntegrityException("log " + name + ": segment " + s.path + " holds offset " + off + " at byte "
              + (pos + p) + " where " + (fromOffset + count) + " was expected");
        }
        if (off > upTo) {
          break;
        }
        ts = Frames.timestamp(buf, p);
        p += len;
        count++;
        if (p >= buf.limit()) {
          break;
        }
      }
      if (count == 0) {
        return null;
      }
      buf.limit(p).position(0);
      s.readHint = new Segment.ReadHint(fromOffset + count, pos + p, cuts);
      return new FrameBatch(fromOffset, count, ts, buf.slice());
    } catch (ClosedChannelException ex) {
      throw new OffsetUnavailableException(name, fromOffset, startOffset());
    } catch (IOException ex) {
      throw new StorageException("log " + name + ": cannot read " + s.path + ": " + ex.getMessage(), ex);
    }
  }

  /**
   * @return the records from {@code fromOffset} up to {@code upTo} (asked before each batch read), at most {@code maxRecords}
   * @throws OffsetUnavailableException if the log no longer holds {@code fromOffset}
   */
  List<LogRecord> read(long fromOffset, int maxRecords, LongSupplier upTo) {
    List<LogRecord> out = new ArrayList<>();
    long next = fromOffset;
    while (out.size() < maxRecords) {
      FrameBatch b = readFrames(next, 1 << 20, upTo.getAsLong());
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

  /** @return the record of the (checked) frame at {@code p} */
  static LogRecord decode(ByteBuffer f, int p) {
    return new LogRecord(Frames.epoch(f, p), Frames.offset(f, p), Frames.timestamp(f, p), Frames.payload(f, p));
  }
}
