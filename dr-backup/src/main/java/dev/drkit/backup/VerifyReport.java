package dev.drkit.backup;

import java.util.List;

/**
 * The outcome of {@link Repository#verify}.
 *
 * @param readData whether every blob was downloaded, decrypted, decompressed and re-hashed
 * @param snapshots snapshots checked
 * @param packs packs checked
 * @param blobs blobs checked
 * @param unindexedPacks packs no index mentions (left by an interrupted backup; reused by the next
 *     backup, removed by prune) - not damage
 * @param damage every problem found; empty when the repository is sound
 */
public record VerifyReport(boolean readData, long snapshots, long packs, long blobs, long unindexedPacks,
    List<Damage> damage) {
  /** Copies. */
  public VerifyReport {
    damage = List.copyOf(damage);
  }

  /** @return whether no damage was found */
  public boolean ok() {
    return damage.isEmpty();
  }
}
