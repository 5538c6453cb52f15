package dev.drkit.examples.orders;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * A {@link DataSource} on an {@link OrderSite}'s database for JDBC health checks
 * ({@link OrderSite#dataSource(Supplier)}): it resolves the site at each connection (the site a
 * check validates), hands out connections from the site's pool while the site runs, and fails with
 * {@link SQLException} while it is down; it never reopens a killed database, so a check sees a
 * dead site as dead.
 */
final class SiteDataSource implements DataSource {
  private final Supplier<OrderSite> site;

  /** @param site resolves the site at each connection */
  SiteDataSource(Supplier<OrderSite> site) {
    this.site = Objects.requireNonNull(site, "site");
  }

  @Override
  public Connection getConnection() throws SQLException {
    OrderSite s = site.get();
    try {
      return s.openConnection();
    } catch (SiteUnavailableException e) {
      throw new SQLException(e.getMessage(), e);
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return getConnection();
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("no parent logger");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("not a wrapper for " + iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  @Override
  public String toString() {
    return "DataSource{site " + site.get().name() + "}";
  }
}
