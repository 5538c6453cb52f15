package dev.drkit.replication;

import dev.drkit.core.internal.DurableFiles;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The small metadata files beside a {@link ReplicationLog}'s segments: {@code epochs.history} (one
 * line {@code <epoch> <startOffset>} per epoch) and {@code fence.epoch} (the newest epoch seen).
 * Both are replaced atomically (write a temporary file, force it, rename, force the directory).
 */
final class LogMetaFiles {
  static final String HISTORY_FILE = "epochs.history";
  static final String FENCE_FILE = "fence.epoch";

  private final Path dir;
  private final String name;

  LogMetaFiles(Path dir, String name) {
    this.dir = dir;
    this.name = name;
  }

  /**
   * @return the stored epoch history, empty when there is none
   * @throws IntegrityException naming the file and line when a line is malformed
   */
  EpochHistory readHistory() throws IOException {
    Path p = dir.resolve(HISTORY_FILE);
    if (!Files.exists(p)) {
      return EpochHistory.empty();
    }
    List<EpochHistory.Entry> entries = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.trim().split("\\s+");
      try {
        entries.add(new EpochHistory.Entry(Long.parseLong(parts[0]), Long.parseLong(parts[1])));
      } catch (RuntimeException e) {
        throw new IntegrityException("log " + name + ": " + p + " line " + lineNo + " is malformed: '" + line + "'", e);
      }
    }
    return new EpochHistory(entries);
  }

  /** @throws StorageException if the file cannot be replaced */
  void writeHistory(EpochHistory h) {
    StringBuilder sb = new StringBuilder();
    for (EpochHistory.Entry e : h.entries()) {
      sb.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
    }
    writeAtomically(dir.resolve(HISTORY_FILE), sb.toString());
  }

  /**
   * @return the stored fence epoch, 0 when there is none
   * @throws IntegrityException naming the file when it is malformed
   */
  long readFence() throws IOException {
    Path p = dir.resolve(FENCE_FILE);
    if (!Files.exists(p)) {
      return 0;
    }
    String s = Files.readString(p, StandardCharsets.UTF_8).trim();
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IntegrityException("log " + name + ": " + p + " is malformed: '" + s + "'", e);
    }
  }

  /** @throws StorageException if the file cannot be replaced */
  void writeFence(long epoch) {
    writeAtomically(dir.resolve(FENCE_FILE), epoch + "\n");
  }

  private void writeAtomically(Path target, String content) {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        writeFully(ch, ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      forceDir();
    } catch (IOException e) {
      throw new StorageException("log " + name + ": cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Forces the log directory (new, renamed or removed files), by drkit's one durable-file policy
   * ({@link DurableFiles#forceDirectory}: skipped only where the platform cannot open a directory).
   *
   * @throws StorageException when the directory cannot be forced: the change may not survive a
   *     power loss, so the caller must not report it as durable
   */
  void forceDir() {
    try {
      DurableFiles.forceDirectory(dir);
    } catch (IOException e) {
      throw new StorageException("log " + name + ": cannot force the directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes all of {@code b} at the channel's position. */
  static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }
}
