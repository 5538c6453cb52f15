package dev.drkit.examples.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.StaleEpochException;
import dev.drkit.spi.Site;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.h2.jdbcx.JdbcConnectionPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site of the example "orders" service: a real H2 database in its own directory behind a
 * small HTTP API on 127.0.0.1 (an ephemeral port).
 *
 * <ul>
 *   <li>{@code POST /orders} with {@code {"id":..,"customer":..,"amountCents":..}} stores an order
 *       (201), only when the site is {@link SiteRole#PRIMARY}; a request carrying an
 *       {@code X-Drkit-Epoch} header other than the site's epoch is refused (409), so a stale
 *       router cannot write to a fenced site.</li>
 *   <li>{@code GET /orders/{id}} returns one order (200) or 404.</li>
 *   <li>{@code GET /health} returns the site's name, role, epoch and order count (200) when the
 *       database answers.</li>
 * </ul>
 *
 * <p>The site stores its epoch and role in its own database ({@code site_meta}), so fencing
 * survives a restart; a site that restarts after a crash never comes back as primary: it comes
 * back {@link SiteRole#FENCED} at its stored epoch and waits to be resynced and demoted.
 * {@link #kill()} stops it abruptly (the server closes, the database is shut down without a
 * checkpoint, as in a power loss). Thread-safe.
 */
public final class OrderSite implements AutoCloseable {
  /** The HTTP header carrying a fencing epoch (requests) or the epoch a write was taken at (responses). */
  public static final String EPOCH_HEADER = "X-Drkit-Epoch";
  /** The HTTP response header naming the site that served a request. */
  public static final String SITE_HEADER = "X-Drkit-Site";

  private static final Logger LOG = LoggerFactory.getLogger(OrderSite.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final Site site;
  private final Path dir;
  private final Clock clock;
  private final Object lifecycle = new Object();
  /** Held shared by every write (check of role and epoch, then insert), exclusively by role changes. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock roleLock =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile WriteHook writeHook = WriteHook.none();
  private volatile @Nullable Running running;
  private volatile SiteRole role = SiteRole.REPLICA;
  private volatile long epoch;
  private volatile @Nullable Instant lastCommit;
  private volatile @Nullable URI lastUri;
  private final List<Runnable> killListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Open while the site runs freely; a paused site's handlers and replicated applies wait on it. */
  private volatile java.util.concurrent.@Nullable CountDownLatch pausedUntil;
  private volatile java.util.function.Consumer<Order> acceptListener = o -> { };

  private record Running(HttpServer server, ExecutorService executor, JdbcConnectionPool pool, URI uri) {}

  /**
   * @param name the site's name, used in responses and logs ({@code primary}, {@code backup})
   * @param site which of the service's two sites this is
   * @param dir the directory holding the site's database (created if absent)
   * @param clock the clock stamping orders
   */
  public OrderSite(String name, Site site, Path dir, Clock clock) {
    this.name = Objects.requireNonNull(name, "name");
    this.site = Objects.requireNonNull(site, "site");
    this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath();
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** @return the site's name */
  public String name() {
    return name;
  }

  /** @return which of the service's sites this is */
  public Site site() {
    return site;
  }

  /** @return the directory of the site's database */
  public Path directory() {
    return dir;
  }

  /** @return the JDBC URL of the site's embedded database (only meaningful while it runs) */
  public String jdbcUrl() {
    // retry: re-opens the file when a thread is interrupted mid-I/O (a validation check cut off
    // at its timeout) instead of closing the whole database.
    return "jdbc:h2:retry:" + dir.resolve("orders") + ";WRITE_DELAY=0;IFEXISTS=FALSE";
  }

  /** @param hook called after each committed client write, before it is acknowledged */
  public void writeHook(WriteHook hook) {
    this.writeHook = Objects.requireNonNull(hook, "hook");
  }

  /**
   * Opens the database (creating the schema on first start) and starts the HTTP server. A site that
   * was {@link SiteRole#PRIMARY} when it stopped comes back {@link SiteRole#FENCED}: it never
   * resumes writing on its own.
   *
   * @return this site
   * @throws SiteUnavailableException when the database or the server cannot start
   */
  public OrderSite start() {
    synchronized (lifecycle) {
      if (running != null) {
        return this;
      }
      JdbcConnectionPool pool = null;
      try {
        Files.createDirectories(dir);
        pool = JdbcConnectionPool.create(jdbcUrl(), "sa", "");
        pool.setMaxConnections(16);
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
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
          SiteRole startRole = storedRole == SiteRole.PRIMARY ? SiteRole.FENCED : storedRole;
          writeMeta(c, storedEpoch, startRole);
          this.epoch = storedEpoch;
          this.role = startRole;
          try (ResultSet rs = st.executeQuery("SELECT MAX(created_at) FROM orders")) {
            rs.next();
            Timestamp t = rs.getTimestamp(1);
            this.lastCommit = t == null ? null : t.toInstant();
          }
        }
        HttpServer server = HttpServers.loopback(64);
        ExecutorService executor = Executors.newFixedThreadPool(6, r -> {
          Thread t = new Thread(r, "orders-" + name + "-http");
          t.setDaemon(true);
          return t;
        });
        server.setExecutor(executor);
        server.createContext("/orders", this::handleOrders);
        server.createContext("/health", this::handleHealth);
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        running = new Running(server, executor, pool, uri);
        lastUri = uri;
        LOG.info("site {} started at {} (role {}, epoch {}, db {})", name, uri, role, epoch, dir);
        return this;
      } catch (IOException | SQLException | RuntimeException e) {
        if (pool != null) {
          pool.dispose();
        }
        throw new SiteUnavailableException("site " + name + " could not start from " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  /** @return whether the site is running (its server listens and its database is open) */
  public boolean isRunning() {
    return running != null;
  }

  /**
   * @return the base URI of the site's HTTP API
   * @throws SiteUnavailableException when the site is not running
   */
  public URI uri() {
    return requireRunning("uri").uri();
  }

  /**
   * @return the address the site listened on when it last ran (a dead site's address refuses
   *     connections, as a dead server's would)
   * @throws SiteUnavailableException when the site never ran
   */
  public URI lastUri() {
    URI u = lastUri;
    if (u == null) {
      throw new SiteUnavailableException("site " + name + " never ran");
    }
    return u;
  }

  /**
   * Registers something that dies with the site's process (a log shipper, a replication
   * session): it runs on every {@link #kill()}, before the database is shut down.
   *
   * @param listener the action
   */
  public void onKill(Runnable listener) {
    killListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Pauses the site as a stopped process would be ({@code SIGSTOP}): from now on its HTTP handlers
   * (client writes, reads and health probes) and replicated applies wait at their entry until
   * {@link #resume()}; nothing is refused and nothing times out on the site's side. Role changes
   * made in-process (by the failover actions) still go through, as a storage-level fence would.
   * Idempotent.
   */
  public void pause() {
    synchronized (lifecycle) {
      if (pausedUntil == null) {
        pausedUntil = new java.util.concurrent.CountDownLatch(1);
        LOG.warn("site {} paused", name);
      }
    }
  }

  /** Lets a {@link #pause() paused} site run again: every waiting request continues. Idempotent. */
  public void resume() {
    synchronized (lifecycle) {
      java.util.concurrent.CountDownLatch l = pausedUntil;
      pausedUntil = null;
      if (l != null) {
        l.countDown();
        LOG.warn("site {} resumed", name);
      }
    }
  }

  /** @return whether the site is paused */
  public boolean isPaused() {
    return pausedUntil != null;
  }

  private void awaitResumed() {
    java.util.concurrent.CountDownLatch l = pausedUntil;
    if (l != null) {
      try {
        l.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Registers the site's acceptance log: called for every client write the site accepts (committed
   * as primary and handed to replication), before it is acknowledged, while the site still holds
   * its role; the order carries the epoch it was accepted under. Must be quick and must not throw.
   *
   * @param listener the listener (replaces the previous one)
   */
  public void onAccept(java.util.function.Consumer<Order> listener) {
    this.acceptListener = Objects.requireNonNull(listener, "listener");
  }

  /** @return the site's current role */
  public SiteRole role() {
    return role;
  }

  /** @return the site's current fencing epoch */
  public long epoch() {
    return epoch;
  }

  /** @return when the newest order on this site was committed (by whichever site accepted it), if any */
  public Optional<Instant> lastCommit() {
    return Optional.ofNullable(lastCommit);
  }

  /**
   * Stops the site abruptly, as in a crash or power loss: the HTTP server closes at once (in-flight
   * requests fail) and the database is shut down without a checkpoint.
   */
  public void kill() {
    synchronized (lifecycle) {
      Running r = running;
      if (r == null) {
        return;
      }
      running = null;
      r.server().stop(0);
      // No interrupts: in-flight requests fail against the dead database on their own.
      r.executor().shutdown();
      for (Runnable l : killListeners) {
        try {
          l.run();
        } catch (RuntimeException e) {
          LOG.warn("site {}: kill listener failed", name, e);
        }
      }
      // Hold one connection so that disposing the pool (which closes idle connections) cannot close
      // the database cleanly, and so that no new connection can reopen it; then pull the plug.
      try (Connection c = connection(r); Statement st = c.createStatement()) {
        r.pool().dispose();
        st.execute("SHUTDOWN IMMEDIATELY");
      } catch (SQLException | SiteUnavailableException e) {
        LOG.debug("site {}: SHUTDOWN IMMEDIATELY ended with {}", name, e.getMessage());
      }
      r.pool().dispose();
      LOG.warn("site {} killed (server stopped, database shut down without checkpoint)", name);
    }
  }

  /** Stops the site cleanly (server, then database with a checkpoint). Idempotent. */
  public void stop() {
    synchronized (lifecycle) {
      Running r = running;
      if (r == null) {
        return;
      }
      running = null;
      r.server().stop(0);
      r.executor().shutdown();
      try {
        r.executor().awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try (Connection c = connection(r); Statement st = c.createStatement()) {
        st.execute("SHUTDOWN");
      } catch (SQLException e) {
        LOG.debug("site {}: SHUTDOWN ended with {}", name, e.getMessage());
      }
      r.pool().dispose();
      LOG.info("site {} stopped", name);
    }
  }

  @Override
  public void close() {
    stop();
  }

  /**
   * Makes this site the writable primary at {@code newEpoch}. Idempotent for the same epoch.
   *
   * @param newEpoch the epoch to serve under
   * @throws StaleEpochException when the site is already at a newer epoch
   * @throws SiteUnavailableException when the site is not running
   */
  public void promote(long newEpoch) {
    changeRole(newEpoch, SiteRole.PRIMARY);
  }

  /**
   * Fences this site at {@code newEpoch}: from now on it refuses client writes and replicated
   * writes from any older epoch. Idempotent for the same epoch.
   *
   * @param newEpoch the epoch
   * @throws StaleEpochException when the site is already at a newer epoch
   * @throws SiteUnavailableException when the site is not running
   */
  public void fence(long newEpoch) {
    changeRole(newEpoch, SiteRole.FENCED);
  }

  /**
   * Fences this site at {@code newEpoch} like {@link #fence(long)}, but waits at most {@code wait}
   * for the client writes in flight (each holds the site until replication has taken it).
   *
   * @param newEpoch the epoch
   * @param wait how long to wait for the writes in flight
   * @return whether the site is fenced; false when writes in flight still held it after
   *     {@code wait} (nothing changed)
   * @throws StaleEpochException when the site is already at a newer epoch
   * @throws SiteUnavailableException when the site is not running
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean tryFence(long newEpoch, Duration wait) throws InterruptedException {
    if (!roleLock.writeLock().tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    try {
      changeRole(newEpoch, SiteRole.FENCED);
      return true;
    } finally {
      roleLock.writeLock().unlock();
    }
  }

  /**
   * Makes this site a replica at {@code newEpoch}: it refuses client writes and applies replicated
   * writes of that epoch. Idempotent for the same epoch.
   *
   * @param newEpoch the epoch
   * @throws StaleEpochException when the site is already at a newer epoch
   * @throws SiteUnavailableException when the site is not running
   */
  public void demote(long newEpoch) {
    changeRole(newEpoch, SiteRole.REPLICA);
  }

  private void changeRole(long newEpoch, SiteRole newRole) {
    roleLock.writeLock().lock();
    try {
      Running r = requireRunning(newRole.name().toLowerCase(java.util.Locale.ROOT));
      if (newEpoch < epoch) {
        throw new StaleEpochException("site " + name, newEpoch, epoch);
      }
      if (newEpoch == epoch && role == newRole) {
        return;
      }
      try (Connection c = connection(r)) {
        writeMeta(c, newEpoch, newRole);
      } catch (SQLException e) {
        throw new SiteUnavailableException("site " + name + ": could not record role " + newRole + " at epoch "
            + newEpoch + ": " + e.getMessage(), e);
      }
      LOG.info("site {}: {} at epoch {} -> {} at epoch {}", name, role, epoch, newRole, newEpoch);
      epoch = newEpoch;
      role = newRole;
    } finally {
      roleLock.writeLock().unlock();
    }
  }

  private static void writeMeta(Connection c, long epoch, SiteRole role) throws SQLException {
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

  /**
   * Takes a client write: only a {@link SiteRole#PRIMARY} does, and only when the caller's epoch (if
   * any) is the site's. The order is committed, handed to the {@link WriteHook} (replication) and
   * then returned; re-sending an id that exists returns the stored order unchanged (idempotent).
   *
   * @param id the order's id
   * @param customer the customer
   * @param amountCents the amount
   * @param callerEpoch the epoch the caller (router) acts under, or null
   * @return the stored order
   * @throws StaleEpochException when {@code callerEpoch} differs from the site's epoch
   * @throws SiteUnavailableException when the site is down or not primary, or the hook failed
   * @throws IllegalArgumentException for an invalid id, customer or amount
   */
  public Order accept(String id, String customer, long amountCents, @Nullable Long callerEpoch) {
    Running r = requireRunning("accept order " + id);
    Order order;
    // The read lock is held until the write is handed to replication: a fence (write lock) returns
    // only once every write this site will acknowledge is in its replication log, so draining the
    // log after the fence loses nothing.
    roleLock.readLock().lock();
    try {
      if (callerEpoch != null && callerEpoch != epoch) {
        throw new StaleEpochException("site " + name, callerEpoch, epoch);
      }
      if (role != SiteRole.PRIMARY) {
        throw new SiteUnavailableException("site " + name + " is " + role + " at epoch " + epoch
            + " and does not accept writes (order " + id + ")");
      }
      order = new Order(id, customer, amountCents, clock.instant(), epoch, name);
      try (Connection c = connection(r)) {
        Optional<Order> existing = find(c, id);
        if (existing.isPresent()) {
          return existing.get();
        }
        insert(c, order);
        noteCommit(order.createdAt());
      } catch (SQLException ex) {
        throw new SiteUnavailableException("site " + name + ": could not store order " + id + ": " + ex.getMessage(), ex);
      }
      try {
        writeHook.afterCommit(order);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new SiteUnavailableException("site " + name + ": interrupted replicating order " + id, ex);
      } catch (Exception ex) {
        throw new SiteUnavailableException("site " + name + ": order " + id + " committed locally but not replicated: "
            + ex.getMessage(), ex);
      }
      acceptListener.accept(order);
    } finally {
      roleLock.readLock().unlock();
    }
    return order;
  }

  /**
   * Applies a write replicated from the primary. Idempotent: an order already present is left as
   * it is.
   *
   * @param order the order as the primary stored it
   * @param writerEpoch the epoch of the primary that shipped it
   * @return whether the order was new on this site
   * @throws StaleEpochException when {@code writerEpoch} is older than this site's epoch
   * @throws SiteUnavailableException when the site is down or is itself primary
   */
  public boolean applyReplicated(Order order, long writerEpoch) {
    return applyReplicated(order, writerEpoch, -1);
  }

  /**
   * Applies a write replicated from the primary and, in the same transaction, records the
   * replication-log offset it came from (see {@link #appliedOffset()}), so that applying is exactly
   * once across crashes. Idempotent.
   *
   * @param order the order as the primary stored it
   * @param writerEpoch the epoch of the primary that shipped it
   * @param offset the record's offset in the replication log, or {@code -1} when not from a log
   * @return whether the order was new on this site
   * @throws StaleEpochException when {@code writerEpoch} is older than this site's epoch
   * @throws SiteUnavailableException when the site is down or is itself primary
   */
  public boolean applyReplicated(Order order, long writerEpoch, long offset) {
    Running r = requireRunning("apply replicated order " + order.id());
    roleLock.readLock().lock();
    try {
      requireReplicaOf(writerEpoch, "apply replicated writes (order " + order.id() + ")");
      Inserted done = transaction(r, "could not apply order " + order.id(), c -> {
        Inserted i = insertMissing(c, List.of(order));
        if (offset >= 0) {
          recordApplied(c, offset);
        }
        return i;
      });
      noteInserted(done);
      return done.count() == 1;
    } finally {
      roleLock.readLock().unlock();
    }
  }

  /**
   * Applies a batch of replicated writes in one transaction (orders already present are left as
   * they are) and records {@code lastOffset} with them when it is {@code >= 0}.
   *
   * @param orders the orders, in the source's order
   * @param writerEpoch the epoch of the source that shipped them
   * @param lastOffset the replication-log offset of the last one, or {@code -1}
   * @return how many were new on this site
   * @throws StaleEpochException when {@code writerEpoch} is older than this site's epoch
   * @throws SiteUnavailableException when the site is down or is itself primary
   */
  public int applyReplicated(List<Order> orders, long writerEpoch, long lastOffset) {
    awaitResumed();
    Running r = requireRunning("apply " + orders.size() + " replicated orders");
    roleLock.readLock().lock();
    try {
      requireReplicaOf(writerEpoch, "apply replicated writes");
      Inserted done = transaction(r, "could not apply " + orders.size() + " replicated orders", c -> {
        Inserted i = insertMissing(c, orders);
        if (lastOffset >= 0) {
          recordApplied(c, lastOffset);
        }
        return i;
      });
      noteInserted(done);
      return done.count();
    } finally {
      roleLock.readLock().unlock();
    }
  }

  /**
   * @return the replication-log offset of the last record applied with
   *     {@link #applyReplicated(Order, long, long)}, or {@code -1} when none
   * @throws SiteUnavailableException when the site is down
   */
  public long appliedOffset() {
    Running r = requireRunning("read applied offset");
    try (Connection c = connection(r); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT v FROM site_meta WHERE k = 'applied'")) {
      return rs.next() ? Long.parseLong(rs.getString(1)) : -1;
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": could not read applied offset: " + e.getMessage(), e);
    }
  }

  /**
   * Forgets the applied replication offset (after the site was resynced by other means, or when it
   * starts following a different log).
   *
   * @param offset the offset to record, {@code -1} for none
   * @throws SiteUnavailableException when the site is down
   */
  public void resetAppliedOffset(long offset) {
    Running r = requireRunning("reset applied offset");
    try (Connection c = connection(r);
        PreparedStatement ps = c.prepareStatement("MERGE INTO site_meta (k, v) KEY (k) VALUES ('applied', ?)")) {
      ps.setString(1, Long.toString(offset));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": could not reset applied offset: " + e.getMessage(), e);
    }
  }

  /**
   * @return a {@link javax.sql.DataSource} on this site's database, for JDBC health checks: it
   *     hands out connections while the site runs and fails with {@link SQLException} while it is
   *     down (it never reopens a killed database)
   */
  public javax.sql.DataSource dataSource() {
    return dataSource(() -> this);
  }

  /**
   * @param site resolves the site at each connection (for example the site a check validates)
   * @return a {@link javax.sql.DataSource} on that site's database, failing with
   *     {@link SQLException} while it is down
   */
  public static javax.sql.DataSource dataSource(java.util.function.Supplier<OrderSite> site) {
    return new SiteDataSource(Objects.requireNonNull(site, "site"));
  }

  private static final class SiteDataSource implements javax.sql.DataSource {
    private final java.util.function.Supplier<OrderSite> site;

    SiteDataSource(java.util.function.Supplier<OrderSite> site) {
      this.site = site;
    }

    @Override
    public Connection getConnection() throws SQLException {
      OrderSite s = site.get();
      Running r = s.running;
      if (r == null) {
        throw new SQLException("site " + s.name + " is down");
      }
      try {
        return s.connection(r);
      } catch (SiteUnavailableException e) {
        throw new SQLException(e.getMessage(), e);
      }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public java.io.PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
      throw new java.sql.SQLFeatureNotSupportedException("no parent logger");
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
      return "DataSource{site " + site.get().name + "}";
    }
  }

  void noteCommit(Instant t) {
    synchronized (this) {
      Instant prev = lastCommit;
      if (prev == null || t.isAfter(prev)) {
        lastCommit = t;
      }
    }
  }

  private static void insert(Connection c, Order o) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO orders (id, customer, amount_cents, created_at, epoch, site) VALUES (?, ?, ?, ?, ?, ?)")) {
      bindOrder(ps, o);
      ps.executeUpdate();
    }
  }

  /** Binds an order's six columns (id, customer, amount_cents, created_at, epoch, site) to parameters 1-6. */
  private static void bindOrder(PreparedStatement ps, Order o) throws SQLException {
    ps.setString(1, o.id());
    ps.setString(2, o.customer());
    ps.setLong(3, o.amountCents());
    ps.setObject(4, o.createdAt().atOffset(java.time.ZoneOffset.UTC));
    ps.setLong(5, o.epoch());
    ps.setString(6, o.site());
  }

  private static Optional<Order> find(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, customer, amount_cents, created_at, epoch, site FROM orders WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  private static Order read(ResultSet rs) throws SQLException {
    return new Order(rs.getString(1), rs.getString(2), rs.getLong(3),
        rs.getObject(4, java.time.OffsetDateTime.class).toInstant(), rs.getLong(5), rs.getString(6));
  }

  /**
   * @param id an order id
   * @return the order, if stored here
   * @throws SiteUnavailableException when the site is down
   */
  public Optional<Order> get(String id) {
    Running r = requireRunning("read order " + id);
    try (Connection c = connection(r)) {
      return find(c, id);
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": could not read order " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * @return every order stored here, in the order this site stored them
   * @throws SiteUnavailableException when the site is down
   */
  public List<Order> orders() {
    return query("SELECT id, customer, amount_cents, created_at, epoch, site FROM orders ORDER BY seq");
  }

  /**
   * @return the orders set aside by {@link #quarantine(Set)}
   * @throws SiteUnavailableException when the site is down
   */
  public List<Order> quarantined() {
    return query("SELECT id, customer, amount_cents, created_at, epoch, site FROM quarantine ORDER BY id");
  }

  private List<Order> query(String sql) {
    Running r = requireRunning("list orders");
    try (Connection c = connection(r); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      List<Order> out = new ArrayList<>();
      while (rs.next()) {
        out.add(read(rs));
      }
      return out;
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": could not list orders: " + e.getMessage(), e);
    }
  }

  /**
   * @return the ids of every order stored here
   * @throws SiteUnavailableException when the site is down
   */
  public Set<String> orderIds() {
    Set<String> ids = new LinkedHashSet<>();
    for (Order o : orders()) {
      ids.add(o.id());
    }
    return ids;
  }

  /**
   * Moves the given orders out of the live table into {@code quarantine}, in one transaction, so
   * that divergent writes are set aside rather than lost. Only a non-primary site may do this.
   *
   * @param ids the orders to set aside (ids not present are ignored)
   * @return the orders moved
   * @throws SiteUnavailableException when the site is down or primary
   */
  public List<Order> quarantine(Set<String> ids) {
    Running r = requireRunning("quarantine orders");
    if (role == SiteRole.PRIMARY) {
      throw new SiteUnavailableException("site " + name + " is primary at epoch " + epoch
          + "; its orders cannot be quarantined");
    }
    return transaction(r, "could not quarantine orders", c -> moveToQuarantine(c, ids));
  }

  /** SQL that {@link #transaction} runs in one transaction. */
  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction on the running database: commits what it did, or rolls
   * it back on an SQL error, reported as {@code site NAME: FAILURE: cause}.
   */
  private <T> T transaction(Running r, String failure, SqlWork<T> work) {
    try (Connection c = connection(r)) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": " + failure + ": " + e.getMessage(), e);
    }
  }

  /** What {@link #insertMissing} inserted: how many orders, and the newest one's time. */
  private record Inserted(int count, @Nullable Instant newest) {}

  /**
   * Inserts, inside the caller's transaction, the orders not yet here (orders already present are
   * left as they are).
   */
  private static Inserted insertMissing(Connection c, List<Order> orders) throws SQLException {
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

  /** After the commit: notes the time of the newest order inserted, if any. */
  private void noteInserted(Inserted inserted) {
    if (inserted.newest() != null) {
      noteCommit(inserted.newest());
    }
  }

  /** Under the role lock: refuses writes from an older epoch, and any on a primary. */
  private void requireReplicaOf(long writerEpoch, String what) {
    if (writerEpoch < epoch) {
      throw new StaleEpochException("replica " + name, writerEpoch, epoch);
    }
    if (role == SiteRole.PRIMARY) {
      throw new SiteUnavailableException("site " + name + " is primary at epoch " + epoch + " and does not " + what);
    }
  }

  /** Records the applied replication-log offset inside the caller's transaction. */
  private static void recordApplied(Connection c, long offset) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("MERGE INTO site_meta (k, v) KEY (k) VALUES ('applied', ?)")) {
      ps.setString(1, Long.toString(offset));
      ps.executeUpdate();
    }
  }

  /** Moves orders from {@code orders} to {@code quarantine} inside the caller's transaction. */
  private List<Order> moveToQuarantine(Connection c, Set<String> ids) throws SQLException {
    List<Order> moved = new ArrayList<>();
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO quarantine (id, customer, amount_cents,"
        + " created_at, epoch, site, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement del = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
      for (String id : ids) {
        Optional<Order> o = find(c, id);
        if (o.isEmpty()) {
          continue;
        }
        Order order = o.get();
        bindOrder(ins, order);
        ins.setObject(7, clock.instant().atOffset(java.time.ZoneOffset.UTC));
        ins.executeUpdate();
        del.setString(1, id);
        del.executeUpdate();
        moved.add(order);
      }
    }
    return moved;
  }

  /**
   * Makes this replica's orders exactly a snapshot's, in one transaction, and records the
   * snapshot's last replication-log offset as applied: what a replica too far behind the log does
   * before following the log again. Orders the snapshot does not hold are moved to
   * {@code quarantine} (set aside and listed, never dropped), missing ones are inserted.
   *
   * @param snapshot every order of the snapshot
   * @param writerEpoch the epoch at which the snapshot was taken
   * @param appliedOffset the offset of the last log record the snapshot holds, or {@code -1}
   * @return the orders set aside
   * @throws StaleEpochException when {@code writerEpoch} is older than this site's epoch
   * @throws SiteUnavailableException when the site is down or is itself primary
   */
  public List<Order> installSnapshot(List<Order> snapshot, long writerEpoch, long appliedOffset) {
    Running r = requireRunning("install a snapshot of " + snapshot.size() + " orders");
    roleLock.readLock().lock();
    try {
      requireReplicaOf(writerEpoch, "install snapshots");
      record Installed(List<Order> moved, Inserted inserted) {}
      Installed done = transaction(r, "could not install a snapshot", c -> {
        Set<String> wanted = new LinkedHashSet<>();
        for (Order o : snapshot) {
          wanted.add(o.id());
        }
        Set<String> extra = new LinkedHashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM orders")) {
          while (rs.next()) {
            if (!wanted.contains(rs.getString(1))) {
              extra.add(rs.getString(1));
            }
          }
        }
        List<Order> moved = moveToQuarantine(c, extra);
        Inserted inserted = insertMissing(c, snapshot);
        recordApplied(c, appliedOffset);
        return new Installed(moved, inserted);
      });
      noteInserted(done.inserted());
      return done.moved();
    } finally {
      roleLock.readLock().unlock();
    }
  }

  /**
   * Writes a consistent SQL dump of the database (schema and data) to {@code file}: what a backup
   * snapshots, and what {@link #seedFrom(Path)} loads.
   *
   * @param file the dump file to write
   * @throws SiteUnavailableException when the site is down or the dump fails
   */
  public void dumpTo(Path file) {
    Running r = requireRunning("dump");
    try (Connection c = connection(r);
        PreparedStatement ps = c.prepareStatement("SCRIPT TO ?")) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      ps.setString(1, file.toAbsolutePath().toString());
      ps.execute();
    } catch (SQLException | IOException e) {
      throw new SiteUnavailableException("site " + name + ": could not dump to " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Replaces this (stopped) site's database with the contents of a dump written by
   * {@link #dumpTo(Path)}, for example one restored from a backup snapshot. The seeded site comes
   * up as a {@link SiteRole#FENCED} copy at the dump's epoch when started.
   *
   * @param dump the dump file
   * @throws SiteUnavailableException when the site runs, or the dump cannot be loaded
   */
  public void seedFrom(Path dump) {
    synchronized (lifecycle) {
      if (running != null) {
        throw new SiteUnavailableException("site " + name + " must be stopped before it is seeded from " + dump);
      }
      try {
        deleteDatabaseFiles();
        Files.createDirectories(dir);
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), "sa", "");
            PreparedStatement ps = c.prepareStatement("RUNSCRIPT FROM ?")) {
          ps.setString(1, dump.toAbsolutePath().toString());
          ps.execute();
          try (Statement st = c.createStatement()) {
            st.execute("SHUTDOWN");
          }
        }
      } catch (SQLException | IOException e) {
        throw new SiteUnavailableException("site " + name + ": could not seed from " + dump + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Deletes the (stopped) site's database files, as when its disk is lost.
   *
   * @throws SiteUnavailableException when the site runs or the files cannot be deleted
   */
  public void destroyData() {
    synchronized (lifecycle) {
      if (running != null) {
        throw new SiteUnavailableException("site " + name + " must be stopped before its data is destroyed");
      }
      try {
        deleteDatabaseFiles();
      } catch (IOException e) {
        throw new SiteUnavailableException("site " + name + ": could not delete " + dir + ": " + e.getMessage(), e);
      }
      epoch = 0;
      role = SiteRole.REPLICA;
      lastCommit = null;
    }
  }

  private void deleteDatabaseFiles() throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().startsWith("orders.")) {
          Files.delete(p);
        }
      }
    }
  }

  private Connection connection(Running r) throws SQLException {
    try {
      return r.pool().getConnection();
    } catch (IllegalStateException e) {
      throw new SiteUnavailableException("site " + name + " is down (its database was closed)", e);
    }
  }

  private Running requireRunning(String what) {
    Running r = running;
    if (r == null) {
      throw new SiteUnavailableException("site " + name + " is down; cannot " + what);
    }
    return r;
  }

  // ---- HTTP ----

  private void handleHealth(HttpExchange ex) throws IOException {
    awaitResumed();
    try (ex) {
      Running r = running;
      if (r == null) {
        respond(ex, 503, error("site " + name + " is down"));
        return;
      }
      long count;
      try (Connection c = connection(r); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM orders")) {
        rs.next();
        count = rs.getLong(1);
      } catch (SQLException e) {
        respond(ex, 503, error("site " + name + ": database not answering: " + e.getMessage()));
        return;
      }
      ObjectNode body = JSON.createObjectNode();
      body.put("site", name);
      body.put("role", role.name());
      body.put("epoch", epoch);
      body.put("orders", count);
      respond(ex, 200, body);
    }
  }

  private void handleOrders(HttpExchange ex) throws IOException {
    awaitResumed();
    try (ex) {
      try {
        routeOrders(ex);
      } catch (SiteUnavailableException e) {
        respondQuietly(ex, 503, error(e.getMessage()));
      } catch (RuntimeException e) {
        LOG.warn("site {}: {} {} failed", name, ex.getRequestMethod(), ex.getRequestURI(), e);
        respondQuietly(ex, 500, error("site " + name + ": " + e));
      }
    }
  }

  private void routeOrders(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    if (path.equals("/orders") && method.equals("POST")) {
      handlePost(ex);
    } else if (path.startsWith("/orders/") && method.equals("GET")) {
      String id = path.substring("/orders/".length());
      if (!Order.validId(id)) {
        respond(ex, 400, error("invalid order id '" + id + "'"));
        return;
      }
      Optional<Order> o = get(id);
      if (o.isPresent()) {
        respond(ex, 200, toJson(o.get()));
      } else {
        respond(ex, 404, error("no order " + id + " on site " + name));
      }
    } else {
      respond(ex, 405, error(method + " " + path + " is not supported"));
    }
  }

  private void handlePost(HttpExchange ex) throws IOException {
    JsonNode body;
    try (InputStream in = ex.getRequestBody()) {
      body = JSON.readTree(in);
    } catch (IOException e) {
      respond(ex, 400, error("request body is not JSON: " + e.getMessage()));
      return;
    }
    if (body == null || !body.isObject() || !body.path("id").isTextual() || !body.path("customer").isTextual()
        || !body.path("amountCents").canConvertToLong()) {
      respond(ex, 400, error("body must be {\"id\": string, \"customer\": string, \"amountCents\": integer}"));
      return;
    }
    Long callerEpoch = null;
    String header = ex.getRequestHeaders().getFirst(EPOCH_HEADER);
    if (header != null) {
      try {
        callerEpoch = Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        respond(ex, 400, error(EPOCH_HEADER + " must be an integer but was '" + header + "'"));
        return;
      }
    }
    try {
      Order o = accept(body.get("id").asText(), body.get("customer").asText(), body.get("amountCents").asLong(),
          callerEpoch);
      ex.getResponseHeaders().set(EPOCH_HEADER, Long.toString(o.epoch()));
      respond(ex, 201, toJson(o));
    } catch (IllegalArgumentException e) {
      respond(ex, 400, error(e.getMessage()));
    } catch (StaleEpochException e) {
      respond(ex, 409, error(e.getMessage()));
    }
  }

  private static ObjectNode toJson(Order o) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", o.id());
    n.put("customer", o.customer());
    n.put("amountCents", o.amountCents());
    n.put("createdAt", o.createdAt().toString());
    n.put("epoch", o.epoch());
    n.put("site", o.site());
    return n;
  }

  private static ObjectNode error(String message) {
    return JSON.createObjectNode().put("error", message);
  }

  private void respondQuietly(HttpExchange ex, int status, ObjectNode body) {
    try {
      respond(ex, status, body);
    } catch (IOException | RuntimeException e) {
      LOG.debug("site {}: could not send {} response: {}", name, status, e.getMessage());
    }
  }

  private void respond(HttpExchange ex, int status, ObjectNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set(SITE_HEADER, name);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public String toString() {
    return "OrderSite{" + name + ", " + role + " at epoch " + epoch + (running != null ? ", up" : ", down") + "}";
  }
}
