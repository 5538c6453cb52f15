package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.replication.spi.ReplicationSink;
import dev.drkit.replication.spi.ReplicationTransport;
import dev.drkit.core.spi.Site;
import dev.drkit.replication.spi.SnapshotProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication's part of the core's failover actions for the two sites of one service, composed
 * around the host's own actions (which still redirect traffic and reconfigure everything else):
 *
 * <ul>
 *   <li>{@link #fence}: closes the site's log at the new epoch (its primary stops shipping and
 *       its waiting appends fail with {@link dev.drkit.core.StaleEpochException});
 *   <li>{@link #promote}: the replica stops applying, applies what it holds durably, takes the new
 *       epoch and starts shipping its own log to the other site;
 *   <li>{@link #resync}: finds the divergence point, quarantines the target's divergent suffix,
 *       rewinds (or snapshots) its host state and copies the source's records ({@link Resync});
 *   <li>{@link #demote}: the stepped-down site becomes a replica of the active one again.
 * </ul>
 *
 * <p>Replication runs first, then the host's action. Every method is idempotent for the same
 * epoch, and refuses an epoch older than the newest the site's log has seen
 * ({@link StaleEpochException}, before anything changes), so a late action of a deposed leader
 * cannot undo what its successor did at a newer epoch. Both sites' logs must be reachable from this process (in-process sites, or a process
 * with both sites' storage mounted); shipping between them may run over any transport. Thread-safe.
 */
public final class ReplicationFailoverActions implements FailoverActions {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationFailoverActions.class);
  private final String service;
  private final Map<Site, SiteHandle> sites = new EnumMap<>(Site.class);
  private final @Nullable FailoverActions host;
  private final ReplicationMode mode;
  private final LagBounds lagBounds;
  private final EventBus events;
  private final Clock clock;
  private final @Nullable SnapshotProvider snapshots;
  private final boolean shipBeforeDurable;
  private final boolean rewindDivergedBackup;
  private @Nullable Site active;

  /**
   * One site as replication sees it.
   *
   * @param log the site's replication log
   * @param sink the site's host state
   * @param transport serves this site as a replica, and connects to the other site when this one
   *     is primary
   */
  public record SiteHandle(ReplicationLog log, ReplicationSink sink, ReplicationTransport transport) {
    /** Validates. */
    public SiteHandle {
      Objects.requireNonNull(log, "log");
      Objects.requireNonNull(sink, "sink");
      Objects.requireNonNull(transport, "transport");
    }
  }

  private static final class SiteState {
    final Site site;
    final SiteHandle handle;
    @Nullable ReplicationPrimary primary;
    @Nullable ReplicaApplier applier;
    @Nullable AutoCloseable serving;

    SiteState(Site site, SiteHandle handle) {
      this.site = site;
      this.handle = handle;
    }
  }

  private final Map<Site, SiteState> states = new EnumMap<>(Site.class);

  private ReplicationFailoverActions(Builder b) {
    this.service = b.service;
    this.host = b.host;
    this.mode = b.mode;
    this.lagBounds = b.lagBounds;
    this.events = b.events;
    this.clock = b.clock;
    this.snapshots = b.snapshots;
    this.shipBeforeDurable = b.shipBeforeDurable;
    this.rewindDivergedBackup = b.rewindDivergedBackup;
    sites.putAll(b.sites);
    for (Site s : Site.values()) {
      SiteHandle h = sites.get(s);
      if (h == null) {
        throw new IllegalArgumentException("replication of " + service + " needs both sites; " + s + " is missing");
      }
      states.put(s, new SiteState(s, h));
    }
  }

  /**
   * @param service the protected service the actions fence, promote and resync
   * @return a builder
   */
  public static Builder builder(String service) {
    return new Builder(service);
  }

  /**
   * Starts normal operation: {@code primary} ships at {@code epoch}, the other site is its replica.
   *
   * @param primary the active site
   * @param epoch the current epoch
   */
  public synchronized void start(Site primary, long epoch) {
    becomeReplica(state(primary.other()));
    becomePrimary(state(primary), epoch);
  }

  @Override
  public void fence(String service, Site site, long epoch) throws Exception {
    checkService(service);
    synchronized (this) {
      SiteState s = state(site);
      refuseOlder(s, "fence", epoch);
      if (s.primary != null) {
        s.primary.fence(epoch);
        s.primary.close();
        s.primary = null;
      } else if (s.handle.log().currentEpoch() < epoch) {
        s.handle.log().fence(epoch);
      }
      if (active == site) {
        active = null;
      }
    }
    if (host != null) {
      host.fence(service, site, epoch);
    }
  }

  @Override
  public void promote(String service, Site site, long epoch) throws Exception {
    checkService(service);
    synchronized (this) {
      SiteState s = state(site);
      refuseOlder(s, "promote", epoch);
      if (s.primary == null || s.primary.epoch() != epoch) {
        if (s.primary != null) {
          s.primary.close();
          s.primary = null;
        }
        if (s.applier != null) {
          s.applier.promote(epoch);
        }
        stopServing(s);
        s.applier = null;
        becomePrimary(s, epoch);
      }
    }
    if (host != null) {
      host.promote(service, site, epoch);
    }
  }

  @Override
  public void redirect(String service, Site site, long epoch) throws Exception {
    checkService(service);
    if (host != null) {
      host.redirect(service, site, epoch);
    } else {
      LOG.debug("replication of {}: redirect to {} at epoch {} has nothing to do here", service, site, epoch);
    }
  }

  @Override
  public void resync(String service, Site target, Site source, long epoch) throws Exception {
    checkService(service);
    synchronized (this) {
      SiteState t = state(target);
      SiteState s = state(source);
      refuseOlder(t, "resync", epoch);
      if (t.primary != null) {
        t.primary.fence(epoch);
        t.primary.close();
        t.primary = null;
      }
      stopServing(t);
      t.applier = null;
      Resync.run(service, t.handle.log(), t.handle.sink(), s.handle.log(), snapshots, events, clock, off -> {});
      if (s.primary != null) {
        s.primary.resynced();
      }
    }
    if (host != null) {
      host.resync(service, target, source, epoch);
    }
  }

  @Override
  public void demote(String service, Site site, long epoch) throws Exception {
    checkService(service);
    synchronized (this) {
      SiteState s = state(site);
      refuseOlder(s, "demote", epoch);
      if (s.primary != null) {
        s.primary.fence(epoch);
        s.primary.close();
        s.primary = null;
      }
      if (s.applier == null) {
        becomeReplica(s);
      }
      SiteState other = state(site.other());
      if (other.primary != null) {
        other.primary.resynced();
      }
    }
    if (host != null) {
      host.demote(service, site, epoch);
    }
  }

  /**
   * Refuses an action older than the newest epoch the site's log has seen: a late action of a
   * leader that was paused while another one moved the roles on must not undo them.
   */
  private void refuseOlder(SiteState s, String action, long epoch) {
    long newest = s.handle.log().currentEpoch();
    if (epoch < newest) {
      throw new StaleEpochException(action + " of " + s.site + " for " + service, epoch, newest);
    }
  }

  private void becomePrimary(SiteState s, long epoch) {
    ReplicationPrimary p = ReplicationPrimary.builder(service, s.handle.log(), s.handle.transport()).mode(mode)
        .epoch(epoch).eventBus(events).clock(clock).lagBounds(lagBounds).replicaSite(s.site.other())
        .replicaName(s.site.other().name()).shipBeforeDurable(shipBeforeDurable)
        .rewindDivergedBackup(rewindDivergedBackup).build();
    p.start();
    s.primary = p;
    active = s.site;
  }

  private void becomeReplica(SiteState s) {
    stopServing(s);
    ReplicaApplier a = new ReplicaApplier(service, s.handle.log(), s.handle.sink(), events, clock);
    s.applier = a;
    s.serving = s.handle.transport().serve(service, a);
  }

  private static void stopServing(SiteState s) {
    AutoCloseable c = s.serving;
    s.serving = null;
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("could not stop serving replication on {}", s.site, e);
      }
    }
  }

  // every site has a state from the constructor on
  private SiteState state(Site site) {
    return Objects.requireNonNull(states.get(site), site.name());
  }

  /**
   * @param site the site to look up
   * @return its primary while it is the active site, else {@code null}
   */
  public synchronized @Nullable ReplicationPrimary primary(Site site) {
    return state(site).primary;
  }

  /**
   * @param site the site to look up
   * @return its applier while it is a replica, else {@code null}
   */
  public synchronized @Nullable ReplicaApplier replica(Site site) {
    return state(site).applier;
  }

  /**
   * @return the estimated data loss of promoting a site now, for the core's RPO gate: the active
   *     primary's replication lag for the replica site, zero for the active site itself, and
   *     "forever" when no primary is shipping (nothing is known about the replica)
   */
  public DataLossEstimator dataLossEstimator() {
    return (svc, target) -> {
      checkService(svc);
      ReplicationPrimary p;
      Site a;
      synchronized (this) {
        a = active;
        p = a == null ? null : state(a).primary;
      }
      if (p == null) {
        return ChronoUnit.FOREVER.getDuration();
      }
      return target == a ? Duration.ZERO : p.lagTracker().estimate(svc, target);
    };
  }

  /** Stops shipping and serving on both sites (logs stay open; the host closes them). */
  public synchronized void close() {
    for (SiteState s : states.values()) {
      if (s.primary != null) {
        s.primary.close();
        s.primary = null;
      }
      stopServing(s);
    }
  }

  private void checkService(String s) {
    if (!service.equals(s)) {
      throw new IllegalArgumentException("replication actions of " + service + " called for service " + s);
    }
  }

  /** Builds {@link ReplicationFailoverActions}. */
  public static final class Builder {
    private final String service;
    private final Map<Site, SiteHandle> sites = new EnumMap<>(Site.class);
    private @Nullable FailoverActions host;
    private ReplicationMode mode = ReplicationMode.async();
    private LagBounds lagBounds = LagBounds.unbounded();
    private EventBus events = new EventBus();
    private Clock clock = Clock.systemUTC();
    private @Nullable SnapshotProvider snapshots;
    private boolean shipBeforeDurable;
    private boolean rewindDivergedBackup;

    private Builder(String service) {
      this.service = Objects.requireNonNull(service, "service");
    }

    /** @param site which site @param handle its replication parts @return this */
    public Builder site(Site site, SiteHandle handle) {
      sites.put(Objects.requireNonNull(site, "site"), Objects.requireNonNull(handle, "handle"));
      return this;
    }

    /** @param v the host's own actions, called after replication's @return this */
    public Builder host(@Nullable FailoverActions v) {
      this.host = v;
      return this;
    }

    /** @param v the replication mode @return this */
    public Builder mode(ReplicationMode v) {
      this.mode = Objects.requireNonNull(v, "mode");
      return this;
    }

    /** @param v lag bounds for events @return this */
    public Builder lagBounds(LagBounds v) {
      this.lagBounds = Objects.requireNonNull(v, "lagBounds");
      return this;
    }

    /**
     * @param v the shared bus that receives the actions' events (and those of the primaries and replicas they start); pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus v) {
      this.events = Objects.requireNonNull(v, "events");
      return this;
    }

    /** @param v the clock @return this */
    public Builder clock(Clock v) {
      this.clock = Objects.requireNonNull(v, "clock");
      return this;
    }

    /**
     * @param v whether the primary ships records before its own force
     *     ({@link ReplicationPrimary.Builder#shipBeforeDurable}); then {@link #start} after a
     *     restart, like every promotion, must use an epoch newer than the site's log holds
     * @return this
     */
    public Builder shipBeforeDurable(boolean v) {
      this.shipBeforeDurable = v;
      return this;
    }

    /**
     * @param v whether the primary asks a diverged replica (the returning old primary) to rewind
     *     itself over the transport ({@link ReplicationPrimary.Builder#rewindDivergedBackup}), so
     *     that {@link #demote} alone brings it back without {@link #resync}
     * @return this
     */
    public Builder rewindDivergedBackup(boolean v) {
      this.rewindDivergedBackup = v;
      return this;
    }

    /** @param v snapshots for replicas too far behind @return this */
    public Builder snapshots(@Nullable SnapshotProvider v) {
      this.snapshots = v;
      return this;
    }

    /**
     * @return the actions (call {@link ReplicationFailoverActions#start} to begin replicating)
     * @throws IllegalArgumentException if a site is missing
     */
    public ReplicationFailoverActions build() {
      return new ReplicationFailoverActions(this);
    }
  }
}
