package dev.drkit.core.audit;

import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Checks an audit journal written by {@link AuditJournal}: every line's own {@code hash} matches its
 * content, every {@code prev} is the SHA-256 of the line before, and sequence numbers run 0, 1, 2,
 * ... without gaps. Reports the first bad line (1-based) and why, and tells a torn last line (a
 * crash in the middle of an append: the line has no newline) apart from tampering. Streams the file;
 * memory does not grow with its length. Stateless and thread-safe.
 */
public final class AuditJournalVerifier {
  /** Longest line accepted; a longer one is reported as damaged. */
  static final int MAX_LINE_BYTES = 1 << 20;

  private AuditJournalVerifier() {}

  /** The verdict on a journal. */
  public enum Status {
    /** Every line is intact and chained. */
    INTACT,
    /**
     * Every complete line is intact, but the file ends in an incomplete line (no newline): the writer
     * stopped in the middle of an append, as in a crash. Not evidence of tampering; {@link AuditJournal}
     * moves such a tail aside when it reopens the journal.
     */
    TORN_TAIL,
    /** A complete line was edited, deleted, inserted or moved, or lines were cut from the end of an anchored journal. */
    TAMPERED
  }

  /**
   * The result of a verification.
   *
   * @param status the verdict
   * @param intactLines how many lines from the start are intact
   * @param firstBadLine the 1-based number of the first bad (or torn) line, or {@code null} when intact
   * @param reason why that line is bad, or {@code null} when intact
   * @param head the anchor of the last intact line ({@link JournalAnchor#genesis()} when there is none)
   * @param tailOffset the byte offset just after the last intact line's newline
   */
  public record Result(Status status, long intactLines, @Nullable Long firstBadLine, @Nullable String reason,
      JournalAnchor head, long tailOffset) {

    /** @return whether the journal is {@link Status#INTACT} */
    public boolean isIntact() {
      return status == Status.INTACT;
    }

    @Override
    public String toString() {
      return switch (status) {
        case INTACT -> "intact: " + intactLines + " lines, head " + head;
        case TORN_TAIL, TAMPERED -> status.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " at line "
            + firstBadLine + ": " + reason + " (" + intactLines + " lines intact before it)";
      };
    }
  }

  /**
   * @param file the journal
   * @return the verdict
   * @throws StorageException when the file cannot be read
   */
  public static Result verify(Path file) {
    return verify(file, null);
  }

  /**
   * Verifies and, with an anchor, also checks that the journal still holds the anchored line
   * unchanged, which detects lines cut from the end.
   *
   * @param file the journal
   * @param anchor a previously recorded {@link AuditJournal#head()}, or {@code null}
   * @return the verdict
   * @throws StorageException when the file cannot be read
   */
  public static Result verify(Path file, @Nullable JournalAnchor anchor) {
    return scan(file, anchor, e -> {});
  }

  /**
   * Reads every event of an intact journal (a torn tail is ignored), in order.
   *
   * @param file the journal
   * @return the events, including the journal's own first line ({@code audit.journal.created})
   * @throws IntegrityException naming the first bad line when the journal was tampered with
   * @throws StorageException when the file cannot be read
   */
  public static List<DrEvent> readEvents(Path file) {
    List<DrEvent> events = new ArrayList<>();
    Result r = scan(file, null, events::add);
    if (r.status() == Status.TAMPERED) {
      throw new IntegrityException("audit journal " + file + " is damaged at line " + r.firstBadLine() + ": "
          + r.reason());
    }
    return events;
  }

  static Result scan(Path file, @Nullable JournalAnchor anchor, Consumer<DrEvent> sink) {
    Objects.requireNonNull(file, "file");
    try (InputStream in = Files.newInputStream(file)) {
      return scan(in, anchor, sink);
    } catch (IOException e) {
      throw new StorageException("cannot read audit journal " + file + ": " + e, e);
    }
  }

  private static Result scan(InputStream in, @Nullable JournalAnchor anchor, Consumer<DrEvent> sink)
      throws IOException {
    Lines lines = new Lines(in);
    long lineNo = 0;
    long offset = 0;
    String prevHash = JournalAnchor.GENESIS_HASH;
    long prevSeq = -1;
    boolean anchorSeen = anchor == null || anchor.seq() == -1;
    while (lines.next()) {
      byte[] buf = lines.line;
      int len = lines.length;
      boolean newline = lines.newline;
      boolean tooLong = lines.tooLong;
      lineNo++;
      JournalAnchor head = new JournalAnchor(prevSeq, prevHash);
      if (!newline) {
        return new Result(Status.TORN_TAIL, lineNo - 1, lineNo, "the last line is incomplete (no newline): "
            + "the writer stopped in the middle of an append, as in a crash; not a sign of tampering", head, offset);
      }
      if (tooLong) {
        return tampered(lineNo, "longer than " + MAX_LINE_BYTES + " bytes; no journal line is", head, offset);
      }
      if (!JournalFormat.ownHashMatches(buf, len)) {
        return tampered(lineNo, "its content does not match its own hash: the line was edited", head, offset);
      }
      JournalFormat.Parsed parsed;
      try {
        parsed = JournalFormat.parse(buf, len);
      } catch (IOException e) {
        return tampered(lineNo, "not a journal line (" + e.getMessage() + ")", head, offset);
      }
      long expectedSeq = prevSeq + 1;
      if (!parsed.prev().equals(prevHash)) {
        String why;
        if (parsed.seq() > expectedSeq) {
          why = "its sequence number is " + parsed.seq() + " but " + expectedSeq + " was expected: "
              + (parsed.seq() - expectedSeq) + " line(s) are missing here (deleted, or moved further down)";
        } else if (parsed.seq() < expectedSeq) {
          why = "its sequence number is " + parsed.seq() + " but " + expectedSeq + " was expected: a line was "
              + "inserted here or lines were reordered";
        } else if (lineNo == 1) {
          why = "the first line does not start the chain: lines before it were removed or replaced";
        } else {
          why = "its prev hash does not match line " + (lineNo - 1) + ": line " + (lineNo - 1)
              + " was rewritten (its own hash recomputed) or replaced";
        }
        return tampered(lineNo, why, head, offset);
      }
      if (parsed.seq() != expectedSeq) {
        return tampered(lineNo, "its sequence number is " + parsed.seq() + " but " + expectedSeq
            + " was expected, although it chains to the line before: the line was rewritten", head, offset);
      }
      if (lineNo == 1 && !parsed.event().type().equals(JournalFormat.CREATED_TYPE)) {
        return tampered(lineNo, "the first line is not the journal's " + JournalFormat.CREATED_TYPE + " line",
            head, offset);
      }
      prevHash = JournalFormat.sha256(buf, 0, len);
      prevSeq = parsed.seq();
      offset += len + 1;
      if (anchor != null && prevSeq == anchor.seq()) {
        if (!prevHash.equals(anchor.hash())) {
          return tampered(lineNo, "the anchor " + anchor + " does not match this line (hash " + prevHash
              + "): the journal was rewritten from here on", new JournalAnchor(prevSeq - 1, head.hash()), offset - len - 1);
        }
        anchorSeen = true;
      }
      sink.accept(parsed.event());
    }
    JournalAnchor head = new JournalAnchor(prevSeq, prevHash);
    if (!anchorSeen) {
      // anchorSeen starts false only with an anchor
      return tampered(lineNo + 1, "the journal ends at sequence number " + prevSeq + " but the anchor " + anchor
          + " says it reached " + Objects.requireNonNull(anchor).seq() + ": lines were cut from the end", head, offset);
    }
    return new Result(Status.INTACT, lineNo, null, null, head, offset);
  }

  /** Splits a stream into lines at newline bytes, reading it in large chunks. */
  private static final class Lines {
    private final InputStream in;
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int limit;
    private boolean eof;
    byte[] line = new byte[4096];
    int length;
    boolean newline;
    boolean tooLong;

    Lines(InputStream in) {
      this.in = in;
    }

    /** @return whether a line (possibly without newline, possibly empty) was read */
    boolean next() throws IOException {
      length = 0;
      newline = false;
      tooLong = false;
      boolean any = false;
      while (true) {
        if (pos == limit) {
          if (eof) {
            return any;
          }
          int n = in.read(chunk);
          if (n < 0) {
            eof = true;
            return any;
          }
          pos = 0;
          limit = n;
          continue;
        }
        any = true;
        int start = pos;
        while (pos < limit && chunk[pos] != '\n') {
          pos++;
        }
        append(start, pos - start);
        if (pos < limit) {
          pos++;
          newline = true;
          return true;
        }
      }
    }

    private void append(int from, int n) {
      if (tooLong || length + n > MAX_LINE_BYTES) {
        tooLong = true;
        return;
      }
      if (length + n > line.length) {
        line = java.util.Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, Math.max(line.length * 2, length + n)));
      }
      System.arraycopy(chunk, from, line, length, n);
      length += n;
    }
  }

  private static Result tampered(long line, String reason, JournalAnchor head, long offset) {
    return new Result(Status.TAMPERED, line - 1, line, reason, head, offset);
  }
}
