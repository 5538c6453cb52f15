package dev.drkit.replication.spi;

import java.util.List;
import java.util.Objects;

/**
 * What a primary tells a backup that holds records the primary does not (an old primary
 * returning as a replica): the primary's epoch, its log end and its epoch history, from which the
 * backup finds where the two histories diverge (see {@code docs/replication-protocol.md}, REWIND).
 *
 * @param epoch the primary's epoch
 * @param nextOffset the offset after the primary's last record
 * @param epochs the primary's epoch history, oldest first
 */
public record PrimaryHistory(long epoch, long nextOffset, List<EpochStart> epochs) {
  /**
   * One line of an epoch history: epoch {@code epoch} wrote from {@code startOffset} on.
   *
   * @param epoch the fencing epoch that started writing at {@code startOffset}
   * @param startOffset its first offset
   */
  public record EpochStart(long epoch, long startOffset) {}

  /** Copies the list. */
  public PrimaryHistory {
    epochs = List.copyOf(Objects.requireNonNull(epochs, "epochs"));
  }
}
