package dev.drkit.zookeeper;

import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.config.Names;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.StorageException;
import dev.drkit.core.VersionConflictException;
import dev.drkit.core.internal.ServiceStateCodec;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} on ZooKeeper: each service's state is one persistent znode
 * {@code <basePath>/state/<service>} holding JSON (drkit's one state codec, shared with the file
 * store, plus a {@code writeId}; a state missing a field, such as its epoch, is refused as
 * unreadable); compare-and-set is ZooKeeper's conditional
 * {@code setData} on the znode's version (a create for version {@code 0}). ZooKeeper writes are
 * linearizable, durable on a quorum's disks before they are acknowledged, and never torn.
 *
 * <p>Version mapping: the store's version is the znode's version + 1 (a created znode has
 * version 0, the store's first version is 1).
 *
 * <p>A write interrupted by a lost connection is retried by Curator's retry policy; each write
 * carries a unique id, so a retry that finds its own earlier attempt applied reports success
 * rather than a false conflict. When the outcome cannot be determined (the retries are exhausted)
 * the call throws {@link StorageException}; the stored state is then either the old one or the
 * new one, never a mix, and the caller reloads.
 *
 * <p>{@link #fencedBy(ZooKeeperLease)} and {@link #fencedBy(String, long)} return views whose
 * writes commit only while a leadership term is the newest one: the check of the epoch znode's
 * version and the state write are one ZooKeeper transaction. A deposed leader's writes are
 * refused with {@link StaleEpochException} by ZooKeeper itself, however late they arrive.
 *
 * <p>Thread-safe. The Curator client belongs to the caller, who starts and closes it.
 */
public final class ZooKeeperStateStore implements StateStore {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperStateStore.class);
  private final CuratorFramework client;
  private final boolean ownsClient;
  private final String statePath;

  private ZooKeeperStateStore(CuratorFramework client, String basePath, boolean ownsClient) {
    this.client = Objects.requireNonNull(client, "client");
    this.statePath = ZkNames.basePath(basePath) + "/state";
    this.ownsClient = ownsClient;
  }

  /**
   * @param client a started Curator client (its retry policy governs retries of every call)
   * @param basePath the root znode of drkit's data, e.g. {@code /drkit}
   * @return a store under {@code <basePath>/state}
   * @throws IllegalArgumentException when {@code basePath} is not an absolute znode path
   */
  public static ZooKeeperStateStore create(CuratorFramework client, String basePath) {
    return new ZooKeeperStateStore(client, basePath, false);
  }

  /**
   * Connects with a client of its own, closed by {@link #close()}.
   *
   * @param connectString ZooKeeper's connect string, {@code host:port[,host:port...]}
   * @param basePath the root znode of drkit's data, e.g. {@code /drkit}
   * @param sessionTimeout the session timeout to request
   * @return a store under {@code <basePath>/state}
   * @throws IllegalArgumentException when {@code basePath} is not an absolute znode path
   */
  public static ZooKeeperStateStore connect(String connectString, String basePath, Duration sessionTimeout) {
    Objects.requireNonNull(connectString, "connectString");
    ZkNames.basePath(basePath);
    int timeout = Math.toIntExact(sessionTimeout.toMillis());
    CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connectString)
        .sessionTimeoutMs(timeout).connectionTimeoutMs(timeout)
        .retryPolicy(new ExponentialBackoffRetry(50, 3, 1000)).build();
    client.start();
    return new ZooKeeperStateStore(client, basePath, true);
  }

  /** Closes the Curator client if this store created it ({@link #connect}); otherwise nothing. */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  /**
   * @param lease a term granted by a {@link ZooKeeperCoordinator} on the same ensemble
   * @return a view of this store whose writes commit only while {@code lease} is valid locally and
   *     its term is the newest in ZooKeeper
   */
  public StateStore fencedBy(ZooKeeperLease lease) {
    Objects.requireNonNull(lease, "lease");
    return new Fenced(lease.epochPath(), lease.token(), lease);
  }

  /**
   * For a receiver that got a token with a command or a batch rather than a lease.
   *
   * @param epochPath the coordinator's epoch znode ({@link ZooKeeperCoordinator#epochPath()})
   * @param token a fencing token that coordinator issued
   * @return a view of this store whose writes commit only while {@code token} is the newest term
   * @throws IllegalArgumentException when {@code token} is not a znode version ({@code 1..2^31-1})
   */
  public StateStore fencedBy(String epochPath, long token) {
    Objects.requireNonNull(epochPath, "epochPath");
    if (token < 1 || token > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("token must be in [1, " + Integer.MAX_VALUE + "] but was " + token);
    }
    return new Fenced(epochPath, token, null);
  }

  /**
   * For an engine that follows leadership itself ({@code FailoverEngine.start()}), which is built
   * once and acts in many terms: every write is fenced by the term the written state records
   * ({@link dev.drkit.core.failover.FailoverEngine#ATTR_TERM}, the token of the lease the engine
   * acted under), so a write of a term that is no longer the newest is refused with
   * {@link dev.drkit.core.StaleEpochException}. A state that records no term may only be created
   * (expected version 0: the engine's initial PRIMARY_ACTIVE); otherwise it is refused.
   *
   * @param epochPath the coordinator's epoch znode ({@link ZooKeeperCoordinator#epochPath()})
   * @return the fenced view
   */
  public StateStore fencedByRecordedTerm(String epochPath) {
    Objects.requireNonNull(epochPath, "epochPath");
    return new StateStore() {
      @Override
      public Optional<Versioned<ServiceState>> load(String service) {
        return ZooKeeperStateStore.this.load(service);
      }

      @Override
      public long compareAndSet(String service, long expectedVersion, ServiceState state) {
        String term = state.attributes().get(dev.drkit.core.failover.FailoverEngine.ATTR_TERM);
        if (term == null) {
          if (expectedVersion != 0) {
            throw new LeadershipLostException("refused to store the state of service '" + service
                + "': it records no leadership term (attribute '"
                + dev.drkit.core.failover.FailoverEngine.ATTR_TERM + "') to fence the write with");
          }
          return ZooKeeperStateStore.this.compareAndSet(service, expectedVersion, state);
        }
        long token;
        try {
          token = Long.parseLong(term);
        } catch (NumberFormatException e) {
          throw new LeadershipLostException("refused to store the state of service '" + service
              + "': its leadership term '" + term + "' is not a token");
        }
        return fencedBy(epochPath, token).compareAndSet(service, expectedVersion, state);
      }

      @Override
      public Set<String> services() {
        return ZooKeeperStateStore.this.services();
      }
    };
  }

  @Override
  public Optional<Versioned<ServiceState>> load(String service) {
    String path = path(service);
    Stat stat = new Stat();
    byte[] data;
    try {
      data = client.getData().storingStatIn(stat).forPath(path);
    } catch (KeeperException.NoNodeException absent) {
      return Optional.empty();
    } catch (Exception e) {
      throw failure("cannot read the state of service '" + service + "' at " + path, e);
    }
    return Optional.of(new Versioned<>(decode(service, path, data), stat.getVersion() + 1L));
  }

  @Override
  public long compareAndSet(String service, long expectedVersion, ServiceState state) {
    return write(service, expectedVersion, state, null, 0);
  }

  @Override
  public Set<String> services() {
    try {
      List<String> children = client.getChildren().forPath(statePath);
      return Collections.unmodifiableSet(new TreeSet<>(children));
    } catch (KeeperException.NoNodeException none) {
      return Set.of();
    } catch (Exception e) {
      throw failure("cannot list the services under " + statePath, e);
    }
  }

  private long write(String service, long expectedVersion, ServiceState state, @Nullable String epochPath,
      long token) {
    Objects.requireNonNull(state, "state");
    String path = path(service);
    if (!service.equals(state.service())) {
      throw new IllegalArgumentException("service '" + service + "' differs from state.service() '"
          + state.service() + "'");
    }
    if (expectedVersion < 0 || expectedVersion > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("expectedVersion must be in [0, " + Integer.MAX_VALUE + "] but was "
          + expectedVersion);
    }
    String writeId = UUID.randomUUID().toString();
    byte[] data = ServiceStateCodec.encode(state, Map.of("writeId", writeId)).getBytes(StandardCharsets.UTF_8);
    try {
      List<CuratorOp> ops = new ArrayList<>(2);
      if (epochPath != null) {
        ops.add(client.transactionOp().check().withVersion((int) token).forPath(epochPath));
      }
      if (expectedVersion == 0) {
        ensureParent();
        ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(path, data));
      } else {
        ops.add(client.transactionOp().setData().withVersion((int) (expectedVersion - 1)).forPath(path, data));
      }
      client.transaction().forOperations(ops);
      LOG.debug("state of {} stored at version {}", service, expectedVersion + 1);
      return expectedVersion + 1;
    } catch (KeeperException e) {
      if (epochPath != null && failedAt(e, 0)) {
        throw new StaleEpochException("ZooKeeper epoch " + epochPath, token, currentEpoch(epochPath, e));
      }
      if (e instanceof KeeperException.NodeExistsException || e instanceof KeeperException.BadVersionException
          || e instanceof KeeperException.NoNodeException) {
        return resolveConflict(service, path, expectedVersion, writeId, e);
      }
      throw failure("cannot store the state of service '" + service + "' at " + path, e);
    } catch (Exception e) {
      throw failure("cannot store the state of service '" + service + "' at " + path, e);
    }
  }

  /** A conflict may be our own earlier attempt, applied before the connection dropped. */
  private long resolveConflict(String service, String path, long expectedVersion, String writeId, Exception cause) {
    Stat stat = new Stat();
    byte[] current;
    try {
      current = client.getData().storingStatIn(stat).forPath(path);
    } catch (KeeperException.NoNodeException absent) {
      throw new VersionConflictException(service, expectedVersion, 0);
    } catch (Exception e) {
      StorageException failure = failure("cannot read back the state of service '" + service + "' at " + path, e);
      failure.addSuppressed(cause);
      throw failure;
    }
    long actual = stat.getVersion() + 1L;
    if (actual == expectedVersion + 1) {
      try {
        if (writeId.equals(ServiceStateCodec.text(ServiceStateCodec.parse(current), "writeId"))) {
          LOG.info("state write of {} was applied before a connection loss; version {}", service, actual);
          return actual;
        }
      } catch (IllegalArgumentException corrupt) {
        LOG.warn("state of {} at {} is not readable: {}", service, path, corrupt.getMessage());
      }
    }
    throw new VersionConflictException(service, expectedVersion, actual);
  }

  private void ensureParent() throws Exception {
    if (client.checkExists().forPath(statePath) == null) {
      try {
        client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(statePath);
      } catch (KeeperException.NodeExistsException raced) {
        LOG.trace("{} created concurrently", statePath);
      }
    }
  }

  private static boolean failedAt(KeeperException e, int index) {
    List<OpResult> results = e.getResults();
    if (results == null || results.size() <= index) {
      return false;
    }
    return results.get(index) instanceof OpResult.ErrorResult error
        && error.getErr() != KeeperException.Code.OK.intValue()
        && error.getErr() != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue();
  }

  private long currentEpoch(String epochPath, Exception cause) {
    try {
      Stat stat = client.checkExists().forPath(epochPath);
      return stat == null ? 0 : stat.getVersion();
    } catch (Exception e) {
      e.addSuppressed(cause);
      LOG.debug("cannot read epoch {}", epochPath, e);
      return -1;
    }
  }

  private ServiceState decode(String service, String path, byte[] data) {
    try {
      ServiceState state = ServiceStateCodec.decode(ServiceStateCodec.parse(data));
      if (!state.service().equals(service)) {
        throw new IllegalArgumentException("it names service '" + state.service() + "'");
      }
      return state;
    } catch (IllegalArgumentException e) {
      throw new StorageException("state of service '" + service + "' at " + path + " is unreadable: "
          + e.getMessage(), e);
    }
  }

  private String path(String service) {
    Objects.requireNonNull(service, "service");
    if (!Names.isValid(service)) {
      throw new IllegalArgumentException("service name '" + service
          + "' must be 1-128 of [A-Za-z0-9._-] starting with a letter or digit");
    }
    return statePath + "/" + service;
  }

  private static StorageException failure(String message, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new StorageException(message + ": " + e, e);
  }

  /** The fenced view. */
  private final class Fenced implements StateStore {
    private final String epochPath;
    private final long token;
    private final @Nullable ZooKeeperLease lease;

    Fenced(String epochPath, long token, @Nullable ZooKeeperLease lease) {
      this.epochPath = epochPath;
      this.token = token;
      this.lease = lease;
    }

    @Override
    public Optional<Versioned<ServiceState>> load(String service) {
      return ZooKeeperStateStore.this.load(service);
    }

    @Override
    public long compareAndSet(String service, long expectedVersion, ServiceState state) {
      if (lease != null && !lease.isValid()) {
        throw new LeadershipLostException("refused to store the state of service '" + service
            + "': leadership term " + token + " has ended (" + lease.endReason() + ")");
      }
      return write(service, expectedVersion, state, epochPath, token);
    }

    @Override
    public Set<String> services() {
      return ZooKeeperStateStore.this.services();
    }
  }
}
