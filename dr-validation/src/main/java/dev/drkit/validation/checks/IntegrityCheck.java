package dev.drkit.validation.checks;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.RangeDigestSource;
import dev.drkit.validation.CheckFactory;
import dev.drkit.validation.CheckParams;
import dev.drkit.validation.integrity.ComparisonResult;
import dev.drkit.validation.integrity.DirectoryEntrySource;
import dev.drkit.validation.integrity.JdbcTableEntrySource;
import dev.drkit.validation.integrity.MerkleComparator;
import dev.drkit.validation.integrity.MerkleIndex;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Plan type {@code integrity}: compares the primary's data with the backup's (or a restored copy's)
 * by Merkle digests with a {@link MerkleComparator}, exchanging only the differing ranges; healthy
 * when both hold exactly the same entries. The detail lists the differing keys; the data carries
 * {@code differences}, {@code differingRanges}, {@code bytesExchanged}, {@code dataBytes} and the
 * entry counts.
 *
 * <p>Parameters: {@code kind} ({@code registered}, the default: {@code primary} and {@code backup}
 * name registered {@link RangeDigestSource}s; {@code directory}: they are directory paths, with
 * optional {@code chunkSize} bytes, default 1 MiB; {@code jdbc}: they name registered DataSources,
 * with {@code table}, {@code keyColumns} (one or a list) and optional {@code columns}), plus
 * optional {@code leafBits} (0-24) and {@code maxReportedKeys} (default 100).
 */
public final class IntegrityCheck implements HealthCheck {
  private final RangeDigestSource primary;
  private final RangeDigestSource backup;
  private final MerkleComparator comparator;
  private final int maxReported;
  private final int chunkSize;

  /**
   * @param primary the primary side
   * @param backup the backup side or restored copy
   * @param comparator compares the two sides' Merkle trees and fetches the differing ranges
   * @param maxReported the most differing keys named in the detail
   * @param chunkSize for directory keys, the chunk size used to describe ranges; 0 otherwise
   */
  public IntegrityCheck(RangeDigestSource primary, RangeDigestSource backup, MerkleComparator comparator,
      int maxReported, int chunkSize) {
    this.primary = Objects.requireNonNull(primary, "primary");
    this.backup = Objects.requireNonNull(backup, "backup");
    this.comparator = Objects.requireNonNull(comparator, "comparator");
    this.maxReported = maxReported;
    this.chunkSize = chunkSize;
  }

  /** @return the factory of plan type {@code integrity} */
  public static CheckFactory factory() {
    return p -> {
      String kind = Objects.requireNonNull(p.optString("kind", "registered")).toLowerCase(Locale.ROOT);
      long leafBits = p.optLong("leafBits", -1, 0, 24);
      long maxReported = p.optLong("maxReportedKeys", 100, 1, 100_000);
      RangeDigestSource a = null;
      RangeDigestSource b = null;
      int chunk = 0;
      switch (kind) {
        case "registered" -> {
          a = p.requireResource("primary", RangeDigestSource.class, "digest source");
          b = p.requireResource("backup", RangeDigestSource.class, "digest source");
        }
        case "directory" -> {
          chunk = (int) p.optLong("chunkSize", 1 << 20, 1, 1 << 30);
          Path pa = path(p, "primary");
          Path pb = path(p, "backup");
          if (pa != null && pb != null) {
            a = new MerkleIndex(new DirectoryEntrySource(pa, chunk));
            b = new MerkleIndex(new DirectoryEntrySource(pb, chunk));
          }
        }
        case "jdbc" -> {
          DataSource da = p.requireResource("primary", DataSource.class, "DataSource");
          DataSource db = p.requireResource("backup", DataSource.class, "DataSource");
          String table = p.requireString("table");
          if (!table.isEmpty() && !JdbcTableEntrySource.IDENTIFIER.matcher(table).matches()) {
            p.problem("table", "must be a plain SQL identifier but was '" + table + "'");
          }
          List<String> keys = identifiers(p, "keyColumns", true);
          List<String> cols = identifiers(p, "columns", false);
          if (da != null && db != null && !p.hasProblems()) {
            a = new MerkleIndex(new JdbcTableEntrySource(da, table, keys, cols));
            b = new MerkleIndex(new JdbcTableEntrySource(db, table, keys, cols));
          }
        }
        default -> p.problem("kind", "must be registered, directory or jdbc but was '" + kind + "'");
      }
      p.ensureValid();
      MerkleComparator.Builder cb = MerkleComparator.builder().maxDifferences((int) maxReported);
      if (leafBits >= 0) {
        cb.leafBits((int) leafBits);
      }
      return new IntegrityCheck(Objects.requireNonNull(a), Objects.requireNonNull(b), cb.build(), (int) maxReported,
          chunk);
    };
  }

  private static @Nullable Path path(CheckParams p, String key) {
    String s = p.requireString(key);
    if (s.isEmpty()) {
      return null;
    }
    try {
      return Path.of(s);
    } catch (InvalidPathException e) {
      p.problem(key, "is not a valid path: " + e.getMessage());
      return null;
    }
  }

  private static List<String> identifiers(CheckParams p, String key, boolean required) {
    Object v = p.rawValue(key);
    if (v == null) {
      if (required) {
        p.problem(key, "is required for a 'jdbc' integrity check (the primary key column or columns)");
      }
      return List.of();
    }
    List<?> raw = v instanceof List<?> l ? l : List.of(v);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      Object o = raw.get(i);
      if (!(o instanceof String s) || !JdbcTableEntrySource.IDENTIFIER.matcher(s).matches()) {
        p.problem(v instanceof List ? key + "[" + i + "]" : key, "must be a plain SQL identifier but was '" + o + "'");
      } else {
        out.add(s);
      }
    }
    if (required && raw.isEmpty()) {
      p.problem(key, "must name at least one column");
    }
    return out;
  }

  @Override
  public HealthResult check(CheckContext context) throws Exception {
    ComparisonResult r = comparator.compare(primary, backup);
    String size = String.format(Locale.ROOT, "%d vs %d entries, %d bytes exchanged (%.4f%% of %d data bytes)",
        r.primary().entries(), r.backup().entries(), r.bytesExchanged(), 100 * r.fractionExchanged(),
        Math.max(r.primary().dataBytes(), r.backup().dataBytes()));
    HealthResult h;
    if (r.identical()) {
      h = HealthResult.healthy("primary and backup are identical: " + size);
    } else {
      List<String> shown = new ArrayList<>();
      for (ComparisonResult.Difference d : r.differences()) {
        if (shown.size() >= maxReported) {
          break;
        }
        shown.add((chunkSize > 0 ? DirectoryEntrySource.describeKey(d.key(), chunkSize) : d.key()) + " "
            + d.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '));
      }
      h = HealthResult.unhealthy(r.differences().size() + (r.truncated() ? "+" : "") + " differing key(s) in "
          + r.ranges().size() + " range(s): " + String.join(", ", shown) + "; " + size);
    }
    return h.with("differences", r.differences().stream().map(ComparisonResult.Difference::toString).toList())
        .with("differingRanges", r.ranges().stream().map(ComparisonResult.Range::toString).toList())
        .with("truncated", r.truncated())
        .with("bytesExchanged", r.bytesExchanged())
        .with("dataBytes", Math.max(r.primary().dataBytes(), r.backup().dataBytes()))
        .with("primaryEntries", r.primary().entries())
        .with("backupEntries", r.backup().entries());
  }

  @Override
  public String toString() {
    return "integrity " + primary + " vs " + backup;
  }
}
