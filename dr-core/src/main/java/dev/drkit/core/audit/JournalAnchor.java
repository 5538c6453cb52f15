package dev.drkit.core.audit;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A point of a journal's chain: the sequence number of a line and that line's SHA-256. Keep the
 * latest anchor somewhere the journal's writer cannot rewrite (a log, a ticket, another system);
 * {@link AuditJournalVerifier#verify(java.nio.file.Path, JournalAnchor)} then also detects lines cut
 * from the end, which a hash chain alone cannot.
 *
 * @param seq the line's sequence number ({@code -1} for the start of an empty journal)
 * @param hash the SHA-256 of the whole line (without its newline), 64 lowercase hex digits
 */
public record JournalAnchor(long seq, String hash) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  /** The value of {@code prev} on the first line. */
  public static final String GENESIS_HASH = "0".repeat(64);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when {@code seq < -1} or {@code hash} is not 64 lowercase hex digits
   */
  public JournalAnchor {
    Objects.requireNonNull(hash, "hash");
    if (seq < -1) {
      throw new IllegalArgumentException("seq must be >= -1 but was " + seq);
    }
    if (!HEX.matcher(hash).matches()) {
      throw new IllegalArgumentException("hash must be 64 lowercase hex digits but was '" + hash + "'");
    }
  }

  /** @return the anchor before the first line */
  public static JournalAnchor genesis() {
    return new JournalAnchor(-1, GENESIS_HASH);
  }

  /** @return {@code seq:hash}, the form {@link #parse(String)} reads */
  @Override
  public String toString() {
    return seq + ":" + hash;
  }

  /**
   * @param text {@code seq:hash} as printed by {@link #toString()}
   * @return the anchor
   * @throws IllegalArgumentException when malformed
   */
  public static JournalAnchor parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("an anchor is written seq:hash but was '" + text + "'");
    }
    try {
      return new JournalAnchor(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("an anchor is written seq:hash but was '" + text + "'", e);
    }
  }
}
