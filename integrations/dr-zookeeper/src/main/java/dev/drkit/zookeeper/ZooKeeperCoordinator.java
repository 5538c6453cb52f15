package dev.drkit.zookeeper;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.EventBus;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.Lease;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Coordinator} on ZooKeeper through Apache Curator: leadership among drkit instances of
 * one group by Curator's {@link LeaderLatch}, fencing tokens issued by ZooKeeper.
 *
 * <p>Znodes under {@code <basePath>/coordination/<group>}: {@code leader} (the latch's ephemeral
 * sequential nodes) and {@code epoch} (a persistent node; its version is the fencing token).
 * When the latch elects this instance, the coordinator runs one ZooKeeper transaction:
 * <em>check</em> that its latch node still exists, <em>setData</em> on the epoch node. The new
 * version of the epoch node is the term's token. Tokens therefore strictly increase across all
 * terms of the group, and an instance whose session ended cannot obtain one. Do not delete the
 * epoch node while any instance runs: its version would restart at zero.
 *
 * <p>Connection states, as Curator's documentation requires of leader recipes:
 * <ul>
 *   <li>{@code SUSPENDED} (the connection dropped, the session may still live) and
 *       {@code READ_ONLY}: the current lease is revoked at once, before the listener returns;
 *       the latch drops leadership too. The instance does not act until it is elected again,
 *       which yields a new term with a new token.</li>
 *   <li>{@code LOST} (the session expired, or Curator presumes so): same, and the latch's node
 *       is gone with the session.</li>
 *   <li>{@code CONNECTED}, {@code RECONNECTED}: nothing is granted by the state itself; the latch
 *       re-joins the election and a new term starts only when it wins.</li>
 * </ul>
 * Independently of connection events, a lease carries a deadline on the local monotonic clock
 * (see {@link ZooKeeperLease}); a heartbeat confirms the latch node every
 * {@code sessionTimeout x safetyFactor / 4}. A lease once invalid never becomes valid again.
 *
 * <p>Thread-safe. Build with {@link #builder(String)} (the coordinator owns its Curator client)
 * or {@link #builder(CuratorFramework)} (the host's started client), then {@link #start()}.
 *
 * <p>Why this file is a little over 600 lines: its public {@link Builder} (about 150 lines of
 * documented options) belongs beside the class it builds; the election, leases and heartbeat it
 * configures are the rest.
 */
public final class ZooKeeperCoordinator implements Coordinator {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperCoordinator.class);

  private final CuratorFramework client;
  private final boolean ownsClient;
  private final String groupPath;
  private final String latchPath;
  private final String epochPath;
  private final String participantId;
  private final double safetyFactor;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final EventBus events;
  private final ScheduledExecutorService executor;
  /** Replaced when Curator leaves it without a node while connected (see {@link #checkLatch}). */
  private volatile LeaderLatch latch;
  /** Monotonic time since the latch has had no node while connected; -1 when it has one (executor thread only). */
  private long latchMissingSince = -1;
  private final Object monitor = new Object();
  private final ConnectionStateListener connectionListener = this::onConnectionStateChanged;
  private volatile @Nullable ZooKeeperLease lease;
  private volatile boolean started;
  private volatile boolean closed;

  private ZooKeeperCoordinator(Builder b, CuratorFramework client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.groupPath = b.basePath + "/coordination/" + b.group;
    this.latchPath = groupPath + "/leader";
    this.epochPath = groupPath + "/epoch";
    this.participantId = b.participantId != null ? b.participantId : UUID.randomUUID().toString();
    this.safetyFactor = b.safetyFactor;
    this.nanoTime = b.nanoTime;
    this.clock = b.clock;
    this.events = b.events;
    ThreadFactory threads = b.threadFactory;
    String threadName = "drkit-zk-coordinator-" + participantId;
    this.executor = Executors.newSingleThreadScheduledExecutor(threads == null
        ? r -> DrkitThreads.create(r, threadName, true)
        : r -> DrkitThreads.create(threads, r, threadName));
    this.latch = newLatch();
  }

  private LeaderLatch newLatch() {
    LeaderLatch l = new LeaderLatch(client, latchPath, participantId, LeaderLatch.CloseMode.SILENT);
    l.addListener(new LeaderLatchListener() {
      @Override
      public void isLeader() {
        grantIfLeader();
      }

      @Override
      public void notLeader() {
        revoke("leader latch reported loss of leadership");
      }
    }, executor);
    return l;
  }

  /**
   * @param connectString ZooKeeper's connect string, {@code host:port[,host:port...]}
   * @return a builder for a coordinator that creates, starts and closes its own Curator client
   */
  public static Builder builder(String connectString) {
    return new Builder(Objects.requireNonNull(connectString, "connectString"), null);
  }

  /**
   * @param client a Curator client the host started and will close after the coordinator
   * @return a builder for a coordinator on that client
   */
  public static Builder builder(CuratorFramework client) {
    return new Builder(null, Objects.requireNonNull(client, "client"));
  }

  /**
   * Joins the election: starts the client (if owned), creates the epoch node if absent, starts
   * the leader latch and the heartbeat.
   *
   * @return this
   * @throws dev.drkit.core.StorageException when ZooKeeper cannot be reached to create the nodes
   * @throws IllegalStateException when already started or closed
   */
  @SuppressWarnings("FutureReturnValueIgnored") // the heartbeat runs until close() shuts the executor down
  public ZooKeeperCoordinator start() {
    synchronized (monitor) {
      if (started || closed) {
        throw new IllegalStateException("coordinator " + participantId + " already started or closed");
      }
      started = true;
    }
    if (ownsClient) {
      client.start();
    }
    try {
      if (client.checkExists().forPath(epochPath) == null) {
        client.create().creatingParentContainersIfNeeded().withMode(CreateMode.PERSISTENT)
            .forPath(epochPath, new byte[0]);
      }
    } catch (KeeperException.NodeExistsException raced) {
      LOG.debug("epoch node {} created concurrently by another instance", epochPath);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new StorageException("cannot create the epoch node " + epochPath + " in ZooKeeper", e);
    }
    client.getConnectionStateListenable().addListener(connectionListener);
    try {
      latch.start();
    } catch (Exception e) {
      throw new StorageException("cannot start the leader latch at " + latchPath, e);
    }
    long interval = Math.max(TimeUnit.MILLISECONDS.toNanos(10), windowNanos(requestedSessionTimeoutMs()) / 4);
    executor.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.NANOSECONDS);
    LOG.info("coordinator {} joined the election at {}", participantId, latchPath);
    return this;
  }

  @Override
  public Optional<Lease> awaitLeadership(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    if (!started) {
      throw new IllegalStateException("coordinator " + participantId + " is not started");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      while (true) {
        Optional<Lease> current = currentLease();
        if (current.isPresent() || closed) {
          return current;
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return Optional.empty();
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, remaining);
      }
    }
  }

  @Override
  public Optional<Lease> currentLease() {
    ZooKeeperLease current = lease;
    return current != null && current.isValid() ? Optional.of(current) : Optional.empty();
  }

  /** @return the current lease with its ZooKeeper details, if this instance holds a valid one */
  public Optional<ZooKeeperLease> currentZooKeeperLease() {
    ZooKeeperLease current = lease;
    return current != null && current.isValid() ? Optional.of(current) : Optional.empty();
  }

  /** @return this instance's participant id in the election */
  public String participantId() {
    return participantId;
  }

  /** @return the epoch znode whose version is the fencing token of the group */
  public String epochPath() {
    return epochPath;
  }

  /** @return the Curator client (to share its session with a {@link ZooKeeperStateStore}) */
  public CuratorFramework client() {
    return client;
  }

  @Override
  public void close() {
    synchronized (monitor) {
      if (closed) {
        return;
      }
      closed = true;
      monitor.notifyAll();
    }
    revoke("coordinator closed");
    client.getConnectionStateListenable().removeListener(connectionListener);
    executor.shutdownNow();
    try {
      if (started) {
        latch.close();
      }
    } catch (Exception e) {
      LOG.warn("coordinator {}: closing the leader latch failed; its node ends with the session", participantId, e);
    }
    if (ownsClient) {
      client.close();
    }
    LOG.info("coordinator {} closed", participantId);
  }

  private void onConnectionStateChanged(CuratorFramework c, ConnectionState state) {
    switch (state) {
      case SUSPENDED, LOST, READ_ONLY -> revoke("ZooKeeper connection " + state);
      case CONNECTED, RECONNECTED -> submit(this::grantIfLeader);
      default -> revoke("unknown ZooKeeper connection state " + state);
    }
  }

  private void submit(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException closing) {
      LOG.debug("coordinator {} is closing; task dropped", participantId);
    }
  }

  private void revoke(String reason) {
    ZooKeeperLease current = lease;
    if (current != null && current.revoke(reason)) {
      ended(current);
    }
  }

  private void ended(ZooKeeperLease ended) {
    if (!ended.markReported()) {
      return;
    }
    LOG.warn("coordinator {}: leadership term {} ended: {}", participantId, ended.token(), ended.endReason());
    events.publish(new DrEvent(clock.instant(), "coordination.leadership.lost", DrEvent.Severity.WARN, null,
        ended.token(), "leadership term " + ended.token() + " of " + participantId + " ended: " + ended.endReason(),
        Map.of()).with("participant", participantId).with("reason", ended.endReason()));
  }

  private void grantIfLeader() {
    if (closed || !latch.hasLeadership()) {
      return;
    }
    ZooKeeperLease current = lease;
    if (current != null && current.isValid()) {
      return;
    }
    String ourNode = latch.getOurPath();
    if (ourNode == null) {
      return;
    }
    try {
      ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
      long sessionId = zk.getSessionId();
      long window = windowNanos(zk.getSessionTimeout());
      long sentAt = nanoTime.getAsLong();
      // The latch may still name a node of a session that has just expired (the server rejected its
      // reconnection before it deleted the session's ephemerals): a term is granted only on a node
      // this very session owns, or an expired session could lead beside the next leader.
      Stat own = zk.exists(ourNode, false);
      if (own == null || own.getEphemeralOwner() != sessionId) {
        LOG.info("coordinator {}: latch node {} is not owned by the current session 0x{}; no term granted",
            participantId, ourNode, Long.toHexString(sessionId));
        return;
      }
      byte[] holder = ("{\"holder\":\"" + participantId + "\"}").getBytes(StandardCharsets.UTF_8);
      List<OpResult> results = zk.multi(List.of(Op.check(ourNode, -1), Op.setData(epochPath, holder, -1)));
      Stat stat = ((OpResult.SetDataResult) results.get(1)).getStat();
      ZooKeeperLease granted = new ZooKeeperLease(stat.getVersion(), participantId, sessionId, ourNode, epochPath,
          sentAt + window, nanoTime, latch::hasLeadership);
      synchronized (monitor) {
        if (closed) {
          return;
        }
        lease = granted;
        monitor.notifyAll();
      }
      LOG.info("coordinator {}: leadership term {} granted (session 0x{})", participantId, granted.token(),
          Long.toHexString(sessionId));
      events.publish(new DrEvent(clock.instant(), "coordination.leadership.acquired", DrEvent.Severity.INFO, null,
          granted.token(), participantId + " leads term " + granted.token(), Map.of())
          .with("participant", participantId).with("latchNode", ourNode));
    } catch (KeeperException.NoNodeException gone) {
      LOG.info("coordinator {}: latch node {} vanished before the term was granted", participantId, ourNode);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("coordinator {}: could not start a leadership term; retrying at the next heartbeat", participantId, e);
    }
  }

  private void heartbeat() {
    if (closed) {
      return;
    }
    ZooKeeperLease current = lease;
    if (current != null) {
      if (current.isValid()) {
        confirm(current);
      } else {
        ended(current);
      }
    }
    checkLatch();
    grantIfLeader();
  }

  /**
   * Curator's latch re-creates its node when the connection comes back; when that background
   * create itself fails (a connection loss while reconnecting, seen on loaded machines as
   * "creatingParentContainersIfNeeded() failed (rc = -4)"), the latch keeps no node and never leads
   * again although the connection is fine. A latch without a node for two session timeouts while
   * connected is replaced by a fresh one, which joins the election anew.
   */
  private void checkLatch() {
    LeaderLatch l = latch;
    if (closed || l.getOurPath() != null || !client.getZookeeperClient().isConnected()) {
      latchMissingSince = -1;
      return;
    }
    long now = nanoTime.getAsLong();
    if (latchMissingSince < 0) {
      latchMissingSince = now;
      return;
    }
    long stuck = now - latchMissingSince;
    if (stuck < 2 * TimeUnit.MILLISECONDS.toNanos(requestedSessionTimeoutMs())) {
      return;
    }
    latchMissingSince = -1;
    LOG.warn("coordinator {}: the leader latch has had no node for {} ms while connected; joining the election"
        + " again with a new latch", participantId, TimeUnit.NANOSECONDS.toMillis(stuck));
    revoke("leader latch restarted");
    try {
      l.close();
    } catch (Exception e) {
      LOG.debug("coordinator {}: closing the stuck latch failed: {}", participantId, e.toString());
    }
    LeaderLatch fresh = newLatch();
    latch = fresh;
    events.publish(new DrEvent(clock.instant(), "coordination.latch.restarted", DrEvent.Severity.WARN, null, 0,
        "the leader latch of " + participantId + " had no node for " + TimeUnit.NANOSECONDS.toMillis(stuck)
        + " ms while connected; a new latch joined the election", java.util.Map.of()).with("participant", participantId));
    try {
      fresh.start();
    } catch (Exception e) {
      LOG.warn("coordinator {}: the new leader latch did not start; retrying at a later heartbeat", participantId, e);
    }
  }

  /** The latch now (tests: to break it the way Curator can). */
  LeaderLatch latch() {
    return latch;
  }

  private void confirm(ZooKeeperLease current) {
    try {
      ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
      long window = windowNanos(zk.getSessionTimeout());
      long sentAt = nanoTime.getAsLong();
      if (zk.getSessionId() == 0) {
        return; // not connected right now: nothing confirms the term, its deadline decides
      }
      if (zk.getSessionId() != current.sessionId()) {
        // A new session answers for the client: the term's session has expired, even if its node is
        // still there until the server finishes deleting the expired session's ephemerals.
        revoke("session 0x" + Long.toHexString(current.sessionId()) + " was replaced by session 0x"
            + Long.toHexString(zk.getSessionId()));
        return;
      }
      Stat stat = zk.exists(current.latchNode(), false);
      if (stat == null || stat.getEphemeralOwner() != current.sessionId()) {
        revoke("latch node " + current.latchNode() + " no longer held by session 0x"
            + Long.toHexString(current.sessionId()));
      } else {
        current.extend(sentAt + window);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.debug("coordinator {}: heartbeat failed; the lease runs out unless a later one succeeds", participantId, e);
    }
  }

  private long windowNanos(int sessionTimeoutMs) {
    return (long) (TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMs) * safetyFactor);
  }

  private int requestedSessionTimeoutMs() {
    try {
      return client.getZookeeperClient().getZooKeeper().getSessionTimeout();
    } catch (Exception e) {
      return client.getZookeeperClient().getConnectionTimeoutMs();
    }
  }

  /** Builds a {@link ZooKeeperCoordinator}; every setting has a default. */
  public static final class Builder {
    private final @Nullable String connectString;
    private final @Nullable CuratorFramework client;
    private String basePath = "/drkit";
    private String group = "default";
    private @Nullable String participantId;
    private Duration sessionTimeout = Duration.ofSeconds(10);
    private Duration connectionTimeout = Duration.ofSeconds(5);
    private double safetyFactor = 0.6;
    private LongSupplier nanoTime = System::nanoTime;
    private Clock clock = Clock.systemUTC();
    private EventBus events = new EventBus();
    private @Nullable ThreadFactory threadFactory;

    private Builder(@Nullable String connectString, @Nullable CuratorFramework client) {
      this.connectString = connectString;
      this.client = client;
    }

    /**
     * @param basePath the root znode of drkit's data, default {@code /drkit}
     * @return this
     * @throws IllegalArgumentException when not an absolute path without a trailing slash
     */
    public Builder basePath(String basePath) {
      this.basePath = ZkNames.basePath(basePath);
      return this;
    }

    /**
     * @param group the election's name: instances of one group compete, default {@code default}
     * @return this
     * @throws IllegalArgumentException when not a valid drkit name
     */
    public Builder group(String group) {
      this.group = ZkNames.name("group", group);
      return this;
    }

    /**
     * @param participantId this instance's id in the election (logs, events), default a UUID
     * @return this
     * @throws IllegalArgumentException when not a valid drkit name
     */
    public Builder participantId(String participantId) {
      this.participantId = ZkNames.name("participantId", participantId);
      return this;
    }

    /**
     * @param sessionTimeout the ZooKeeper session timeout requested by an owned client, default
     *     10 s; the server bounds it to [2, 20] x its tick time
     * @return this
     * @throws IllegalArgumentException when not positive
     */
    public Builder sessionTimeout(Duration sessionTimeout) {
      this.sessionTimeout = positive("sessionTimeout", sessionTimeout);
      return this;
    }

    /**
     * @param connectionTimeout how long an owned client waits for a connection, default 5 s
     * @return this
     * @throws IllegalArgumentException when not positive
     */
    public Builder connectionTimeout(Duration connectionTimeout) {
      this.connectionTimeout = positive("connectionTimeout", connectionTimeout);
      return this;
    }

    /**
     * @param safetyFactor the fraction of the negotiated session timeout a confirmed lease lasts
     *     past its heartbeat, in (0, 0.9]; default 0.6. Lower values tolerate more clock-rate
     *     difference between this host and ZooKeeper's servers
     * @return this
     * @throws IllegalArgumentException when outside (0, 0.9]
     */
    public Builder leaseSafetyFactor(double safetyFactor) {
      if (!(safetyFactor > 0 && safetyFactor <= 0.9)) {
        throw new IllegalArgumentException("leaseSafetyFactor must be in (0, 0.9] but was " + safetyFactor);
      }
      this.safetyFactor = safetyFactor;
      return this;
    }

    /**
     * @param nanoTime the monotonic clock that lease deadlines are measured on, default
     *     {@link System#nanoTime()} (tests inject one to simulate a paused process)
     * @return this
     */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * @param clock the clock of event timestamps, default UTC system clock
     * @return this
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param events the shared bus that receives {@code coordination.leadership.acquired} / {@code .lost} events; pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /**
     * @param threadFactory makes the coordinator's one thread (heartbeat and leadership callbacks),
     *     named {@code drkit-zk-coordinator-<participant>} (default: the application's
     *     {@link dev.drkit.core.DrkitThreading default factory}, else a daemon platform thread)
     * @return this builder
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
      return this;
    }

    /** @return a coordinator, not yet started */
    public ZooKeeperCoordinator build() {
      if (client != null) {
        return new ZooKeeperCoordinator(this, client, false);
      }
      CuratorFramework owned = CuratorFrameworkFactory.builder()
          .connectString(Objects.requireNonNull(connectString, "connectString"))
          .sessionTimeoutMs(Math.toIntExact(sessionTimeout.toMillis()))
          .connectionTimeoutMs(Math.toIntExact(connectionTimeout.toMillis()))
          .retryPolicy(new ExponentialBackoffRetry(50, 3, 1000))
          .build();
      return new ZooKeeperCoordinator(this, owned, true);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive but was " + d);
      }
      return d;
    }
  }
}
