package dev.drkit.backup;

import java.io.IOException;
import java.util.Objects;

/**
 * Thrown by a {@link dev.drkit.backup.spi.SourceEntry.ContentOpener} (or the stream it opened) to
 * say that this entry cannot be captured and should be left out of the snapshot with the given
 * reason. Any other {@link IOException} of an entry's content also skips it (classified by
 * {@link SkippedEntry#of(byte[], IOException)}); an unchecked exception fails the whole backup.
 */
public class EntrySkippedException extends IOException {
  private static final long serialVersionUID = 1L;
  private final SkippedEntry.Reason reason;

  /**
   * @param reason why the entry is skipped
   * @param message what happened, shown to the user
   */
  public EntrySkippedException(SkippedEntry.Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** @return why the entry is skipped */
  public SkippedEntry.Reason reason() {
    return reason;
  }
}
