package dev.drkit.core.audit;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.core.internal.DurableFiles;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.EventListener;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventListener} that appends every event to a JSON-lines file in which each line carries
 * the SHA-256 of the line before it ({@code prev}) and of its own content ({@code hash}), so that
 * editing, deleting, inserting or reordering lines is detected by {@link AuditJournalVerifier}.
 *
 * <p>Append-only: lines are only ever added at the end. Opening an existing journal verifies it
 * first and continues its chain; a torn last line (left by a crash in the middle of an append) is
 * copied to a side file {@code <name>.torn-<offset>} (nothing is lost), cut off, and the repair is
 * itself recorded as an {@code audit.journal.torn-tail-recovered} line. A journal that was tampered
 * with is never appended to: opening it throws {@link IntegrityException}. When lines reach the
 * disk is the {@link FsyncPolicy}'s choice ({@link FsyncPolicy#always()} by default). The file is
 * locked while open, so two processes cannot interleave lines.
 *
 * <p>Thread-safe: appends are serialized. Each append is one write of the whole line and its
 * newline. If a write fails the journal truncates back to the last complete line and throws
 * {@link StorageException} (the {@link dev.drkit.core.EventBus} logs it and carries on); if even that
 * fails, the journal refuses further appends rather than write after a broken line.
 */
public final class AuditJournal implements EventListener, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditJournal.class);

  private final Path file;
  private final FsyncPolicy fsync;
  private final FileChannel channel;
  private final FileLock lock;
  private long nextSeq;
  private String prevHash = ""; // set by adopt(..) before any append
  private long size;
  private int unsynced;
  private boolean broken;
  private boolean closed;

  private AuditJournal(Path file, FsyncPolicy fsync, FileChannel channel, FileLock lock) {
    this.file = file;
    this.fsync = fsync;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Opens (or creates) a journal with {@link FsyncPolicy#always()} and the system UTC clock.
   *
   * @param file the journal file
   * @return the open journal
   * @throws IntegrityException when the existing journal was tampered with
   * @throws StorageException when the file cannot be opened, read, locked or written
   */
  public static AuditJournal open(Path file) {
    return builder(file).open();
  }

  /**
   * @param file the journal file
   * @return a builder
   */
  public static Builder builder(Path file) {
    return new Builder(Objects.requireNonNull(file, "file"));
  }

  /** Configures and opens an {@link AuditJournal}; not thread-safe. */
  public static final class Builder {
    private final Path file;
    private FsyncPolicy fsync = FsyncPolicy.always();
    private Clock clock = Clock.systemUTC();

    private Builder(Path file) {
      this.file = file;
    }

    /**
     * @param policy when lines are forced to disk
     * @return this builder
     */
    public Builder fsync(FsyncPolicy policy) {
      this.fsync = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * @param clock the time of the journal's own lines (creation, recovery)
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @return the open journal, positioned after its last intact line
     * @throws IntegrityException when the existing journal was tampered with
     * @throws StorageException when the file cannot be opened, read, locked or written
     */
    public AuditJournal open() {
      return AuditJournal.open(file, fsync, clock);
    }
  }

  private static AuditJournal open(Path file, FsyncPolicy fsync, Clock clock) {
    FileChannel channel = null;
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      boolean created = !Files.exists(file);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StorageException("audit journal " + file + " is already open (locked by another writer)");
      }
      AuditJournal journal = new AuditJournal(file, fsync, channel, lock);
      if (created && parent != null) {
        DurableFiles.forceDirectory(parent);
      }
      journal.resume(clock);
      return journal;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StorageException("cannot open audit journal " + file + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private void resume(Clock clock) throws IOException {
    AuditJournalVerifier.Result r = AuditJournalVerifier.scan(file, null, e -> {});
    switch (r.status()) {
      case TAMPERED -> throw new IntegrityException("audit journal " + file + " is damaged at line "
          + r.firstBadLine() + ": " + r.reason() + "; refusing to append to it (verify it, keep it as evidence and"
          + " start a new journal)");
      case TORN_TAIL -> {
        long end = channel.size();
        Path aside = file.resolveSibling(file.getFileName() + ".torn-" + r.tailOffset());
        for (int n = 1; Files.exists(aside); n++) {
          aside = file.resolveSibling(file.getFileName() + ".torn-" + r.tailOffset() + "-" + n);
        }
        ByteBuffer tail = ByteBuffer.allocate((int) Math.min(end - r.tailOffset(), Integer.MAX_VALUE - 8));
        channel.read(tail, r.tailOffset());
        Files.write(aside, java.util.Arrays.copyOf(tail.array(), tail.position()), StandardOpenOption.CREATE_NEW);
        channel.truncate(r.tailOffset());
        channel.force(true);
        LOG.warn("audit journal {}: line {} was torn by an interrupted append; moved its {} bytes to {} and"
            + " continued after line {}", file, r.firstBadLine(), end - r.tailOffset(), aside, r.intactLines());
        adopt(r);
        if (r.intactLines() == 0) {
          appendCreated(clock);
        }
        append(new DrEvent(clock.instant(), "audit.journal.torn-tail-recovered", DrEvent.Severity.WARN, null, 0,
            "an incomplete last line (an interrupted append) was moved aside", Map.of("line",
                String.valueOf(r.firstBadLine()), "bytes", String.valueOf(end - r.tailOffset()), "movedTo",
                aside.toString())));
      }
      case INTACT -> {
        adopt(r);
        if (r.intactLines() == 0) {
          appendCreated(clock);
        } else {
          LOG.debug("audit journal {} reopened at line {} (head {})", file, r.intactLines(), r.head());
        }
      }
    }
    sync();
  }

  private void appendCreated(Clock clock) {
    append(new DrEvent(clock.instant(), JournalFormat.CREATED_TYPE, DrEvent.Severity.INFO, null, 0,
        "audit journal created", Map.of("format", JournalFormat.FORMAT)));
  }

  private void adopt(AuditJournalVerifier.Result r) {
    nextSeq = r.head().seq() + 1;
    prevHash = r.head().hash();
    size = r.tailOffset();
  }

  /**
   * Appends the event. Never throws for a well-formed event except {@link StorageException}, which
   * the {@link dev.drkit.core.EventBus} logs.
   *
   * @param event the event to record
   */
  @Override
  public void onEvent(DrEvent event) {
    append(event);
  }

  /**
   * Appends the event as one line and applies the fsync policy.
   *
   * @param event the event to record
   * @return the anchor of the new line
   * @throws StorageException when the line cannot be written (the journal is left at its last
   *     complete line), or the journal is closed or broken
   */
  public synchronized JournalAnchor append(DrEvent event) {
    Objects.requireNonNull(event, "event");
    if (closed) {
      throw new StorageException("audit journal " + file + " is closed");
    }
    if (broken) {
      throw new StorageException("audit journal " + file + " stopped accepting lines after a failed write");
    }
    byte[] line = JournalFormat.encode(nextSeq, event, prevHash);
    ByteBuffer buf = ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
    try {
      long at = size;
      while (buf.hasRemaining()) {
        at += channel.write(buf, at);
      }
      size = at;
      if (fsync.everyEvents() > 0 && ++unsynced >= fsync.everyEvents()) {
        channel.force(false);
        unsynced = 0;
      }
    } catch (IOException e) {
      try {
        channel.truncate(size);
      } catch (IOException again) {
        broken = true;
        e.addSuppressed(again);
      }
      throw new StorageException("cannot append to audit journal " + file + " (line " + (nextSeq + 1) + ", event "
          + event.type() + "): " + e, e);
    }
    String hash = JournalFormat.sha256(line, 0, line.length);
    JournalAnchor anchor = new JournalAnchor(nextSeq, hash);
    prevHash = hash;
    nextSeq++;
    return anchor;
  }

  /**
   * @return the anchor of the last line: record it elsewhere to detect later truncation with
   *     {@link AuditJournalVerifier#verify(Path, JournalAnchor)}
   */
  public synchronized JournalAnchor head() {
    return new JournalAnchor(nextSeq - 1, prevHash);
  }

  /** @return the number of lines in the journal */
  public synchronized long lines() {
    return nextSeq;
  }

  /** @return the journal file */
  public Path file() {
    return file;
  }

  /**
   * Forces every appended line to disk, whatever the policy.
   *
   * @throws StorageException when the force fails
   */
  public synchronized void sync() {
    if (closed) {
      return;
    }
    try {
      channel.force(false);
      unsynced = 0;
    } catch (IOException e) {
      throw new StorageException("cannot sync audit journal " + file + ": " + e, e);
    }
  }

  /**
   * Syncs and closes; later appends throw {@link StorageException}. Idempotent.
   *
   * @throws StorageException when the final sync or close fails
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      if (!broken) {
        channel.force(false);
      }
      lock.release();
    } catch (IOException e) {
      throw new StorageException("cannot close audit journal " + file + ": " + e, e);
    } finally {
      closed = true;
      closeQuietly(channel);
    }
  }

  @Override
  public String toString() {
    return "AuditJournal{" + file + "}";
  }

  private static void closeQuietly(@Nullable FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing audit journal channel failed", e);
      }
    }
  }
}
