package dev.drkit.examples.orders;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The SQL of an {@link OrderSite}'s H2 database, in one place: the schema ({@code orders}, the
 * {@code quarantine} where divergent writes are set aside, and {@code site_meta} holding the
 * site's epoch, role and applied replication offset) and the statements that read and write it.
 * Every method runs inside the caller's connection (and transaction); none of them knows about
 * roles, epochs or locks, which {@link OrderSite} enforces around them.
 */
final class OrderTable {
  private static final String COLUMNS = "id, customer, amount_cents, created_at, epoch, site";

  private OrderTable() {}

  /** What {@link #insertMissing} inserted: how many orders, and the newest one's time. */
  record Inserted(int count, @Nullable Instant newest) {}

  /** What {@link #createSchema} found stored: the site's epoch and role before this start. */
  record Meta(long epoch, SiteRole role) {}

  /**
   * Creates the tables on first start.
   *
   * @param c a connection
   * @return the epoch and role stored by the previous run (0 and REPLICA on a new database)
   * @throws SQLException when the database fails
   */
  static Meta createSchema(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS orders (id VARCHAR(64) PRIMARY KEY, customer VARCHAR(200) NOT NULL,"
          + " amount_cents BIGINT NOT NULL, created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, epoch BIGINT NOT NULL,"
          + " site VARCHAR(64) NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY (CACHE 4096))");
      st.execute("CREATE TABLE IF NOT EXISTS quarantine (id VARCHAR(64) PRIMARY KEY, customer VARCHAR(200) NOT NULL,"
          + " amount_cents BIGINT NOT NULL, created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, epoch BIGINT NOT NULL,"
          + " site VARCHAR(64) NOT NULL, quarantined_at TIMESTAMP(6) WITH TIME ZONE NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS site_meta (k VARCHAR(32) PRIMARY KEY, v VARCHAR(64) NOT NULL)");
      long storedEpoch = 0;
      SiteRole storedRole = SiteRole.REPLICA;
      try (ResultSet rs = st.executeQuery("SELECT k, v FROM site_meta")) {
        while (rs.next()) {
          if (rs.getString(1).equals("epoch")) {
            storedEpoch = Long.parseLong(rs.getString(2));
          } else if (rs.getString(1).equals("role")) {
            storedRole = SiteRole.valueOf(rs.getString(2));
          }
        }
      }
      return new Meta(storedEpoch, storedRole);
    }
  }

  /** @return the commit time of the newest order, or null when there is none */
  static @Nullable Instant newestCommit(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(created_at) FROM orders")) {
      rs.next();
      Timestamp t = rs.getTimestamp(1);
      return t == null ? null : t.toInstant();
    }
  }

  /** @return how many orders the live table holds */
  static long count(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM orders")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Records the site's epoch and role. */
  static void writeMeta(Connection c, long epoch, SiteRole role) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("MERGE INTO site_meta (k, v) KEY (k) VALUES (?, ?)")) {
      ps.setString(1, "epoch");
      ps.setString(2, Long.toString(epoch));
      ps.addBatch();
      ps.setString(1, "role");
      ps.setString(2, role.name());
      ps.addBatch();
      ps.executeBatch();
    }
  }

  /** Records the applied replication-log offset ({@code -1}: none). */
  static void recordApplied(Connection c, long offset) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("MERGE INTO site_meta (k, v) KEY (k) VALUES ('applied', ?)")) {
      ps.setString(1, Long.toString(offset));
      ps.executeUpdate();
    }
  }

  /** @return the applied replication-log offset, or {@code -1} when none is recorded */
  static long appliedOffset(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT v FROM site_meta WHERE k = 'applied'")) {
      return rs.next() ? Long.parseLong(rs.getString(1)) : -1;
    }
  }

  /** Inserts one order (fails on a duplicate id). */
  static void insert(Connection c, Order o) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO orders (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
      bindOrder(ps, o);
      ps.executeUpdate();
    }
  }

  /** Binds an order's six columns (id, customer, amount_cents, created_at, epoch, site) to parameters 1-6. */
  private static void bindOrder(PreparedStatement ps, Order o) throws SQLException {
    ps.setString(1, o.id());
    ps.setString(2, o.customer());
    ps.setLong(3, o.amountCents());
    ps.setObject(4, o.createdAt().atOffset(ZoneOffset.UTC));
    ps.setLong(5, o.epoch());
    ps.setString(6, o.site());
  }

  /** @return the order with this id in the live table, if any */
  static Optional<Order> find(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM orders WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  private static Order read(ResultSet rs) throws SQLException {
    return new Order(rs.getString(1), rs.getString(2), rs.getLong(3),
        rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getLong(5), rs.getString(6));
  }

  /** @return every order of the live table, in the order this site stored them */
  static List<Order> orders(Connection c) throws SQLException {
    return list(c, "SELECT " + COLUMNS + " FROM orders ORDER BY seq");
  }

  /** @return every order set aside in {@code quarantine}, by id */
  static List<Order> quarantined(Connection c) throws SQLException {
    return list(c, "SELECT " + COLUMNS + " FROM quarantine ORDER BY id");
  }

  private static List<Order> list(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      List<Order> out = new ArrayList<>();
      while (rs.next()) {
        out.add(read(rs));
      }
      return out;
    }
  }

  /** @return the ids of the live table */
  static Set<String> ids(Connection c) throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM orders")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  /**
   * Inserts the orders not yet here (orders already present are left as they are).
   */
  static Inserted insertMissing(Connection c, List<Order> orders) throws SQLException {
    int fresh = 0;
    Instant newest = null;
    for (Order o : orders) {
      if (find(c, o.id()).isEmpty()) {
        try {
          insert(c, o);
        } catch (SQLException dup) {
          if (!"23505".equals(dup.getSQLState())) {
            throw dup;
          }
          // inserted concurrently by another path (resync copy and replication): already there;
          // H2 rolls back only the failed statement
          continue;
        }
        fresh++;
        newest = newest == null || o.createdAt().isAfter(newest) ? o.createdAt() : newest;
      }
    }
    return new Inserted(fresh, newest);
  }

  /**
   * Deletes orders from the live table.
   *
   * @return the orders deleted (ids not present are ignored)
   */
  static List<Order> delete(Connection c, Set<String> ids) throws SQLException {
    List<Order> deleted = new ArrayList<>();
    try (PreparedStatement del = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
      for (String id : ids) {
        Optional<Order> o = find(c, id);
        if (o.isEmpty()) {
          continue;
        }
        del.setString(1, id);
        del.executeUpdate();
        deleted.add(o.get());
      }
    }
    return deleted;
  }

  /**
   * Moves orders from {@code orders} to {@code quarantine}.
   *
   * @param at the time recorded as {@code quarantined_at}
   * @return the orders moved (ids not present are ignored)
   */
  static List<Order> moveToQuarantine(Connection c, Set<String> ids, Instant at) throws SQLException {
    List<Order> moved = new ArrayList<>();
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO quarantine (" + COLUMNS
        + ", quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement del = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
      for (String id : ids) {
        Optional<Order> o = find(c, id);
        if (o.isEmpty()) {
          continue;
        }
        Order order = o.get();
        bindOrder(ins, order);
        ins.setObject(7, at.atOffset(ZoneOffset.UTC));
        ins.executeUpdate();
        del.setString(1, id);
        del.executeUpdate();
        moved.add(order);
      }
    }
    return moved;
  }
}
