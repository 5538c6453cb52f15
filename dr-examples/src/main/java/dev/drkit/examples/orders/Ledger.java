package dev.drkit.examples.orders;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The clients' record of every write a site acknowledged: the ground truth against which lost
 * writes (the measured RPO) are counted. Thread-safe, append-only.
 */
public final class Ledger {
  /**
   * One acknowledged write.
   *
   * @param id the order's id
   * @param ackedAt when the client received the acknowledgement
   * @param site the site that acknowledged it
   * @param epoch the epoch it was written under
   */
  public record Entry(String id, Instant ackedAt, String site, long epoch) {
    /** Validates. */
    public Entry {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(ackedAt, "ackedAt");
      Objects.requireNonNull(site, "site");
    }
  }

  /**
   * The acknowledged writes a site is missing.
   *
   * @param missing the missing entries, oldest first
   * @param window the time between the oldest and the newest missing acknowledgement (zero for
   *     none or one)
   */
  public record Loss(List<Entry> missing, Duration window) {
    /** Validates and copies. */
    public Loss {
      missing = List.copyOf(missing);
      Objects.requireNonNull(window, "window");
    }

    /** @return how many acknowledged writes are missing */
    public int count() {
      return missing.size();
    }

    /** @return the oldest missing acknowledgement, if any */
    public Optional<Instant> from() {
      return missing.isEmpty() ? Optional.empty() : Optional.of(missing.get(0).ackedAt());
    }

    /** @return the newest missing acknowledgement, if any */
    public Optional<Instant> to() {
      return missing.isEmpty() ? Optional.empty() : Optional.of(missing.get(missing.size() - 1).ackedAt());
    }
  }

  private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();

  /** Creates an empty ledger. */
  public Ledger() {}

  /** @param entry an acknowledged write */
  public void record(Entry entry) {
    entries.add(Objects.requireNonNull(entry, "entry"));
  }

  /** @return every acknowledged write so far, in acknowledgement order */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>(entries);
    out.sort(Comparator.comparing(Entry::ackedAt));
    return out;
  }

  /** @return how many writes were acknowledged */
  public int size() {
    return entries.size();
  }

  /**
   * @param present the ids a site holds
   * @param ackedBefore only writes acknowledged strictly before this instant count
   * @return the acknowledged writes that site is missing
   */
  public Loss missingFrom(Collection<String> present, Instant ackedBefore) {
    Set<String> ids = present instanceof Set<String> s ? s : new java.util.HashSet<>(present);
    List<Entry> missing = new ArrayList<>();
    for (Entry e : entries()) {
      if (e.ackedAt().isBefore(ackedBefore) && !ids.contains(e.id())) {
        missing.add(e);
      }
    }
    Duration window = missing.size() < 2 ? Duration.ZERO
        : Duration.between(missing.get(0).ackedAt(), missing.get(missing.size() - 1).ackedAt());
    return new Loss(missing, window);
  }

  /**
   * @param present the ids a site holds
   * @return the acknowledged writes that site is missing, whenever acknowledged
   */
  public Loss missingFrom(Collection<String> present) {
    return missingFrom(present, Instant.MAX);
  }
}
