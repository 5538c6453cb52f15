package dev.drkit.replication;

import dev.drkit.core.DrException;

/**
 * A reader asked a {@link ReplicationLog} for an offset it no longer holds (retention deleted it)
 * or never held. A replica that needs it must catch up from a snapshot first.
 */
public class OffsetUnavailableException extends DrException {
  private static final long serialVersionUID = 1L;
  private final long requestedOffset;
  private final long startOffset;

  /**
   * @param log the log's name
   * @param requestedOffset the offset asked for
   * @param startOffset the oldest offset the log holds
   */
  public OffsetUnavailableException(String log, long requestedOffset, long startOffset) {
    super("log " + log + " no longer holds offset " + requestedOffset + " (oldest is " + startOffset + ")");
    this.requestedOffset = requestedOffset;
    this.startOffset = startOffset;
  }

  /** @return the offset asked for */
  public long requestedOffset() {
    return requestedOffset;
  }

  /** @return the oldest offset the log holds */
  public long startOffset() {
    return startOffset;
  }
}
