package dev.drkit.validation.checks;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.validation.CheckFactory;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Plan type {@code jdbc}: runs a query against a DataSource the host registered by name. Without
 * {@code expected} it is healthy when the query runs; with it, the first column of the first row
 * must equal {@code expected} (numbers compare numerically, booleans case-insensitively, anything
 * else as text). The statement's query timeout is the step's timeout.
 *
 * <p>Parameters: {@code dataSource} (required, a registered name), {@code query} (required),
 * {@code expected} (optional string, number or boolean).
 */
public final class JdbcCheck implements HealthCheck {
  private final DataSource dataSource;
  private final String dataSourceName;
  private final String query;
  private final @Nullable Object expected;

  /**
   * @param dataSource the database
   * @param dataSourceName its name, for messages
   * @param query the SQL query; its first column of its first row is compared with {@code expected}
   * @param expected the expected first value, or null to only require the query to run
   */
  public JdbcCheck(DataSource dataSource, String dataSourceName, String query, @Nullable Object expected) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.dataSourceName = Objects.requireNonNull(dataSourceName, "dataSourceName");
    this.query = Objects.requireNonNull(query, "query");
    this.expected = expected;
  }

  /** @return the factory of plan type {@code jdbc} */
  public static CheckFactory factory() {
    return p -> {
      DataSource ds = p.requireResource("dataSource", DataSource.class, "DataSource");
      String name = p.has("dataSource") ? String.valueOf(p.rawValue("dataSource")) : "";
      String query = p.requireString("query");
      Object expected = p.rawValue("expected");
      if (expected != null && !(expected instanceof String || expected instanceof Number
          || expected instanceof Boolean)) {
        p.problem("expected", "must be a string, number or boolean");
      }
      p.ensureValid();
      return new JdbcCheck(Objects.requireNonNull(ds), name, query, expected);
    };
  }

  @Override
  public HealthResult check(CheckContext context) throws SQLException {
    long t0 = System.nanoTime();
    try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
      st.setQueryTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (context.timeout().toMillis() + 999) / 1000)));
      boolean hasResults = st.execute(query);
      double ms = (System.nanoTime() - t0) / 1e6;
      String what = String.format(Locale.ROOT, "query on %s ran in %.1f ms", dataSourceName, ms);
      if (expected == null) {
        return HealthResult.healthy(what).with("queryMillis", ms);
      }
      if (!hasResults) {
        return HealthResult.unhealthy(what + " but returned no result set; expected '" + expected + "'");
      }
      try (ResultSet rs = st.getResultSet()) {
        if (!rs.next()) {
          return HealthResult.unhealthy(what + " but returned no rows; expected '" + expected + "'");
        }
        String actual = rs.getString(1);
        if (matches(actual)) {
          return HealthResult.healthy(what + " and returned '" + actual + "' as expected").with("queryMillis", ms)
              .with("value", String.valueOf(actual));
        }
        return HealthResult.unhealthy(what + " but returned '" + actual + "'; expected '" + expected + "'")
            .with("queryMillis", ms).with("value", String.valueOf(actual));
      }
    }
  }

  private boolean matches(@Nullable String actual) {
    if (actual == null) {
      return false;
    }
    Object e = Objects.requireNonNull(expected);
    if (e instanceof Number) {
      try {
        return new BigDecimal(actual.trim()).compareTo(new BigDecimal(e.toString())) == 0;
      } catch (NumberFormatException ex) {
        return false;
      }
    }
    if (e instanceof Boolean) {
      return actual.trim().equalsIgnoreCase(e.toString());
    }
    return actual.equals(e.toString());
  }

  @Override
  public String toString() {
    return "jdbc " + dataSourceName;
  }
}
