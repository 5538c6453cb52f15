package dev.drkit.examples.orders;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orders service's {@link FailoverActions}: how drkit fences, promotes, redirects, resyncs
 * and demotes its H2 sites. This is the class a user copies when embedding drkit:
 *
 * <ul>
 *   <li><b>fence</b>: the router stops sending traffic to the site, its replication is closed to
 *       older epochs, and, if the site is up, the site itself raises its epoch and refuses
 *       writes. A site that is down is fenced at the router and at replication (it never comes
 *       back writable on its own, see {@link OrderSite#start()}).</li>
 *   <li><b>promote</b>: the site becomes writable primary at the epoch and ships its writes.</li>
 *   <li><b>redirect</b>: the router switches to the site (the network reconfiguration).</li>
 *   <li><b>resync</b>: the returning site's divergent writes (orders the authoritative site does
 *       not have, for example writes the old primary committed but never acknowledged) are moved to
 *       its quarantine table and listed; it then follows the active site again and the orders it
 *       misses are copied until it has everything.</li>
 *   <li><b>demote</b>: the site becomes a replica of the active site.</li>
 * </ul>
 *
 * <p>Every action is idempotent for the same epoch, as the SPI requires, and refuses an epoch older
 * than the newest any action was called with ({@link dev.drkit.core.StaleEpochException}) before it
 * touches anything: that is what stops a paused leader's late call after its successor acted.
 */
public final class OrderFailoverActions implements FailoverActions {
  private static final Logger LOG = LoggerFactory.getLogger(OrderFailoverActions.class);

  private final Map<Site, OrderSite> sites;
  private final Router router;
  private final OrderReplication replication;
  private final EventBus events;
  private final Clock clock;
  private final Duration catchUpTimeout;
  private final Duration drainTimeout;
  private final List<Order> quarantined = new CopyOnWriteArrayList<>();
  /** The newest epoch any action was called with: an older call is a paused leader's late one. */
  private final java.util.concurrent.atomic.AtomicLong newestEpoch = new java.util.concurrent.atomic.AtomicLong();

  /**
   * @param primary the primary site
   * @param backup the backup site
   * @param router the router in front of them
   * @param replication the replication between them
   * @param events where the actions' events go
   * @param clock the clock stamping events
   * @param catchUpTimeout how long resync may wait for the target to catch up
   */
  public OrderFailoverActions(OrderSite primary, OrderSite backup, Router router, OrderReplication replication,
      EventBus events, Clock clock, Duration catchUpTimeout) {
    this(primary, backup, router, replication, events, clock, catchUpTimeout, catchUpTimeout);
  }

  /**
   * @param primary the primary site
   * @param backup the backup site
   * @param router the router in front of them
   * @param replication the replication between them
   * @param events where the actions' events go
   * @param clock the clock stamping events
   * @param drainTimeout how long fencing a reachable site may wait for replication to ship what it
   *     already acknowledged (part of the outage: keep it short)
   * @param catchUpTimeout how long resync may wait for the target to catch up (before the switch:
   *     the active site serves meanwhile)
   */
  public OrderFailoverActions(OrderSite primary, OrderSite backup, Router router, OrderReplication replication,
      EventBus events, Clock clock, Duration drainTimeout, Duration catchUpTimeout) {
    this.drainTimeout = Objects.requireNonNull(drainTimeout, "drainTimeout");
    this.sites = Map.of(Site.PRIMARY, Objects.requireNonNull(primary, "primary"),
        Site.BACKUP, Objects.requireNonNull(backup, "backup"));
    this.router = Objects.requireNonNull(router, "router");
    this.replication = Objects.requireNonNull(replication, "replication");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.catchUpTimeout = Objects.requireNonNull(catchUpTimeout, "catchUpTimeout");
  }

  /** @return every order set aside as divergent by {@link #resync} so far */
  public List<Order> quarantined() {
    return List.copyOf(quarantined);
  }

  private void requireNewest(String action, long epoch) {
    long newest = newestEpoch.accumulateAndGet(epoch, Math::max);
    if (epoch < newest) {
      throw new dev.drkit.core.StaleEpochException("orders failover action " + action, epoch, newest);
    }
  }

  private OrderSite site(Site site) {
    return sites.get(Objects.requireNonNull(site, "site"));
  }

  @Override
  public void fence(String service, Site site, long epoch) throws Exception {
    requireNewest("fence", epoch);
    OrderSite s = site(site);
    router.fence(s.name(), epoch);
    boolean atSite = false;
    boolean drained = false;
    boolean wasPrimary = s.role() == SiteRole.PRIMARY;
    if (s.isRunning()) {
      try {
        boolean stuck = false;
        if ((s.epoch() < epoch || s.role() == SiteRole.PRIMARY) && !s.tryFence(epoch, drainTimeout)) {
          // Writes in flight hold the site: each waits for a replica that does not answer (sync
          // replication over a broken link, a paused replica). Fence replication first: those
          // writes fail and are never acknowledged; then the site takes the fence. Without this
          // the fence, and the failover with it, would wait for as long as the link is down.
          LOG.warn("{}: writes in flight held site {} for {}; fencing its replication first", service, s.name(),
              drainTimeout);
          replication.fence(s, epoch);
          s.fence(epoch);
          stuck = true;
        }
        atSite = true;
        // The site takes no more writes; ship what it already acknowledged before closing its
        // replication, so that a planned switchover loses nothing. A replica acknowledged nothing
        // (and, fenced, applies nothing more): there is nothing to drain, and waiting would only
        // hold the fence for the whole timeout while the primary keeps writing.
        drained = !stuck && (!wasPrimary || replication.awaitCaughtUp(drainTimeout));
      } catch (SiteUnavailableException e) {
        LOG.warn("{}: site {} went down while being fenced; fenced at the router and replication", service,
            s.name());
      }
    }
    replication.fence(s, epoch);
    publish("orders.fenced", service, epoch, "site " + s.name() + " fenced at epoch " + epoch
        + (atSite ? (drained ? ", replication drained" : ", replication NOT drained")
            : " at the router and replication (the site is down)"), Map.of("site", s.name()));
  }

  @Override
  public void promote(String service, Site site, long epoch) throws Exception {
    requireNewest("promote", epoch);
    OrderSite s = site(site);
    // Replication first: a promoted replica applies everything it holds before it takes writes.
    replication.ship(s, epoch);
    s.promote(epoch);
    publish("orders.promoted", service, epoch, "site " + s.name() + " is primary at epoch " + epoch,
        Map.of("site", s.name()));
  }

  @Override
  public void redirect(String service, Site site, long epoch) throws Exception {
    requireNewest("redirect", epoch);
    OrderSite s = site(site);
    Router.Route r = router.switchTo(s, epoch);
    publish("orders.redirected", service, epoch, "router sends traffic to " + s.name() + " at " + r.target(),
        Map.of("site", s.name()));
  }

  @Override
  public void resync(String service, Site target, Site source, long epoch) throws Exception {
    requireNewest("resync", epoch);
    OrderSite t = site(target);
    OrderSite src = site(source);
    if (!t.isRunning()) {
      throw new SiteUnavailableException("cannot resync " + t.name() + " of " + service + ": it is down");
    }
    // 1. Set aside what only the target has: writes it committed that the authoritative site never got.
    if (t.role() == SiteRole.PRIMARY) {
      t.fence(epoch);
    }
    Set<String> authoritative = src.orderIds();
    Set<String> divergent = new HashSet<>(t.orderIds());
    divergent.removeAll(authoritative);
    List<Order> moved = t.quarantine(divergent);
    quarantined.addAll(moved);
    // 2. Follow the source again, then copy what the target misses (writes continue meanwhile:
    //    replication carries the new ones, the copy the old ones; applying is idempotent).
    t.demote(epoch);
    replication.attach(t, epoch);
    Set<String> present = t.orderIds();
    List<Order> missing = src.orders().stream().filter(o -> !present.contains(o.id())).toList();
    int copied = 0;
    for (int i = 0; i < missing.size(); i += 512) {
      copied += t.applyReplicated(missing.subList(i, Math.min(missing.size(), i + 512)), epoch, -1);
    }
    boolean caughtUp = replication.awaitCaughtUp(catchUpTimeout);
    if (!caughtUp) {
      throw new dev.drkit.core.DrTimeoutException("resync of " + t.name() + " from " + src.name()
          + " did not catch up within " + catchUpTimeout, catchUpTimeout);
    }
    DrEvent e = new DrEvent(clock.instant(), "orders.resynced", DrEvent.Severity.INFO, service, epoch,
        "site " + t.name() + " resynced from " + src.name() + ": " + moved.size() + " divergent orders quarantined, "
            + copied + " copied", Map.of("quarantined", Integer.toString(moved.size()),
                "copied", Integer.toString(copied), "target", t.name(), "source", src.name()));
    events.publish(moved.isEmpty() ? e : new DrEvent(e.time(), e.type(), DrEvent.Severity.WARN, service, epoch,
        e.message(), e.attributes()));
  }

  @Override
  public void demote(String service, Site site, long epoch) throws Exception {
    requireNewest("demote", epoch);
    OrderSite s = site(site);
    s.demote(epoch);
    replication.attach(s, epoch);
    publish("orders.demoted", service, epoch, "site " + s.name() + " is a replica at epoch " + epoch,
        Map.of("site", s.name()));
  }

  private void publish(String type, String service, long epoch, String message, Map<String, String> attrs) {
    events.publish(new DrEvent(clock.instant(), type, DrEvent.Severity.INFO, service, epoch, message, attrs));
  }
}
