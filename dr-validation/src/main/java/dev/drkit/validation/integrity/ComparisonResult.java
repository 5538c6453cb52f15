package dev.drkit.validation.integrity;

import dev.drkit.core.spi.RangeDigestSource.Summary;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The outcome of comparing two sides with a {@link MerkleComparator}.
 *
 * @param leafBits the tree geometry used
 * @param primary what the primary side scanned
 * @param backup what the backup side scanned
 * @param ranges the differing ranges, at leaf level unless {@code truncated}
 * @param differences the differing keys, sorted by key (at most the comparator's limit)
 * @param truncated whether the comparator stopped early (too many differing ranges or keys), so
 *     {@code ranges} may be coarser than leaves and {@code differences} incomplete
 * @param bytesExchanged the bytes the two sides sent and received (requests and responses)
 * @param roundTrips the number of requests made, to both sides
 * @param duration how long the comparison took
 */
public record ComparisonResult(int leafBits, Summary primary, Summary backup, List<Range> ranges,
    List<Difference> differences, boolean truncated, long bytesExchanged, int roundTrips, Duration duration) {

  /** Validates and copies. */
  public ComparisonResult {
    Objects.requireNonNull(primary, "primary");
    Objects.requireNonNull(backup, "backup");
    ranges = List.copyOf(ranges);
    differences = List.copyOf(differences);
    Objects.requireNonNull(duration, "duration");
  }

  /** @return whether the two sides hold exactly the same entries */
  public boolean identical() {
    return ranges.isEmpty();
  }

  /** @return bytes exchanged as a fraction of the larger side's data size */
  public double fractionExchanged() {
    return (double) bytesExchanged / Math.max(1, Math.max(primary.dataBytes(), backup.dataBytes()));
  }

  /** How a key differs. */
  public enum Kind {
    /** On the primary, absent from the backup. */
    MISSING_ON_BACKUP,
    /** On the backup, absent from the primary. */
    MISSING_ON_PRIMARY,
    /** On both, with different values. */
    CONTENT_DIFFERS
  }

  /**
   * One differing key.
   *
   * @param key the key that differs between the two sides
   * @param kind how it differs
   */
  public record Difference(String key, Kind kind) {
    /** Validates. */
    public Difference {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(kind, "kind");
    }

    @Override
    public String toString() {
      return key + " " + kind;
    }
  }

  /**
   * A range of the key-hash space whose digests differ: one node of the tree.
   *
   * @param level the node's level (the leaf level unless the comparison was truncated)
   * @param index the node's index in its level
   * @param firstLeaf the first leaf it covers
   * @param lastLeaf the last leaf it covers
   */
  public record Range(int level, long index, long firstLeaf, long lastLeaf) {
    @Override
    public String toString() {
      return firstLeaf == lastLeaf ? String.format(Locale.ROOT, "leaf %d", firstLeaf)
          : String.format(Locale.ROOT, "leaves %d-%d", firstLeaf, lastLeaf);
    }
  }
}
