package dev.drkit.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which epoch wrote which offsets, like PostgreSQL's timeline history: entry {@code (e, s)} says
 * that epoch {@code e} started at offset {@code s} and ran until the next entry's start (or the end
 * of the log). Entries are strictly increasing in both epoch and start offset (a start may repeat
 * when an epoch wrote nothing).
 *
 * @param entries the entries, oldest first
 */
public record EpochHistory(List<Entry> entries) {

  /**
   * One epoch start.
   *
   * @param epoch the fencing epoch that started writing at {@code startOffset}
   * @param startOffset the first offset written (or to be written) in it
   */
  public record Entry(long epoch, long startOffset) {
    /** Validates. */
    public Entry {
      if (epoch < 0 || startOffset < 0) {
        throw new IllegalArgumentException("epoch history entry must be non-negative, was (" + epoch + ", "
            + startOffset + ")");
      }
    }
  }

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if the entries are not increasing
   */
  public EpochHistory {
    entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
    for (int i = 1; i < entries.size(); i++) {
      Entry a = entries.get(i - 1);
      Entry b = entries.get(i);
      if (b.epoch() <= a.epoch() || b.startOffset() < a.startOffset()) {
        throw new IllegalArgumentException("epoch history must increase: " + a + " then " + b);
      }
    }
  }

  /** @return an empty history */
  public static EpochHistory empty() {
    return new EpochHistory(List.of());
  }

  /** @return the newest epoch, or 0 when empty */
  public long latestEpoch() {
    return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).epoch();
  }

  /**
   * @param epoch the new epoch, not lower than the latest one
   * @param startOffset where it starts
   * @return a history with that entry added (no change if {@code epoch} is already the latest)
   * @throws IllegalArgumentException if it would not increase
   */
  public EpochHistory with(long epoch, long startOffset) {
    if (!entries.isEmpty() && latestEpoch() == epoch) {
      return this;
    }
    List<Entry> copy = new ArrayList<>(entries);
    copy.add(new Entry(epoch, startOffset));
    return new EpochHistory(copy);
  }

  /**
   * @param offset a log end
   * @return the history without entries that start after {@code offset}
   */
  public EpochHistory truncatedTo(long offset) {
    List<Entry> copy = new ArrayList<>();
    for (Entry e : entries) {
      if (e.startOffset() <= offset) {
        copy.add(e);
      }
    }
    return new EpochHistory(copy);
  }

  /**
   * @param epoch the epoch to look up
   * @return the entry of exactly that epoch, if this history has one
   */
  public Optional<Entry> find(long epoch) {
    return entries.stream().filter(e -> e.epoch() == epoch).findFirst();
  }

  /**
   * @param offset a log offset
   * @return the epoch that wrote it (of the entry with the largest start at or below it), {@code -1}
   *     if no entry starts at or below it
   */
  public long epochAt(long offset) {
    long e = -1;
    for (Entry en : entries) {
      if (en.startOffset() <= offset) {
        e = en.epoch();
      }
    }
    return e;
  }

  /**
   * @param epoch an epoch of this history
   * @param logEnd the offset after the last record of the log this history describes
   * @return the offset after the last record written in {@code epoch}
   */
  public long endOf(long epoch, long logEnd) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).epoch() == epoch) {
        return i + 1 < entries.size() ? Math.min(entries.get(i + 1).startOffset(), logEnd) : logEnd;
      }
    }
    throw new IllegalArgumentException("epoch " + epoch + " is not in history " + entries);
  }

  /**
   * Where the history of a {@code target} log (the old primary coming back) leaves the history of
   * the authoritative {@code source} log (the active site). Everything the target holds at or
   * after the returned offset is divergent and must be set aside; the target then catches up from
   * the source at that offset.
   *
   * @param target the target's history
   * @param targetEnd the offset after the target's last record
   * @param source the source's history
   * @param sourceEnd the offset after the source's last record
   * @return the first offset at which the two logs may differ ({@code <= targetEnd})
   */
  public static long divergenceOffset(EpochHistory target, long targetEnd, EpochHistory source, long sourceEnd) {
    List<Entry> t = target.entries();
    for (int i = t.size() - 1; i >= 0; i--) {
      Entry e = t.get(i);
      if (e.startOffset() >= targetEnd && i > 0) {
        continue;
      }
      Optional<Entry> inSource = source.find(e.epoch());
      if (inSource.isPresent()) {
        long tEnd = target.endOf(e.epoch(), targetEnd);
        long sEnd = source.endOf(e.epoch(), sourceEnd);
        return Math.min(Math.min(tEnd, sEnd), targetEnd);
      }
    }
    return 0;
  }
}
