package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.replication.internal.Frames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment file of a {@link ReplicationLog}: {@code <20-digit base offset>.log}, a 16-byte header
 * ({@code "DRKL", u32 version=1, u64 baseOffset}) then record frames. Holds what the log knows of
 * the file (logical size, zero-filled size, last offset, epoch and time), a sparse offset-to-position
 * index and the position where the last sequential read ended, and does the file's positional reads
 * and writes. The log's locks guard the fields as documented on each.
 */
final class Segment {
  private static final Logger LOG = LoggerFactory.getLogger(Segment.class);
  /** Size of a segment file's header. */
  static final int HEADER = 16;
  static final int MAGIC = 0x44524B4C; // "DRKL"
  static final int VERSION = 1;
  /** Bytes of records between two entries the writer adds to {@link #index}. */
  static final int INDEX_INTERVAL = 64 << 10;

  final long base;
  final Path path;
  private final LogChannelFactory channels;
  volatile long size;
  /** The file's bytes known to be written (records or zero fill): writes below need no extend lock. */
  volatile long allocated;
  /** Held by whoever grows the file: the writer past {@link #allocated}, or the zero-filler. */
  final ReentrantLock extendLock = new ReentrantLock();
  volatile long lastOffset;
  volatile long lastEpoch;
  volatile long lastTimestamp;
  long lastTimestampFromFile;
  long lastIndexedPosition;
  final ConcurrentSkipListMap<Long, Long> index = new ConcurrentSkipListMap<>();
  /** Bumped (under the flush lock) whenever the segment is cut: read hints from before are void. */
  volatile int cuts;
  /** Where the last read ended, so that the next sequential read needs no scan. */
  volatile @Nullable ReadHint readHint;
  volatile @Nullable FileChannel ch;

  Segment(long base, Path path, LogChannelFactory channels) {
    this.base = base;
    this.path = path;
    this.channels = channels;
    this.lastOffset = base - 1;
  }

  /**
   * Creates the segment file for {@code base} in {@code dir} with its header, forced; the caller
   * forces the directory.
   */
  static Segment create(Path dir, long base, LogChannelFactory channels) throws IOException {
    Path p = dir.resolve(fileName(base));
    FileChannel ch = channels.open(p,
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE));
    Segment s = new Segment(base, p, channels);
    s.ch = ch;
    try {
      ByteBuffer h = header(base);
      long pos = 0;
      while (h.hasRemaining()) {
        pos += ch.write(h, pos);
      }
      ch.force(true);
    } catch (IOException e) {
      try {
        ch.close();
        Files.deleteIfExists(p);
      } catch (IOException e2) {
        e.addSuppressed(e2);
      }
      throw e;
    }
    s.size = HEADER;
    s.allocated = HEADER;
    return s;
  }

  /** @return a segment (or quarantine) file header for {@code base}, ready to write */
  static ByteBuffer header(long base) {
    ByteBuffer h = ByteBuffer.allocate(HEADER);
    h.putInt(MAGIC).putInt(VERSION).putLong(base).flip();
    return h;
  }

  /** @return the file name of the segment starting at {@code base} */
  static String fileName(long base) {
    return String.format("%020d.log", base);
  }

  /** Opens the file on first use (segments found by recovery are opened lazily). */
  FileChannel channel() throws IOException {
    FileChannel c = ch;
    if (c == null) {
      synchronized (this) {
        c = ch;
        if (c == null) {
          try {
            c = channels.open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
          } catch (NoSuchFileException e) {
            throw new ClosedChannelException();
          }
          ch = c;
        }
      }
    }
    return c;
  }

  /** @return the newest record's time, or the file's modification time for a closed segment found on open */
  long lastTimestamp() {
    return lastTimestamp > 0 ? lastTimestamp : lastTimestampFromFile;
  }

  /** @throws IntegrityException if the file is shorter than its header or the header is not this segment's */
  void checkHeader(String logName) throws IOException {
    if (size < HEADER) {
      throw new IntegrityException("log " + logName + ": segment " + path + " is shorter than its header");
    }
    ByteBuffer h = readAt(0, HEADER);
    if (h.getInt(0) != MAGIC || h.getInt(4) != VERSION || h.getLong(8) != base) {
      throw new IntegrityException("log " + logName + ": segment " + path + " has a bad header (magic "
          + Integer.toHexString(h.getInt(0)) + ", version " + h.getInt(4) + ", base " + h.getLong(8) + ")");
    }
  }

  /** @return up to {@code len} bytes from {@code pos} (fewer at the end of the file), flipped */
  ByteBuffer readAt(long pos, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(len);
    FileChannel c = channel();
    while (buf.hasRemaining()) {
      int n = c.read(buf, pos + buf.position());
      if (n < 0) {
        break;
      }
    }
    buf.flip();
    return buf;
  }

  /**
   * Writes {@code b} at {@code pos}. Below the zero-filled end of the segment no coordination is
   * needed (the filler only writes beyond it); a write that grows the file holds the extend lock so
   * that the filler never writes zeros over it.
   *
   * @return the position after the written bytes
   */
  long writeAt(ByteBuffer b, long pos) throws IOException {
    long end = pos + b.remaining();
    if (end <= allocated) {
      while (b.hasRemaining()) {
        pos += channel().write(b, pos);
      }
      return pos;
    }
    extendLock.lock();
    try {
      while (b.hasRemaining()) {
        pos += channel().write(b, pos);
      }
      allocated = Math.max(allocated, pos);
      return pos;
    } finally {
      extendLock.unlock();
    }
  }

  /** Cuts the file (its zero-filled tail too) to {@code newSize} under the extend lock. */
  void truncate(long newSize) throws IOException {
    extendLock.lock();
    try {
      channel().truncate(newSize);
      allocated = newSize;
    } finally {
      extendLock.unlock();
    }
  }

  /** Cuts a closed segment's zero-filled tail (it would only waste space); a failure is only logged. */
  void trimZeroFill() {
    extendLock.lock();
    try {
      if (ch != null && allocated > size) {
        channel().truncate(size);
        allocated = size;
      }
    } catch (IOException e) {
      LOG.debug("trimming {} failed: {}", path, e.toString());
    } finally {
      extendLock.unlock();
    }
  }

  /**
   * Finds the byte position of {@code offset}: from the nearest index entry or where the last
   * sequential read stopped, stepping over frame headers; adds an index entry every 1,024 records.
   *
   * @throws IntegrityException if a frame length on the way is impossible or the offset is not here
   */
  long locate(long offset, String logName) throws IOException {
    Map.Entry<Long, Long> hint = index.floorEntry(offset);
    long pos = hint == null ? HEADER : hint.getValue();
    long off = hint == null ? base : hint.getKey();
    ReadHint rh = readHint;
    if (rh != null && rh.cuts() == cuts && rh.offset() <= offset && rh.offset() > off) {
      pos = rh.position(); // a sequential reader continues where it stopped: no scan from the index entry
      off = rh.offset();
    }
    ByteBuffer buf = null;
    long bufStart = 0;
    while (off < offset) {
      if (buf == null || pos + Frames.HEADER > bufStart + buf.limit()) {
        int want = (int) Math.min(256 << 10, size - pos);
        if (want < Frames.HEADER) {
          throw missing(logName, off, pos);
        }
        buf = readAt(pos, want);
        bufStart = pos;
      }
      int len = Frames.payloadLength(buf, (int) (pos - bufStart));
      if (len == 0 && Frames.endOfData(buf, (int) (pos - bufStart), buf.limit())) {
        throw missing(logName, off, pos);
      }
      if (len < 0 || len > Frames.MAX_PAYLOAD) {
        throw new IntegrityException("log " + logName + ": segment " + path + " is damaged at byte " + pos);
      }
      pos += Frames.frameSize(len);
      off++;
      if (off % 1024 == 0) {
        index.put(off, pos);
      }
    }
    return pos;
  }

  /**
   * @param logName the log's name, for the message
   * @param from the first offset this segment should hold but does not
   * @param pos the byte where its records end
   * @return the error for records that should follow in this segment but are absent: either the
   *     segment lost its end, or the segment file that held them is missing (the next segment
   *     starts later than this one's records end)
   */
  IntegrityException missing(String logName, long from, long pos) {
    return new IntegrityException("log " + logName + ": segment " + path + " ends at byte " + pos + " after offset "
        + (from - 1) + " but the next segment starts at offset " + (lastOffset + 1) + ": offsets " + from + " to "
        + lastOffset + " are missing (a segment file deleted or lost, or this segment cut short)");
  }

  /** Closes the file if open; a failure is only logged. */
  void closeQuietly() {
    FileChannel c = ch;
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.debug("closing {} failed", path, e);
      }
    }
  }

  /** The position of {@code offset} in a segment as of its {@code cuts}-th cut. */
  record ReadHint(long offset, long position, int cuts) {}
}
