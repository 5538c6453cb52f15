package dev.drkit.replication;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The {@code quarantine/} directory of a {@link ReplicationLog}: records set aside instead of being
 * dropped (a divergent suffix of a returning primary, written as {@code <millis>-from-<offset>.log}
 * in the segment format) and damaged tails cut by recovery ({@code *-damaged-*.bin}, raw bytes).
 */
final class LogQuarantine {
  /** The directory's name inside the log directory. */
  static final String DIR = "quarantine";

  private LogQuarantine() {}

  /**
   * Writes the records {@code from} up to {@code end} (exclusive) into a new, forced quarantine
   * file.
   *
   * @param frames reads durable frames from an offset, {@code null} past the end
   * @return the file and how many records it holds
   * @throws StorageException if the file cannot be written
   */
  static QuarantineFile write(Path logDir, String logName, long millis, long from, long end,
      LongFunction<@Nullable FrameBatch> frames) {
    Path qdir = logDir.resolve(DIR);
    Path q = qdir.resolve(String.format("%d-from-%020d.log", millis, from));
    long count = 0;
    try (FileChannel out = open(qdir, q)) {
      LogMetaFiles.writeFully(out, Segment.header(from));
      long next = from;
      while (next < end) {
        FrameBatch b = frames.apply(next);
        if (b == null) {
          break;
        }
        LogMetaFiles.writeFully(out, b.frames());
        next = b.lastOffset() + 1;
        count += b.count();
      }
      out.force(true);
    } catch (IOException e) {
      throw new StorageException("log " + logName + ": cannot write quarantine file " + q + ": " + e.getMessage(), e);
    }
    return new QuarantineFile(q, from, count, false);
  }

  private static FileChannel open(Path qdir, Path q) throws IOException {
    Files.createDirectories(qdir);
    return FileChannel.open(q, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /**
   * @return the quarantine files in {@code logDir}, oldest first
   * @throws StorageException if the directory cannot be listed
   */
  static List<Path> list(Path logDir, String logName) {
    Path qdir = logDir.resolve(DIR);
    if (!Files.isDirectory(qdir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(qdir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new StorageException("log " + logName + ": cannot list " + qdir + ": " + e.getMessage(), e);
    }
  }

  /**
   * @return the records of a quarantine file written by {@link #write}
   * @throws IntegrityException if the file is damaged
   * @throws StorageException if it cannot be read
   */
  static List<LogRecord> read(Path file) {
    try {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
      if (b.limit() < Segment.HEADER || b.getInt(0) != Segment.MAGIC) {
        throw new IntegrityException("quarantine file " + file + " has no segment header");
      }
      List<LogRecord> out = new ArrayList<>();
      int p = Segment.HEADER;
      while (p < b.limit()) {
        int len = dev.drkit.replication.internal.Frames.check(b, p, b.limit());
        if (len < 0) {
          throw new IntegrityException("quarantine file " + file + " is damaged at byte " + p);
        }
        out.add(LogReader.decode(b, p));
        p += len;
      }
      return out;
    } catch (IOException e) {
      throw new StorageException("cannot read quarantine file " + file + ": " + e.getMessage(), e);
    }
  }
}
