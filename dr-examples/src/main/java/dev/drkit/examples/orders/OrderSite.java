package dev.drkit.examples.orders;

import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 * small HTTP API on 127.0.0.1 (an ephemeral port). This class is the site's DR core, the part a
 * host copying the example adapts: its lifecycle ({@link #start()}, {@link #stop()},
 * {@link #kill()}), its fencing ({@link #promote}, {@link #fence}, {@link #demote}: a role and an
 * epoch, stored in the site's own database), the client write path ({@link #accept}, which hands
 * each committed write to the {@link WriteHook} replication plugs into) and the replica side
 * ({@link #applyReplicated(List, long, long)}, {@link #installSnapshot}, {@link #quarantine}).
 * The rest lives beside it: {@link OrderHttpApi} (the HTTP handlers), {@link OrderTable} (the
 * SQL) and {@link SiteDataSource} (JDBC access for health checks).
 *
 * <p>The site stores its epoch and role in its own database ({@code site_meta}), so fencing
 * survives a restart; a site that restarts after a crash never comes back as primary: it comes
 * back {@link SiteRole#FENCED} at its stored epoch and waits to be resynced and demoted. A client
 * write carrying an {@link #EPOCH_HEADER} other than the site's epoch is refused, so a stale router
 * cannot write to a fenced site. {@link #kill()} stops it abruptly (the server closes, the
 * database is shut down without a checkpoint, as in a power loss). Thread-safe.
 *
 * <p>Why this file is longer than 600 lines: about a third of it is Javadoc, and every method left
 * here reads or changes the site's role and epoch under its role lock or its lifecycle lock
 * (lifecycle, fencing, the write path with inserts and deletes, the replica side, seeding from a
 * dump), which is the one job a copy of the example must get right. Splitting it further would
 * spread those locks across files.
 */
public final class OrderSite implements AutoCloseable {
  /** The HTTP header carrying a fencing epoch (requests) or the epoch a write was taken at (responses). */
  public static final String EPOCH_HEADER = "X-Drkit-Epoch";
  /** The HTTP response header naming the site that served a request. */
  public static final String SITE_HEADER = "X-Drkit-Site";

  private static final Logger LOG = LoggerFactory.getLogger(OrderSite.class);

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
        try (Connection c = pool.getConnection()) {
          OrderTable.Meta stored = OrderTable.createSchema(c);
          SiteRole startRole = stored.role() == SiteRole.PRIMARY ? SiteRole.FENCED : stored.role();
          OrderTable.writeMeta(c, stored.epoch(), startRole);
          this.epoch = stored.epoch();
          this.role = startRole;
          this.lastCommit = OrderTable.newestCommit(c);
        }
        HttpServer server = HttpServers.loopback(64);
        ExecutorService executor = Executors.newFixedThreadPool(6, r -> {
          Thread t = new Thread(r, "orders-" + name + "-http");
          t.setDaemon(true);
          return t;
        });
        server.setExecutor(executor);
        new OrderHttpApi(this).register(server);
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

  /** Waits while the site is {@link #pause() paused} (HTTP handlers and replicated applies call it first). */
  void awaitResumed() {
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
        OrderTable.writeMeta(c, newEpoch, newRole);
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

  /**
   * Takes a client write: only a {@link SiteRole#PRIMARY} does, and only when the caller's epoch (if
   * any) is the site's. The order is committed, handed to the {@link WriteHook} (replication) and
   * then returned; re-sending an id that exists returns the stored order unchanged (idempotent).
   *
   * @param id the order's id
   * @param customer who placed the order (at most 200 characters)
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
        Optional<Order> existing = OrderTable.find(c, id);
        if (existing.isPresent()) {
          return existing.get();
        }
        OrderTable.insert(c, order);
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
   * Deletes orders as a client would (a bulk {@code DELETE}): only a {@link SiteRole#PRIMARY} does,
   * and only when the caller's epoch (if any) is the site's. The deletion is committed in one
   * transaction, then each deleted order is handed to the {@link WriteHook} (replication writes one
   * log record per order, so a replica and a point-in-time rebuild see it like any write).
   *
   * @param ids the orders to delete (ids not present are ignored)
   * @param callerEpoch the epoch the caller acts under, or null
   * @return the orders deleted, as they were
   * @throws StaleEpochException when {@code callerEpoch} differs from the site's epoch
   * @throws SiteUnavailableException when the site is down or not primary, or the hook failed (the
   *     deletion is then committed locally but not replicated)
   */
  public List<Order> delete(Set<String> ids, @Nullable Long callerEpoch) {
    Running r = requireRunning("delete " + ids.size() + " orders");
    roleLock.readLock().lock();
    try {
      if (callerEpoch != null && callerEpoch != epoch) {
        throw new StaleEpochException("site " + name, callerEpoch, epoch);
      }
      if (role != SiteRole.PRIMARY) {
        throw new SiteUnavailableException("site " + name + " is " + role + " at epoch " + epoch
            + " and does not accept writes (delete of " + ids.size() + " orders)");
      }
      List<Order> deleted = transaction(r, "could not delete " + ids.size() + " orders",
          c -> OrderTable.delete(c, ids));
      for (Order o : deleted) {
        try {
          writeHook.afterDelete(o);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new SiteUnavailableException("site " + name + ": interrupted replicating the delete of " + o.id(), ex);
        } catch (Exception ex) {
          throw new SiteUnavailableException("site " + name + ": delete of order " + o.id()
              + " committed locally but not replicated: " + ex.getMessage(), ex);
        }
      }
      return deleted;
    } finally {
      roleLock.readLock().unlock();
    }
  }

  /**
   * Applies a delete replicated from the primary and records the replication-log offset it came
   * from in the same transaction. Idempotent: deleting an order that is not here changes nothing.
   *
   * @param id the deleted order's id
   * @param writerEpoch the epoch of the primary that shipped it
   * @param offset the record's offset in the replication log, or {@code -1} when not from a log
   * @return whether the order was here and is now deleted
   * @throws StaleEpochException when {@code writerEpoch} is older than this site's epoch
   * @throws SiteUnavailableException when the site is down or is itself primary
   */
  public boolean applyReplicatedDelete(String id, long writerEpoch, long offset) {
    awaitResumed();
    Running r = requireRunning("apply a replicated delete of order " + id);
    roleLock.readLock().lock();
    try {
      requireReplicaOf(writerEpoch, "apply replicated deletes (order " + id + ")");
      List<Order> deleted = transaction(r, "could not apply the delete of order " + id, c -> {
        List<Order> d = OrderTable.delete(c, Set.of(id));
        if (offset >= 0) {
          OrderTable.recordApplied(c, offset);
        }
        return d;
      });
      return !deleted.isEmpty();
    } finally {
      roleLock.readLock().unlock();
    }
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
      OrderTable.Inserted done = transaction(r, "could not apply order " + order.id(), c -> {
        OrderTable.Inserted i = OrderTable.insertMissing(c, List.of(order));
        if (offset >= 0) {
          OrderTable.recordApplied(c, offset);
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
      OrderTable.Inserted done = transaction(r, "could not apply " + orders.size() + " replicated orders", c -> {
        OrderTable.Inserted i = OrderTable.insertMissing(c, orders);
        if (lastOffset >= 0) {
          OrderTable.recordApplied(c, lastOffset);
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
    try (Connection c = connection(r)) {
      return OrderTable.appliedOffset(c);
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
    try (Connection c = connection(r)) {
      OrderTable.recordApplied(c, offset);
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

  void noteCommit(Instant t) {
    synchronized (this) {
      Instant prev = lastCommit;
      if (prev == null || t.isAfter(prev)) {
        lastCommit = t;
      }
    }
  }

  /**
   * @param id an order id
   * @return the order, if stored here
   * @throws SiteUnavailableException when the site is down
   */
  public Optional<Order> get(String id) {
    Running r = requireRunning("read order " + id);
    try (Connection c = connection(r)) {
      return OrderTable.find(c, id);
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": could not read order " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * @return every order stored here, in the order this site stored them
   * @throws SiteUnavailableException when the site is down
   */
  public List<Order> orders() {
    return query(false);
  }

  /**
   * @return the orders set aside by {@link #quarantine(Set)}
   * @throws SiteUnavailableException when the site is down
   */
  public List<Order> quarantined() {
    return query(true);
  }

  private List<Order> query(boolean quarantine) {
    Running r = requireRunning("list orders");
    try (Connection c = connection(r)) {
      return quarantine ? OrderTable.quarantined(c) : OrderTable.orders(c);
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
    return transaction(r, "could not quarantine orders", c -> OrderTable.moveToQuarantine(c, ids, clock.instant()));
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

  /** After the commit: notes the time of the newest order inserted, if any. */
  private void noteInserted(OrderTable.Inserted inserted) {
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
      record Installed(List<Order> moved, OrderTable.Inserted inserted) {}
      Installed done = transaction(r, "could not install a snapshot", c -> {
        Set<String> wanted = new LinkedHashSet<>();
        for (Order o : snapshot) {
          wanted.add(o.id());
        }
        Set<String> extra = new LinkedHashSet<>(OrderTable.ids(c));
        extra.removeAll(wanted);
        List<Order> moved = OrderTable.moveToQuarantine(c, extra, clock.instant());
        OrderTable.Inserted inserted = OrderTable.insertMissing(c, snapshot);
        OrderTable.recordApplied(c, appliedOffset);
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

  /**
   * @return a connection to the running site's database, for {@link SiteDataSource}
   * @throws SiteUnavailableException when the site is down
   * @throws SQLException when the pool cannot hand one out
   */
  Connection openConnection() throws SQLException {
    return connection(requireRunning("open a connection"));
  }

  /**
   * @return how many orders the site holds, for the health endpoint
   * @throws SiteUnavailableException when the site is down or its database does not answer
   */
  long countForHealth() {
    Running r = running;
    if (r == null) {
      throw new SiteUnavailableException("site " + name + " is down");
    }
    try (Connection c = connection(r)) {
      return OrderTable.count(c);
    } catch (SQLException e) {
      throw new SiteUnavailableException("site " + name + ": database not answering: " + e.getMessage(), e);
    }
  }

  private Running requireRunning(String what) {
    Running r = running;
    if (r == null) {
      throw new SiteUnavailableException("site " + name + " is down; cannot " + what);
    }
    return r;
  }

  @Override
  public String toString() {
    return "OrderSite{" + name + ", " + role + " at epoch " + epoch + (running != null ? ", up" : ", down") + "}";
  }
}
