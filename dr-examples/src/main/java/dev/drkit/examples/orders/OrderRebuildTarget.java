package dev.drkit.examples.orders;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.Repository;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.RebuildTarget;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SnapshotRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The orders example's {@link RebuildTarget}, the reference implementation: a snapshot (an H2
 * {@code orders.sql} dump backed up by dr-backup) is restored from the repository into a staging
 * directory and the site's database is re-seeded from it ({@link OrderSite#seedFrom}: the site comes
 * up fenced, at the dump's epoch); replication-log records (orders as JSON) are applied in bulk,
 * one transaction and one insert-if-missing statement per batch (see {@link #apply}), which skips
 * orders already present, so applying twice is harmless. Both are idempotent, as the failover
 * engine requires.
 *
 * <p>The bulk apply writes the site's {@code orders} and {@code site_meta} tables itself, through
 * {@link OrderSite#dataSource()}, rather than order by order through
 * {@link OrderSite#applyReplicated(List, long, long)}: that is what lets a rebuild replay hundreds of
 * thousands of records a second (benchmarks/RESULTS.md). It checks the site's epoch and role as
 * {@code applyReplicated} does; during a rebuild nothing else writes to the fenced site.
 */
public final class OrderRebuildTarget implements RebuildTarget {
  private static final String INSERT_MISSING = "INSERT INTO orders (id, customer, amount_cents, created_at, epoch, site)"
      + " SELECT t.id, t.customer, t.amount_cents, t.created_at, t.epoch, t.site FROM UNNEST("
      + "CAST(? AS VARCHAR(64) ARRAY), CAST(? AS VARCHAR(200) ARRAY), CAST(? AS BIGINT ARRAY),"
      + " CAST(? AS TIMESTAMP(6) WITH TIME ZONE ARRAY), CAST(? AS BIGINT ARRAY), CAST(? AS VARCHAR(64) ARRAY))"
      + " WITH ORDINALITY AS t(id, customer, amount_cents, created_at, epoch, site, n)"
      + " WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = t.id) ORDER BY t.n";
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
    deleteTree(dir);
    try (Repository r = repository.get()) {
      r.restore(snapshot.id(), dir);
    }
    if (s.isRunning()) {
      s.stop();
    }
    s.seedFrom(dir.resolve("orders.sql"));
    s.start();
    deleteTree(dir);
  }

  /**
   * Applies the batch in one transaction per run of records of one epoch, with the offset of the
   * run's last record recorded in the same transaction (all of a run or none of it survives a
   * crash; a resumed rebuild reloads the snapshot and replays, so nothing is applied twice). Each
   * run is one {@code INSERT ... SELECT ... FROM UNNEST(arrays) WHERE NOT EXISTS} statement: the
   * orders not yet on the site are inserted in log order, those present are left as they are (the
   * same insert-if-missing rule as {@link OrderSite#applyReplicated(List, long, long)}, which does it
   * order by order). Records are decoded with a streaming JSON parser.
   *
   * @throws StaleEpochException when a record's epoch is older than the site's
   * @throws SiteUnavailableException when the site is down or is itself primary
   * @throws IOException when a record is not an order
   */
  @Override
  public void apply(String service, Site site, List<ReplayRecord> records, long epoch) throws IOException {
    OrderSite s = sites.get(site);
    int from = 0;
    while (from < records.size()) {
      long runEpoch = records.get(from).epoch();
      int to = from + 1;
      while (to < records.size() && records.get(to).epoch() == runEpoch) {
        to++;
      }
      applyRun(s, records.subList(from, to), runEpoch);
      from = to;
    }
  }

  /** Orders of one epoch, decoded, de-duplicated by id (the first occurrence wins, as applied one by one). */
  private static final class Run {
    final Map<String, Order> orders = new LinkedHashMap<>();
    @Nullable Instant newest;
  }

  private void applyRun(OrderSite s, List<ReplayRecord> records, long runEpoch) throws IOException {
    if (runEpoch < s.epoch()) {
      throw new StaleEpochException("replica " + s.name(), runEpoch, s.epoch());
    }
    if (s.role() == SiteRole.PRIMARY) {
      throw new SiteUnavailableException("site " + s.name() + " is primary at epoch " + s.epoch()
          + " and does not apply replicated writes");
    }
    Run run = new Run();
    for (ReplayRecord r : records) {
      Order o = OrderJson.decode(r.payload(), r.offset());
      run.orders.putIfAbsent(o.id(), o);
      run.newest = run.newest == null || o.createdAt().isAfter(run.newest) ? o.createdAt() : run.newest;
    }
    long lastOffset = records.get(records.size() - 1).offset();
    try (Connection c = s.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try {
        insertMissing(c, run.orders.values());
        try (PreparedStatement ps = c.prepareStatement(RECORD_APPLIED)) {
          ps.setString(1, Long.toString(lastOffset));
          ps.executeUpdate();
        }
        beforeCommit.run(lastOffset);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + s.name() + ": could not apply " + records.size()
          + " replicated orders up to offset " + lastOffset + ": " + e.getMessage(), e);
    }
    if (run.newest != null) {
      s.noteCommit(run.newest);
    }
  }

  private static void insertMissing(Connection c, Collection<Order> orders) throws SQLException {
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
    try (PreparedStatement ps = c.prepareStatement(INSERT_MISSING)) {
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
   * {@code createdAt} as decimal epoch seconds) with a streaming parser, field by field, without
   * databinding; any other shape (an ISO-8601 time, unknown fields) is handed to Jackson's
   * databinding, so both accept the same records.
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
        Order o = stream(payload);
        return o != null ? o : JSON.readValue(payload, Order.class);
      } catch (IOException | IllegalArgumentException | ArithmeticException e) {
        throw new IOException("log record at offset " + offset + " is not an order: " + e.getMessage(), e);
      }
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

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
