package dev.drkit.examples.orders;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.Repository;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.PreparingRebuildTarget;
import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import dev.drkit.examples.FileTrees;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The orders example's {@link RebuildTarget}, the reference implementation: a snapshot (an H2
 * {@code orders.sql} dump backed up by dr-backup) is restored from the repository into a staging
 * directory and the site's database is re-seeded from it ({@link OrderSite#seedFrom}: the site comes
 * up fenced, at the dump's epoch); replication-log records (orders as JSON) are decoded by
 * {@link #prepare} (on the replay's read-ahead thread, see {@link PreparingRebuildTarget}) and
 * applied in bulk by {@link #applyPrepared}, one transaction and one insert statement per batch,
 * leaving orders already present as they are, so applying twice is harmless. Both are idempotent,
 * as the failover engine requires.
 *
 * <p>The bulk apply writes the site's {@code orders} and {@code site_meta} tables itself, through
 * {@link OrderSite#dataSource()}, rather than order by order through
 * {@link OrderSite#applyReplicated(List, long, long)}: a lookup and an insert per order is many
 * times slower (benchmarks/RESULTS.md). It checks the site's epoch and role as
 * {@code applyReplicated} does; during a rebuild nothing else writes to the fenced site.
 */
public final class OrderRebuildTarget implements PreparingRebuildTarget<OrderRebuildTarget.Decoded> {
  private static final String FROM_ARRAYS = " SELECT t.id, t.customer, t.amount_cents, t.created_at, t.epoch, t.site"
      + " FROM UNNEST(CAST(? AS VARCHAR(64) ARRAY), CAST(? AS VARCHAR(200) ARRAY), CAST(? AS BIGINT ARRAY),"
      + " CAST(? AS TIMESTAMP(6) WITH TIME ZONE ARRAY), CAST(? AS BIGINT ARRAY), CAST(? AS VARCHAR(64) ARRAY))"
      + " WITH ORDINALITY AS t(id, customer, amount_cents, created_at, epoch, site, n)";
  /**
   * Inserts every order of the batch; fails (and H2 undoes the statement) when one id is present.
   * Package-private for the store's own ceiling, measured without the replay around it
   * ({@code StoreCeilingMeasurement}).
   */
  static final String INSERT_ALL = "INSERT INTO orders (id, customer, amount_cents, created_at, epoch, site)"
      + FROM_ARRAYS + " ORDER BY t.n";
  /** Inserts the orders of the batch not yet present. */
  private static final String INSERT_MISSING = "INSERT INTO orders (id, customer, amount_cents, created_at, epoch, site)"
      + FROM_ARRAYS + " WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = t.id) ORDER BY t.n";
  /** H2's SQL state of a unique-index violation. */
  private static final String DUPLICATE_KEY = "23505";
  /**
   * The identity sequence's cache for the bulk load: H2 stores the whole database each time a
   * sequence's cache runs out, which with the example's schema (a cache of 4,096) is once per
   * batch; gaps in {@code seq} after a crash are harmless (it only orders rows).
   */
  private static final String SEQUENCE_CACHE = "ALTER TABLE orders ALTER COLUMN seq SET CACHE 65536";
  private static final String RECORD_APPLIED = "MERGE INTO site_meta (k, v) KEY (k) VALUES ('applied', ?)";

  private final Map<Site, OrderSite> sites;
  private final Supplier<Repository> repository;
  private final Path staging;
  private final Supplier<Optional<Instant>> lastAcknowledged;
  private BeforeCommit beforeCommit = lastOffset -> { };

  /**
   * @param primary the primary site
   * @param backup the backup site
   * @param repository opens the backup repository (closed after each load)
   * @param staging a directory snapshots are restored into before seeding
   * @param lastAcknowledged when the last write acknowledged to a client was made, if known (for
   *     the RPO of a rebuild without a log)
   */
  public OrderRebuildTarget(OrderSite primary, OrderSite backup, Supplier<Repository> repository, Path staging,
      Supplier<Optional<Instant>> lastAcknowledged) {
    this.sites = Map.of(Site.PRIMARY, Objects.requireNonNull(primary, "primary"), Site.BACKUP,
        Objects.requireNonNull(backup, "backup"));
    this.repository = Objects.requireNonNull(repository, "repository");
    this.staging = Objects.requireNonNull(staging, "staging");
    this.lastAcknowledged = Objects.requireNonNull(lastAcknowledged, "lastAcknowledged");
  }

  @Override
  public void loadSnapshot(String service, Site site, SnapshotRef snapshot, long epoch) throws IOException {
    OrderSite s = sites.get(site);
    Path dir = staging.resolve("rebuild-" + snapshot.id().substring(0, Math.min(12, snapshot.id().length())));
    FileTrees.deleteTree(dir);
    try (Repository r = repository.get()) {
      r.restore(snapshot.id(), dir);
    }
    if (s.isRunning()) {
      s.stop();
    }
    s.seedFrom(dir.resolve("orders.sql"));
    s.start();
    try (Connection c = s.dataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute(SEQUENCE_CACHE);
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + s.name() + ": could not prepare the replay of snapshot "
          + snapshot.id() + ": " + e.getMessage(), e);
    }
    FileTrees.deleteTree(dir);
  }

  /**
   * A batch decoded by {@link #prepare}: its runs of records of one epoch, each with its orders
   * de-duplicated by id (the first occurrence wins, as applied one by one) and its last offset.
   * Opaque to everything but this target.
   */
  public static final class Decoded {
    private final List<Run> runs;

    private Decoded(List<Run> runs) {
      this.runs = runs;
    }
  }

  /** Orders of one epoch, decoded, de-duplicated by id; the offset of the run's last record. */
  private static final class Run {
    final Map<String, Order> orders = new LinkedHashMap<>();
    final long epoch;
    final long lastOffset;
    final int records;
    @Nullable Instant newest;

    Run(long epoch, long lastOffset, int records) {
      this.epoch = epoch;
      this.lastOffset = lastOffset;
      this.records = records;
    }
  }

  /**
   * Decodes the batch (on the replay's read-ahead thread) with a streaming JSON parser and splits it
   * into runs of records of one epoch.
   *
   * @throws IOException naming the offset when a record is not an order
   */
  @Override
  public Decoded prepare(String service, List<ReplayRecord> records) throws IOException {
    List<Run> runs = new ArrayList<>();
    int from = 0;
    while (from < records.size()) {
      long runEpoch = records.get(from).epoch();
      int to = from + 1;
      while (to < records.size() && records.get(to).epoch() == runEpoch) {
        to++;
      }
      Run run = new Run(runEpoch, records.get(to - 1).offset(), to - from);
      for (ReplayRecord r : records.subList(from, to)) {
        Order o = OrderJson.decode(r.payload(), r.offset());
        run.orders.putIfAbsent(o.id(), o);
        run.newest = run.newest == null || o.createdAt().isAfter(run.newest) ? o.createdAt() : run.newest;
      }
      runs.add(run);
      from = to;
    }
    return new Decoded(runs);
  }

  /**
   * Applies the batch in one transaction per run of records of one epoch, with the offset of the
   * run's last record recorded in the same transaction (all of a run or none of it survives a
   * crash; a resumed rebuild reloads the snapshot and replays, so nothing is applied twice). Each
   * run is one {@code INSERT ... SELECT ... FROM UNNEST(arrays)} statement inserting the run's orders
   * in log order. When one of them is already on the site (a snapshot taken a little after its log
   * position, an order replicated twice) that statement fails on the unique id and H2 undoes it, and
   * the run is written again with {@code WHERE NOT EXISTS}: orders present are left as they are (the
   * same insert-if-missing rule as {@link OrderSite#applyReplicated(List, long, long)}, which does it
   * order by order). Either way the run ends as the insert-if-missing statement alone would leave it;
   * the common case of a run with no order present skips the per-order probe.
   *
   * @throws StaleEpochException when a record's epoch is older than the site's
   * @throws SiteUnavailableException when the site is down or is itself primary
   */
  @Override
  public void applyPrepared(String service, Site site, List<ReplayRecord> records, Decoded prepared, long epoch) {
    OrderSite s = sites.get(site);
    for (Run run : prepared.runs) {
      applyRun(s, run);
    }
  }

  private void applyRun(OrderSite s, Run run) {
    if (run.epoch < s.epoch()) {
      throw new StaleEpochException("replica " + s.name(), run.epoch, s.epoch());
    }
    if (s.role() == SiteRole.PRIMARY) {
      throw new SiteUnavailableException("site " + s.name() + " is primary at epoch " + s.epoch()
          + " and does not apply replicated writes");
    }
    try (Connection c = s.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try {
        try {
          insert(c, INSERT_ALL, run.orders.values());
        } catch (SQLException e) {
          if (!DUPLICATE_KEY.equals(e.getSQLState())) {
            throw e;
          }
          // an order of the run is present: the failed statement left nothing, write the missing ones
          insert(c, INSERT_MISSING, run.orders.values());
        }
        try (PreparedStatement ps = c.prepareStatement(RECORD_APPLIED)) {
          ps.setString(1, Long.toString(run.lastOffset));
          ps.executeUpdate();
        }
        beforeCommit.run(run.lastOffset);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + s.name() + ": could not apply " + run.records
          + " replicated orders up to offset " + run.lastOffset + ": " + e.getMessage(), e);
    }
    if (run.newest != null) {
      s.noteCommit(run.newest);
    }
  }

  /**
   * Writes the orders with one statement, the six columns bound as arrays.
   *
   * @param c a connection (its transaction is the caller's)
   * @param sql {@link #INSERT_ALL} or the insert-if-missing form
   * @param orders the orders, in log order
   * @throws SQLException as H2 throws it (a present id fails {@link #INSERT_ALL} with state 23505)
   */
  static void insert(Connection c, String sql, Collection<Order> orders) throws SQLException {
    int n = orders.size();
    String[] ids = new String[n];
    String[] customers = new String[n];
    Long[] amounts = new Long[n];
    OffsetDateTime[] created = new OffsetDateTime[n];
    Long[] epochs = new Long[n];
    String[] origins = new String[n];
    int i = 0;
    for (Order o : orders) {
      ids[i] = o.id();
      customers[i] = o.customer();
      amounts[i] = o.amountCents();
      created[i] = o.createdAt().atOffset(ZoneOffset.UTC);
      epochs[i] = o.epoch();
      origins[i] = o.site();
      i++;
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, ids);
      ps.setObject(2, customers);
      ps.setObject(3, amounts);
      ps.setObject(4, created);
      ps.setObject(5, epochs);
      ps.setObject(6, origins);
      ps.executeUpdate();
    }
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * Called inside each run's transaction after its orders and offset were written, before the
   * commit (tests crash the site here).
   */
  @FunctionalInterface
  interface BeforeCommit {
    void run(long lastOffset);
  }

  /**
   * @param hook called before each run's commit with the offset being recorded
   * @return this target
   */
  OrderRebuildTarget beforeCommit(BeforeCommit hook) {
    this.beforeCommit = Objects.requireNonNull(hook, "hook");
    return this;
  }

  @Override
  public Optional<Instant> lastAcknowledgedWrite(String service) {
    return lastAcknowledged.get();
  }

  /**
   * Decodes an order as the sites write it to the log (Jackson's form of {@link Order}: six fields,
   * {@code createdAt} as decimal epoch seconds): first in one pass over the bytes when the payload
   * is exactly that form ({@link #exact}), else with a streaming parser, field by field, without
   * databinding; any other shape (an ISO-8601 time, unknown fields) is handed to Jackson's
   * databinding, so all three accept the same records.
   */
  static final class OrderJson {
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private OrderJson() {}

    /**
     * @param payload a log record's payload
     * @param offset its offset, named in the error
     * @return the order
     * @throws IOException naming the offset when the payload is not an order
     */
    static Order decode(byte[] payload, long offset) throws IOException {
      try {
        Order o = exact(payload);
        if (o == null) {
          o = stream(payload);
        }
        return o != null ? o : JSON.readValue(payload, Order.class);
      } catch (IOException | IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
        // a time beyond what an Instant holds is a DateTimeException, in any of the three readers
        throw new IOException("log record at offset " + offset + " is not an order: " + e.getMessage(), e);
      }
    }

    /** The sites' form of an order, as Jackson writes it: these keys, in this order, around the values. */
    private static final byte[] ID_KEY = ascii("{\"id\":\"");
    private static final byte[] CUSTOMER_KEY = ascii("\",\"customer\":\"");
    private static final byte[] AMOUNT_KEY = ascii("\",\"amountCents\":");
    private static final byte[] CREATED_KEY = ascii(",\"createdAt\":");
    private static final byte[] EPOCH_KEY = ascii(",\"epoch\":");
    private static final byte[] SITE_KEY = ascii(",\"site\":\"");
    private static final long[] NANO_SCALE = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

    private static byte[] ascii(String s) {
      return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads exactly the form the sites write (the six fields in Jackson's order, ASCII strings
     * without escapes, non-negative integers, {@code createdAt} as non-negative decimal seconds with
     * at most nine decimals, no white space) with one pass over the bytes.
     *
     * @return the order, or null when the payload differs from that form in any way
     */
    static @Nullable Order exact(byte[] b) {
      int p = key(b, 0, ID_KEY);
      int e = p < 0 ? -1 : stringEnd(b, p);
      if (e < 0) {
        return null;
      }
      String id = new String(b, p, e - p, StandardCharsets.ISO_8859_1);
      p = key(b, e, CUSTOMER_KEY);
      e = p < 0 ? -1 : stringEnd(b, p);
      if (e < 0) {
        return null;
      }
      String customer = new String(b, p, e - p, StandardCharsets.ISO_8859_1);
      p = key(b, e, AMOUNT_KEY);
      long amount = p < 0 ? -1 : digits(b, p);
      if (amount < 0) {
        return null;
      }
      p = key(b, p + length(amount), CREATED_KEY);
      long seconds = p < 0 ? -1 : digits(b, p);
      if (seconds < 0) {
        return null;
      }
      p += length(seconds);
      if (p >= b.length || b[p] != '.') {
        return null;
      }
      int f = ++p;
      long fraction = 0;
      while (p < b.length && b[p] >= '0' && b[p] <= '9' && p - f < 9) {
        fraction = fraction * 10 + (b[p++] - '0');
      }
      if (p == f || (p < b.length && b[p] >= '0' && b[p] <= '9')) {
        return null; // no decimals, or more than nine
      }
      int nanos = (int) (fraction * NANO_SCALE[p - f]);
      p = key(b, p, EPOCH_KEY);
      long epoch = p < 0 ? -1 : digits(b, p);
      if (epoch < 0) {
        return null;
      }
      p = key(b, p + length(epoch), SITE_KEY);
      e = p < 0 ? -1 : stringEnd(b, p);
      if (e < 0 || e + 2 != b.length || b[e + 1] != '}') {
        return null;
      }
      String site = new String(b, p, e - p, StandardCharsets.ISO_8859_1);
      return new Order(id, customer, amount, Instant.ofEpochSecond(seconds, nanos), epoch, site);
    }

    /** @return the position after {@code key} if {@code b} holds it at {@code at}, else -1 */
    private static int key(byte[] b, int at, byte[] key) {
      if (at < 0 || b.length - at < key.length) {
        return -1;
      }
      for (int i = 0; i < key.length; i++) {
        if (b[at + i] != key[i]) {
          return -1;
        }
      }
      return at + key.length;
    }

    /** @return the position of the closing quote of an ASCII string without escapes from {@code at}, else -1 */
    private static int stringEnd(byte[] b, int at) {
      for (int i = at; i < b.length; i++) {
        byte c = b[i];
        if (c == '"') {
          return i;
        }
        if (c == '\\' || c < 0x20) { // an escape, a control character or a non-ASCII byte (negative)
          return -1;
        }
      }
      return -1;
    }

    /**
     * @return the non-negative integer written in JSON's form at {@code at} (no sign, no leading
     *     zero), else -1 (also when it has more than 18 digits)
     */
    private static long digits(byte[] b, int at) {
      long v = 0;
      int i = at;
      while (i < b.length && b[i] >= '0' && b[i] <= '9' && i - at < 18) {
        v = v * 10 + (b[i++] - '0');
      }
      boolean none = i == at;
      boolean leadingZero = i - at > 1 && b[at] == '0';
      boolean tooLong = i < b.length && b[i] >= '0' && b[i] <= '9';
      return none || leadingZero || tooLong ? -1 : v;
    }

    /** @return how many digits {@code v} (non-negative) has */
    private static int length(long v) {
      int n = 1;
      for (long x = v; x >= 10; x /= 10) {
        n++;
      }
      return n;
    }

    /** @return the order, or null when the payload has a shape this fast path does not read */
    private static @Nullable Order stream(byte[] payload) throws IOException {
      String id = null;
      String customer = null;
      String site = null;
      Instant createdAt = null;
      long amount = 0;
      long epoch = 0;
      int seen = 0;
      try (JsonParser p = FACTORY.createParser(payload)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          return null;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken t = p.nextToken();
          switch (field) {
            case "id" -> id = t == JsonToken.VALUE_STRING ? p.getText() : null;
            case "customer" -> customer = t == JsonToken.VALUE_STRING ? p.getText() : null;
            case "site" -> site = t == JsonToken.VALUE_STRING ? p.getText() : null;
            case "amountCents", "epoch" -> {
              if (t != JsonToken.VALUE_NUMBER_INT) {
                return null;
              }
              if (field.equals("epoch")) {
                epoch = p.getLongValue();
              } else {
                amount = p.getLongValue();
              }
            }
            case "createdAt" -> {
              if (t != JsonToken.VALUE_NUMBER_FLOAT) {
                return null;
              }
              BigDecimal secs = p.getDecimalValue();
              if (secs.scale() > 9) {
                return null; // finer than nanoseconds: databinding decides
              }
              long whole = secs.longValue();
              int nanos = secs.subtract(BigDecimal.valueOf(whole)).movePointRight(9).intValueExact();
              createdAt = Instant.ofEpochSecond(whole, nanos);
            }
            default -> {
              return null;
            }
          }
          seen++;
        }
      }
      if (seen != 6 || id == null || customer == null || site == null || createdAt == null) {
        return null;
      }
      return new Order(id, customer, amount, createdAt, epoch, site);
    }
  }

}
