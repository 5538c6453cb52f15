package dev.drkit.examples.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.EventBus;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicaApplier;
import dev.drkit.replication.ReplicationKeys;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationMode;
import dev.drkit.replication.ReplicationPrimary;
import dev.drkit.replication.TcpTransport;
import dev.drkit.replication.spi.ReplicationSink;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OrderReplication} with dr-replication: every order the primary commits is appended to the
 * primary's {@link ReplicationLog} at its epoch and shipped over {@link TcpTransport} (loopback,
 * authenticated with a pre-shared key generated for this instance, so for each drill run: nothing
 * else on the machine can feed the replica) to a {@link ReplicaApplier} on the replica, whose
 * {@link ReplicationSink} applies it to the replica's database together with its log offset
 * (exactly once). In {@code sync} mode a write is acknowledged to the client only once the replica
 * has it durably in its log (and, unless its database is going down at that moment, applied: a
 * promotion applies whatever the log holds durably first); in {@code async} mode the shipper follows.
 *
 * <p>Each role assignment starts a fresh log per site and epoch ({@code <site dir>/replog/e<epoch>}):
 * the history before it is brought over by {@link OrderFailoverActions#resync}, which compares the
 * databases and quarantines divergent orders. A replica can also be brought up to date by a
 * snapshot ({@link #writeSnapshot}; its sink's {@code installSnapshot}), as dr-replication's
 * {@code Resync} does for a replica too far behind the log. While no replica is attached, the primary appends to
 * its log alone and the records are shipped when one attaches. In {@code sync} mode a write only one
 * site holds is acknowledged only once the other site has been {@linkplain #fence fenced} out at the
 * source's epoch or later (the failover actions do so before promoting a site alone); while the
 * replica is merely gone (dead, partitioned, paused) a write waits {@link #syncAloneWait} for a
 * replica to acknowledge it and is refused otherwise, so that a failover to that replica cannot
 * lose an acknowledged write.
 */
public final class LogShippingReplication implements OrderReplication {
  private static final Logger LOG = LoggerFactory.getLogger(LogShippingReplication.class);
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  /** The name of a site's replica log of one epoch, under {@code replog/}. */
  private static final Pattern REPLICA_LOG = Pattern.compile("e(\\d+)-replica");

  /**
   * @param siteDir a site's directory ({@link OrderSite#directory()})
   * @param epoch an epoch
   * @return the directory of the log the site writes as primary at {@code epoch}: {@code replog/e<epoch>}
   */
  public static Path primaryLogDir(Path siteDir, long epoch) {
    return siteDir.resolve("replog").resolve("e" + epoch);
  }

  /**
   * @param siteDir a site's directory ({@link OrderSite#directory()})
   * @param epoch an epoch
   * @return the directory of the copy the site receives as the replica of a primary at {@code epoch}:
   *     {@code replog/e<epoch>-replica}
   */
  public static Path replicaLogDir(Path siteDir, long epoch) {
    return siteDir.resolve("replog").resolve("e" + epoch + "-replica");
  }
  /** The snapshot format: every order, as a JSON array. */
  private static final com.fasterxml.jackson.core.type.TypeReference<java.util.List<Order>> ORDER_LIST =
      new com.fasterxml.jackson.core.type.TypeReference<>() { };

  private final String service;
  private final boolean synchronous;
  private final EventBus events;
  private final Clock clock;
  /** A fresh pre-shared key for this instance (one drill run): both ends authenticate with it. */
  private final ReplicationKeys keys = ReplicationKeys.generate("orders-run");
  private @Nullable Source source;
  private @Nullable Follower follower;
  private volatile java.util.function.IntUnaryOperator link = java.util.function.IntUnaryOperator.identity();
  /** The last source that stopped (killed or fenced) since a new one shipped: what the lag still counts. */
  private volatile @Nullable Source lastSource;
  /** Sites fenced out of replication, with the epoch: a sync source may run alone only past them. */
  private final Map<OrderSite, Long> fencedAt = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile Duration syncAloneWait = Duration.ofSeconds(1);

  /** The primary side: its log and, while a replica is attached, its shipper. */
  private final class Source {
    final OrderSite site;
    final long epoch;
    final ReplicationLog log;
    volatile @Nullable ReplicationPrimary shipper;
    final ConcurrentSkipListMap<Long, Instant> unacked = new ConcurrentSkipListMap<>();
    volatile long lastAppended = -1;
    volatile boolean dead;

    Source(OrderSite site, long epoch) {
      this.site = site;
      this.epoch = epoch;
      this.log = ReplicationLog.open(primaryLogDir(site.directory(), epoch),
          LogConfig.builder(service + "-" + site.name()).eventBus(events).clock(clock).build());
    }

    void connect(int port) {
      disconnect();
      TcpTransport out = TcpTransport.builder(TcpTransport.Config.connecting(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port))).keys(keys).eventBus(events).clock(clock)
          .build();
      ReplicationPrimary p = ReplicationPrimary.builder(service, log, out)
          .mode(new ReplicationMode(synchronous ? ReplicationMode.Kind.SYNCHRONOUS : ReplicationMode.Kind.ASYNCHRONOUS,
              null))
          .epoch(epoch).eventBus(events).clock(clock).replicaName(service + "-replica")
          .reconnectDelay(Duration.ofMillis(20)).heartbeatInterval(Duration.ofMillis(100)).build();
      p.start();
      shipper = p;
    }

    void disconnect() {
      ReplicationPrimary p = shipper;
      shipper = null;
      if (p != null) {
        p.close();
      }
    }

    void append(Order o) throws Exception {
      append(o, OrderLogRecord.insert(o), o.createdAt());
    }

    void appendDelete(Order o) throws Exception {
      // the lag counts from when the delete was made, not from when the order was
      append(o, OrderLogRecord.delete(o), clock.instant());
    }

    private void append(Order o, byte[] payload, java.time.Instant madeAt) throws Exception {
      if (dead) {
        throw new SiteUnavailableException("the replication log of " + site.name() + " is closed");
      }
      ReplicationPrimary p = shipper;
      long off;
      if (p != null) {
        off = p.append(payload);
      } else {
        off = log.append(epoch, payload);
      }
      lastAppended = Math.max(lastAppended, off);
      if (p == null || !synchronous) {
        unacked.put(off, madeAt);
      }
      if (p == null && synchronous && !mayRunAlone(site, epoch)) {
        awaitReplicaAck(o, off);
      }
    }

    /**
     * Sync mode without a replica that was fenced out: the write is acknowledged only once a
     * replica holds it (one that attaches gets the log shipped from where it stands), or refused.
     */
    private void awaitReplicaAck(Order o, long off) throws InterruptedException {
      long deadline = System.nanoTime() + syncAloneWait.toNanos();
      while (System.nanoTime() < deadline && !dead) {
        ReplicationPrimary q = shipper;
        if (q != null && q.ackedOffset() >= off) {
          return;
        }
        Thread.sleep(2);
      }
      // Refused: never acknowledged, so no loss a failover would take (the lag counts acknowledged
      // writes only); it is still in the log and shipped if a replica attaches.
      unacked.remove(off);
      throw new SiteUnavailableException("order " + o.id() + " is committed on " + site.name() + " but no replica"
          + " acknowledged it within " + syncAloneWait.toMillis() + " ms: sync replication does not acknowledge a write"
          + " only one site holds while the other is not fenced out");
    }

    long acked() {
      ReplicationPrimary p = shipper;
      long a = p == null ? -1 : p.ackedOffset();
      unacked.headMap(a, true).clear();
      return a;
    }

    void close() {
      dead = true;
      disconnect();
      log.close();
    }
  }

  /** The replica side: its log, the applier and the TCP endpoint. */
  private final class Follower {
    final OrderSite site;
    final long epoch;
    final ReplicationLog log;
    final ReplicaApplier applier;
    final TcpTransport in;
    final AutoCloseable serving;

    Follower(OrderSite site, long epoch) {
      this.site = site;
      this.epoch = epoch;
      site.resetAppliedOffset(-1);
      this.log = openReplicaLog(site, replicaLogDir(site.directory(), epoch));
      this.applier = new ReplicaApplier(service, log, new Sink(site), events, clock);
      this.in = TcpTransport.builder(TcpTransport.Config.listening(new InetSocketAddress(
          InetAddress.getLoopbackAddress(), 0))).keys(keys).eventBus(events).clock(clock).build();
      this.serving = in.serve(service, applier);
    }

    void close() {
      try {
        serving.close();
      } catch (Exception e) {
        LOG.debug("closing the endpoint of {}: {}", site.name(), e.getMessage());
      }
      in.close();
      log.close();
    }
  }

  /**
   * Applies shipped orders to a site's database with their offsets, and installs snapshots (a JSON
   * array of every order, see {@link #writeSnapshot}) for a replica too far behind the log.
   */
  static final class Sink implements ReplicationSink {
    private final OrderSite site;

    Sink(OrderSite site) {
      this.site = site;
    }

    @Override
    public void apply(long epoch, long offset, ByteBuffer payload) throws Exception {
      byte[] b = new byte[payload.remaining()];
      payload.get(b);
      OrderLogRecord r = OrderLogRecord.decode(b);
      if (r.deleted()) {
        site.applyReplicatedDelete(r.order().id(), epoch, offset);
      } else {
        site.applyReplicated(java.util.List.of(r.order()), epoch, offset);
      }
    }

    @Override
    public long appliedOffset() {
      return site.appliedOffset();
    }

    @Override
    public void installSnapshot(long nextOffset, long epoch, InputStream data) throws IOException {
      java.util.List<Order> orders = JSON.readValue(data, ORDER_LIST);
      java.util.List<Order> setAside = site.installSnapshot(orders, epoch, nextOffset - 1);
      LOG.info("{}: installed a snapshot of {} orders (log offsets below {}, epoch {}); {} orders it did not hold"
          + " were quarantined", site.name(), orders.size(), nextOffset, epoch, setAside.size());
    }
  }

  /**
   * Writes the snapshot format {@link Sink#installSnapshot} reads: a JSON array of orders.
   *
   * @param orders every order of the snapshot
   * @param out where to write (not closed)
   * @throws IOException when writing fails
   */
  public static void writeSnapshot(java.util.List<Order> orders, java.io.OutputStream out) throws IOException {
    JSON.writerFor(ORDER_LIST)
        .without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(out, orders);
  }

  /**
   * @param service the protected service whose orders are replicated
   * @param synchronous whether a write is acknowledged only once the replica has it
   * @param events where replication events go
   * @param clock where record times and lag are read from
   */
  public LogShippingReplication(String service, boolean synchronous, EventBus events, Clock clock) {
    this.service = Objects.requireNonNull(service, "service");
    this.synchronous = synchronous;
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Routes the replication link through something between the sites (the soak's fault-injecting
   * proxy): given the replica endpoint's loopback port, {@code route} returns the port the primary
   * connects to. Applies to connections made from now on. The default is the direct path.
   *
   * @param route maps the replica's port to the port to connect to
   * @return this
   */
  public LogShippingReplication linkThrough(java.util.function.IntUnaryOperator route) {
    this.link = Objects.requireNonNull(route, "route");
    return this;
  }

  /**
   * How long a sync write waits for a replica to acknowledge it while none is attached and the other
   * site has not been fenced out (a replica that died or lost its link) before it is refused
   * (default 1 s).
   *
   * @param wait the wait, {@code >= 0}
   * @return this
   * @throws IllegalArgumentException for a negative wait
   */
  public LogShippingReplication syncAloneWait(Duration wait) {
    if (wait.isNegative()) {
      throw new IllegalArgumentException("syncAloneWait must be >= 0 but was " + wait);
    }
    this.syncAloneWait = wait;
    return this;
  }

  /** A sync source may acknowledge alone only once another site was fenced out at its epoch or later. */
  private boolean mayRunAlone(OrderSite site, long epoch) {
    for (Map.Entry<OrderSite, Long> e : fencedAt.entrySet()) {
      if (e.getKey() != site && e.getValue() >= epoch) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return the port the current replica accepts replication on, or {@code -1} without a replica
   *     (for tests that probe it as an outsider would)
   */
  public synchronized int replicaPort() {
    Follower f = follower;
    return f == null ? -1 : f.in.boundPort();
  }

  @Override
  public String mode() {
    return synchronous ? "sync" : "async";
  }

  @Override
  public synchronized void ship(OrderSite primary, long epoch) {
    Source s = source;
    if (s != null && s.site == primary && s.epoch == epoch) {
      return;
    }
    Follower f = follower;
    if (f != null && f.site == primary) {
      // The replica takes over: apply everything it holds durably, then stop following.
      f.applier.promote(epoch);
      f.close();
      follower = null;
    } else {
      applyReplicaLogTail(primary);
    }
    if (s != null) {
      s.site.writeHook(WriteHook.none());
      s.close();
    }
    Source next = new Source(primary, epoch);
    source = next;
    lastSource = null;
    fencedAt.remove(primary);
    primary.writeHook(new WriteHook() {
      @Override
      public void afterCommit(Order order) throws Exception {
        next.append(order);
      }

      @Override
      public void afterDelete(Order order) throws Exception {
        next.appendDelete(order);
      }
    });
    primary.onKill(() -> {
      synchronized (this) {
        if (source == next) {
          next.close();
          source = null;
          lastSource = next;
        }
      }
    });
    Follower cur = follower;
    if (cur != null) {
      next.connect(link.applyAsInt(cur.in.boundPort()));
    }
    events.publish(dev.drkit.core.spi.DrEvent.info(clock.instant(), "orders.replication.source", service, epoch,
        "orders replication ships from " + primary.name() + " (" + mode() + ", TCP on loopback)"));
  }

  /** Opens a replica log of {@code site} (a follower's, or the newest one when it is promoted). */
  private ReplicationLog openReplicaLog(OrderSite site, Path dir) {
    return ReplicationLog.open(dir, LogConfig.builder(service + "-" + site.name() + "-replica").eventBus(events)
        .clock(clock).build());
  }

  /**
   * Before a site that does not follow now (it died as a replica and came back) takes writes, applies
   * what its newest replica log ({@code replog/e<epoch>-replica}) holds durably beyond what its
   * database applied. A replica acknowledges a record once its log has it durably, and applies it to
   * the database in the same call; when the site is killed between the two, its database refuses the
   * record while the primary takes the acknowledgement, so only that log holds an acknowledged write.
   * A live follower's promotion applies it ({@link ReplicaApplier#promote}); this does the same for a
   * site promoted after a restart. The site's applied offset refers to that log (each follower resets
   * it when it opens a new one) only while the site is still the replica of that log's epoch; a site
   * promoted, fenced or re-seeded since is left as it is.
   *
   * @throws dev.drkit.replication.ReplicationException when the database does not take every durable
   *     record (the promotion must be retried rather than lose them)
   */
  private void applyReplicaLogTail(OrderSite site) {
    Path replog = site.directory().resolve("replog");
    Path newest = null;
    long newestEpoch = -1;
    try (Stream<Path> dirs = Files.list(replog)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        Matcher m = REPLICA_LOG.matcher(d.getFileName().toString());
        if (m.matches() && Files.isDirectory(d)) {
          long e = Long.parseLong(m.group(1));
          if (e > newestEpoch) {
            newestEpoch = e;
            newest = d;
          }
        }
      }
    } catch (NoSuchFileException e) {
      return; // never a replica
    } catch (IOException e) {
      throw new SiteUnavailableException("site " + site.name() + ": cannot list its replication logs in " + replog
          + ": " + e.getMessage(), e);
    }
    if (newest == null || site.role() != SiteRole.REPLICA || site.epoch() != newestEpoch) {
      // Not the replica of that log's epoch any more (promoted since, fenced, or re-seeded by a
      // rebuild): its applied offset no longer refers to that log, whose records it must not take.
      return;
    }
    if (!site.isRunning()) {
      throw new SiteUnavailableException("site " + site.name() + " is down: it cannot be promoted before it applies"
          + " what its replica log " + newest.getFileName() + " holds");
    }
    try (ReplicationLog log = openReplicaLog(site, newest)) {
      ReplicaApplier applier = new ReplicaApplier(service, log, new Sink(site), events, clock); // applies the tail
      if (applier.appliedOffset() < log.durableOffset()) {
        throw new dev.drkit.replication.ReplicationException("site " + site.name() + " cannot be promoted yet: its"
            + " replica log " + newest.getFileName() + " holds records up to offset " + log.durableOffset()
            + " durably (acknowledged to the primary) but its database applied only up to "
            + applier.appliedOffset());
      }
      LOG.info("{}: applied its replica log {} up to offset {} before taking writes", site.name(),
          newest.getFileName(), applier.appliedOffset());
    }
  }

  @Override
  public synchronized void attach(OrderSite replica, long epoch) {
    Source s = source;
    if (s != null && s.site == replica) {
      throw new SiteUnavailableException("site " + replica.name() + " is the replication source and cannot follow itself");
    }
    Follower f = follower;
    if (f != null && f.site == replica && f.epoch == epoch) {
      return;
    }
    if (f != null) {
      f.close();
    }
    Follower next = new Follower(replica, epoch);
    follower = next;
    fencedAt.remove(replica);
    replica.onKill(() -> {
      synchronized (this) {
        if (follower == next) {
          detachFollower(next);
        }
      }
    });
    if (s != null) {
      s.connect(link.applyAsInt(next.in.boundPort()));
    }
    events.publish(new dev.drkit.core.spi.DrEvent(clock.instant(), "orders.replication.replica",
        dev.drkit.core.spi.DrEvent.Severity.INFO, service, epoch, replica.name() + " follows over TCP port "
            + next.in.boundPort(), Map.of("port", Integer.toString(next.in.boundPort()))));
  }

  @Override
  public synchronized void fence(OrderSite site, long epoch) {
    fencedAt.merge(site, epoch, Math::max);
    Source s = source;
    if (s != null && s.site == site) {
      site.writeHook(WriteHook.none());
      ReplicationPrimary p = s.shipper;
      if (p != null) {
        p.fence(epoch);
      }
      s.acked();
      s.close();
      source = null;
      lastSource = s;
    }
    Follower f = follower;
    if (f != null && f.site == site) {
      detachFollower(f);
    }
  }

  /** The replica is gone: the source keeps appending to its log alone (sync degrades, see above). */
  private void detachFollower(Follower f) {
    f.close();
    follower = null;
    Source s = source;
    if (s != null) {
      s.disconnect();
    }
  }

  @Override
  public Duration lag() {
    Source s;
    synchronized (this) {
      s = source != null ? source : lastSource;
    }
    if (s == null) {
      return Duration.ZERO;
    }
    s.acked();
    Map.Entry<Long, Instant> oldest = s.unacked.firstEntry();
    if (oldest == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(oldest.getValue(), clock.instant());
    return d.isNegative() ? Duration.ZERO : d;
  }

  @Override
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Source s;
      Follower f;
      synchronized (this) {
        s = source;
        f = follower;
      }
      if (s == null || s.lastAppended < 0) {
        return true;
      }
      if (f == null || s.shipper == null) {
        return false;
      }
      if (s.acked() >= s.lastAppended && f.applier.appliedOffset() >= s.lastAppended) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(2);
    }
  }

  /**
   * The log position a backup of the active site taken now is consistent with: the next offset of
   * its replication log and the log's epoch. The site appends a write to the log only after
   * committing it, so a dump started after this call holds every record below the offset (see the
   * quiesce rule in docs/repository-format.md).
   *
   * @return the position, or empty while no site ships
   */
  public synchronized java.util.Optional<dev.drkit.core.spi.LogPosition> logPosition() {
    Source s = source;
    return s == null || s.dead ? java.util.Optional.empty()
        : java.util.Optional.of(new dev.drkit.core.spi.LogPosition(s.log.nextOffset(), s.epoch));
  }

  @Override
  public synchronized void close() {
    Source s = source;
    if (s != null) {
      s.site.writeHook(WriteHook.none());
      s.close();
      source = null;
    }
    Follower f = follower;
    if (f != null) {
      f.close();
      follower = null;
    }
  }

  /**
   * Reads back every order a site appended as primary at {@code epoch} from its replication log
   * (which lives beside, not inside, its database files, as a WAL archive would): what a site
   * rebuilt from an older snapshot replays to catch up.
   *
   * @param site the site whose replication log to read
   * @param epoch the epoch whose log to read
   * @param events where the log's recovery events go
   * @param clock where the log's times are read from
   * @return the orders in log order, without those a later record deleted (a torn tail is cut off by the log's recovery)
   * @throws IOException when a record cannot be decoded
   */
  public static java.util.List<Order> readLog(OrderSite site, long epoch, EventBus events, Clock clock)
      throws IOException {
    Path dir = primaryLogDir(site.directory(), epoch);
    java.util.List<Order> out = new java.util.ArrayList<>();
    try (ReplicationLog log = ReplicationLog.open(dir, LogConfig.builder("archive-" + site.name()).eventBus(events)
        .clock(clock).build())) {
      long next = log.startOffset();
      while (true) {
        java.util.List<dev.drkit.replication.LogRecord> batch = log.read(next, 1024);
        if (batch.isEmpty()) {
          break;
        }
        for (dev.drkit.replication.LogRecord r : batch) {
          OrderLogRecord change = OrderLogRecord.decode(r.payload());
          if (change.deleted()) {
            out.removeIf(o -> o.id().equals(change.order().id()));
          } else {
            out.add(change.order());
          }
          next = r.offset() + 1;
        }
      }
    }
    return out;
  }
}
