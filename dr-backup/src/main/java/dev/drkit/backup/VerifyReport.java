package dev.drkit.backup;

import java.util.List;

/**
 * The outcome of {@link Repository#verify}.
 *
 * @param readData whether every blob was downloaded, decrypted, decompressed and re-hashed
 * @param snapshots snapshots checked
 * @param packs packs checked
 * @param blobs blobs checked
 * @param unindexedPacks packs no index mentions (left by an interrupted backup, or whose index file
 *     a prune paused past its lease removed): their headers serve; the next backup or prune indexes
 *     them, prune removes them when nothing uses them - not damage
 * @param staleIndexEntries index entries that name a pack which does not exist (left by a writer
 *     that lost its lease, or index files copied back by hand); not damage as long as another copy
 *     serves or nothing needs them; prune removes them
 * @param notices what is not damage but worth knowing, one sentence each naming the object: stale
 *     index entries, temporary files of unfinished writes past their lease, an interrupted prune
 * @param damage every problem found; empty when the repository is sound
 */
public record VerifyReport(boolean readData, long snapshots, long packs, long blobs, long unindexedPacks,
    long staleIndexEntries, List<String> notices, List<Damage> damage) {
  /** Copies. */
  public VerifyReport {
    notices = List.copyOf(notices);
    damage = List.copyOf(damage);
  }

  /**
   * A report without stale entries or notices.
   *
   * @param readData whether every blob was read
   * @param snapshots snapshots checked
   * @param packs packs checked
   * @param blobs blobs checked
   * @param unindexedPacks packs no index mentions
   * @param damage every problem found
   */
  public VerifyReport(boolean readData, long snapshots, long packs, long blobs, long unindexedPacks,
      List<Damage> damage) {
    this(readData, snapshots, packs, blobs, unindexedPacks, 0, List.of(), damage);
  }

  /** @return whether no damage was found (notices are not damage) */
  public boolean ok() {
    return damage.isEmpty();
  }
}
