package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.replication.internal.Frames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NavigableMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash recovery when a {@link ReplicationLog} is opened: finds the segment files, removes a
 * segment whose header was torn while it was created, checks every header, and scans the newest
 * segment record by record. A torn tail (an incomplete or damaged last record with nothing valid
 * after it) is cut off; zero-filled (preallocated) space after the last record is not damage; damage
 * followed by valid records is refused with an {@link IntegrityException}, or, with
 * {@link LogConfig#truncateOnCorruption()}, set aside in {@code quarantine/} and cut.
 */
// NonAtomicVolatileUpdate: recovery runs in the log's constructor, before any reader or writer exists
@SuppressWarnings("NonAtomicVolatileUpdate")
final class LogRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

  private final Path dir;
  private final LogConfig config;
  private final String name;
  private final LogMetaFiles meta;

  LogRecovery(Path dir, LogConfig config, LogMetaFiles meta) {
    this.dir = dir;
    this.config = config;
    this.name = config.name();
    this.meta = meta;
  }

  /**
   * Recovers the log in the directory into {@code segments} (empty on entry), creating the first
   * segment of an empty log.
   *
   * @return what was found and repaired
   * @throws IntegrityException if a segment is damaged in a way recovery must not repair silently
   */
  RecoveryResult recover(NavigableMap<Long, Segment> segments) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().matches("\\d{20}\\.log"))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }
    List<Path> removed = new ArrayList<>();
    List<Path> kept = new ArrayList<>(files);
    // a segment whose header was torn while being created holds nothing: remove it
    while (!kept.isEmpty()) {
      Path last = kept.get(kept.size() - 1);
      long size = Files.size(last);
      if (size >= Segment.HEADER) {
        break;
      }
      Files.delete(last);
      removed.add(last);
      kept.remove(kept.size() - 1);
    }
    if (kept.isEmpty()) {
      Segment s = Segment.create(dir, 0, config.channelFactory());
      meta.forceDir();
      segments.put(0L, s);
      s.lastOffset = -1;
      return new RecoveryResult(null, -1, 0, removed, 0);
    }
    for (int i = 0; i < kept.size(); i++) {
      Path p = kept.get(i);
      long base = Long.parseLong(p.getFileName().toString().substring(0, 20));
      Segment s = new Segment(base, p, config.channelFactory());
      s.size = Files.size(p);
      s.allocated = s.size;
      s.checkHeader(name);
      if (i + 1 < kept.size()) {
        s.lastOffset = Long.parseLong(kept.get(i + 1).getFileName().toString().substring(0, 20)) - 1;
        s.lastTimestampFromFile = Files.getLastModifiedTime(p).toMillis();
      }
      segments.put(base, s);
    }
    Segment last = segments.lastEntry().getValue();
    return scanLast(last, removed);
  }

  private RecoveryResult scanLast(Segment s, List<Path> removed) throws IOException {
    long fileSize = s.size;
    long pos = Segment.HEADER;
    long expected = s.base;
    long lastEpoch = 0;
    long lastTs = 0;
    while (pos < fileSize) {
      int want = (int) Math.min(fileSize - pos, 4 << 20);
      ByteBuffer buf = s.readAt(pos, want);
      int p = 0;
      int len = 0;
      while (p < buf.limit()) {
        len = Frames.check(buf, p, buf.limit());
        if (len == -1 && pos + buf.limit() < fileSize && p > 0) {
          break; // frame continues beyond this read: read again from p
        }
        if (len == -1 && pos + buf.limit() < fileSize) {
          int need = Frames.frameSize(Frames.payloadLength(buf, p));
          buf = s.readAt(pos, (int) Math.min(need, fileSize - pos));
          continue;
        }
        if (len < 0 || Frames.offset(buf, p) != expected || Frames.epoch(buf, p) < lastEpoch) {
          if (zeroFrom(s, pos + p)) {
            fileSize = pos + p; // the rest is zero-filled space preallocated for later records: not damage
            pos = fileSize;
            p = 0;
            break;
          }
          return tornOrCorrupt(s, pos + p, expected, lastEpoch, removed);
        }
        if ((pos + p) - s.lastIndexedPosition >= Segment.INDEX_INTERVAL || s.index.isEmpty()) {
          s.index.put(expected, pos + p);
          s.lastIndexedPosition = pos + p;
        }
        lastEpoch = Frames.epoch(buf, p);
        lastTs = Frames.timestamp(buf, p);
        expected++;
        p += len;
      }
      pos += p;
    }
    s.size = fileSize;
    s.lastOffset = expected - 1;
    s.lastEpoch = lastEpoch;
    s.lastTimestamp = lastTs;
    return new RecoveryResult(null, -1, 0, removed, expected);
  }

  private static boolean allZero(ByteBuffer b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b.get(i) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * @return whether the segment file holds only zeros from {@code from} on, at least a frame header's
   *     worth: space preallocated for later records (a written frame header is never all zero,
   *     while a shorter zero tail may be the start of a torn length field)
   */
  private static boolean zeroFrom(Segment s, long from) throws IOException {
    long end = s.channel().size();
    if (end - from < Frames.HEADER) {
      return false;
    }
    long pos = from;
    while (pos < end) {
      ByteBuffer b = s.readAt(pos, (int) Math.min(SegmentPreallocator.ZERO_CHUNK, end - pos));
      if (b.limit() == 0) {
        break;
      }
      if (!allZero(b, 0, b.limit())) {
        return false;
      }
      pos += b.limit();
    }
    return true;
  }

  private RecoveryResult tornOrCorrupt(Segment s, long badPos, long expected, long lastEpoch, List<Path> removed)
      throws IOException {
    long fileSize = s.size;
    ByteBuffer rest = s.readAt(badPos, (int) (fileSize - badPos));
    // In a zero-filled (preallocated) segment a zero header means "never written": whatever follows
    // was written after the last force and reached the disk out of order, so it was never durable.
    // It is cut like a torn tail, but kept in quarantine (a zeroed sector could also look like this).
    boolean neverWritten = allZero(rest, 0, Math.min(rest.limit(), Frames.HEADER));
    int restEnd = rest.limit();
    while (restEnd > 0 && rest.get(restEnd - 1) == 0) {
      restEnd--;
    }
    rest.limit(restEnd);
    long validAt = -1;
    for (int q = 1; q + Frames.HEADER <= rest.limit(); q++) {
      long off = Frames.offset(rest, q);
      if (off < expected || off > expected + (rest.limit() / Frames.HEADER) || Frames.epoch(rest, q) < lastEpoch) {
        continue;
      }
      if (Frames.check(rest, q, rest.limit()) > 0) {
        validAt = badPos + q;
        break;
      }
    }
    if (validAt >= 0 && !config.truncateOnCorruption() && !neverWritten) {
      throw new IntegrityException("log " + name + ": segment " + s.path + " is damaged at byte " + badPos
          + " (offset " + expected + ") but valid records follow at byte " + validAt
          + "; refusing to cut them off (nothing was changed; see LogConfig.truncateOnCorruption)");
    }
    if (validAt >= 0 || (neverWritten && restEnd > 0)) {
      Path qdir = dir.resolve(LogQuarantine.DIR);
      Files.createDirectories(qdir);
      Path q = qdir.resolve(String.format("%d-damaged-%s-at-%d.bin", config.clock().millis(),
          s.path.getFileName(), badPos));
      Files.write(q, toArray(rest));
      LOG.warn("log {}: damaged tail of {} from byte {} moved to {}", name, s.path, badPos, q);
    }
    FileChannel ch = s.channel();
    s.truncate(badPos);
    ch.force(true);
    s.size = badPos;
    s.lastOffset = expected - 1;
    s.lastEpoch = lastEpoch;
    s.index.tailMap(expected, true).clear();
    s.cuts++;
    if (s.lastOffset >= s.base) {
      ByteBuffer tail = readLastTimestamp(s);
      s.lastTimestamp = tail == null ? 0 : tail.getLong(0);
    }
    long zeroFilled = fileSize - badPos - restEnd;
    long torn = zeroFilled >= 4096 ? restEnd : fileSize - badPos; // preallocated zeros are not a torn record
    return new RecoveryResult(s.path, badPos, torn, removed, expected);
  }

  private @Nullable ByteBuffer readLastTimestamp(Segment s) throws IOException {
    long pos = s.locate(s.lastOffset, name);
    ByteBuffer h = s.readAt(pos + 24, 8);
    return h.limit() == 8 ? h : null;
  }

  private static byte[] toArray(ByteBuffer b) {
    byte[] a = new byte[b.limit()];
    b.get(0, a);
    return a;
  }
}
