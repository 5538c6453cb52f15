package dev.drkit.core.failover;

import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.StateStore;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two simulated sites and a router that honour fencing like real storage does: a fenced site
 * refuses promotion below its fence epoch, the router refuses redirects from older epochs. Checks
 * the safety invariants on every call and records violations instead of throwing them (so that a
 * test sees them even when the engine swallows exceptions).
 */
final class SimulatedSites implements FailoverActions {
  /** Decides, before each call, whether it fails; may throw an exception or a {@link SimulatedCrash}. */
  interface Fault {
    void before(String op, Site site, long epoch) throws Exception;
  }

  private final StateStore store;
  private final Map<Site, Long> fencedAt = new EnumMap<>(Site.class);
  private final Map<Site, Long> promotedAt = new EnumMap<>(Site.class);
  private final Map<Long, Site> promotedPerEpoch = new HashMap<>();
  private long routerEpoch;
  private Site routedTo = Site.PRIMARY;
  private volatile Fault fault = (op, site, epoch) -> {};
  private volatile Fault after = (op, site, epoch) -> {};
  final List<String> calls = new ArrayList<>();
  final List<String> violations = new ArrayList<>();

  SimulatedSites(StateStore store) {
    this.store = store;
    fencedAt.put(Site.PRIMARY, 0L);
    fencedAt.put(Site.BACKUP, 0L);
    promotedAt.put(Site.PRIMARY, 1L);
    promotedAt.put(Site.BACKUP, 0L);
    promotedPerEpoch.put(1L, Site.PRIMARY);
    routerEpoch = 1;
  }

  void fault(Fault f) {
    this.fault = f;
  }

  /** @param f called after each call took effect (to crash after an action, before it is recorded) */
  void afterEach(Fault f) {
    this.after = f;
  }

  private synchronized void enter(String op, String service, Site site, long epoch) throws Exception {
    calls.add(op + " " + site + " @" + epoch);
    long stored = store.load(service).orElseThrow().value().epoch();
    if (epoch > stored) {
      violations.add(op + " " + site + " at epoch " + epoch + " before the epoch was persisted (stored " + stored + ")");
    }
  }

  synchronized boolean writable(Site s) {
    long p = promotedAt.get(s);
    return p >= 1 && p >= fencedAt.get(s);
  }

  synchronized List<Site> writableSites() {
    List<Site> w = new ArrayList<>();
    for (Site s : Site.values()) {
      if (writable(s)) {
        w.add(s);
      }
    }
    return w;
  }

  synchronized Site routedTo() {
    return routedTo;
  }

  private void checkInvariants() {
    if (writableSites().size() > 1) {
      violations.add("two writable sites after " + calls.get(calls.size() - 1) + ": fenced " + fencedAt
          + " promoted " + promotedAt);
    }
  }

  @Override
  public void fence(String service, Site site, long epoch) throws Exception {
    fault.before("fence", site, epoch);
    synchronized (this) {
      enter("fence", service, site, epoch);
      fencedAt.merge(site, epoch, Math::max);
      checkInvariants();
    }
    after.before("fence", site, epoch);
  }

  @Override
  public void promote(String service, Site site, long epoch) throws Exception {
    fault.before("promote", site, epoch);
    synchronized (this) {
      enter("promote", service, site, epoch);
      if (epoch < fencedAt.get(site)) {
        throw new StaleEpochException(site + " storage", epoch, fencedAt.get(site));
      }
      Site earlier = promotedPerEpoch.putIfAbsent(epoch, site);
      if (earlier != null && earlier != site) {
        violations.add("epoch " + epoch + " promoted both " + earlier + " and " + site);
      }
      if (fencedAt.get(site.other()) < epoch) {
        violations.add("promoted " + site + " at " + epoch + " before fencing " + site.other() + " (fenced at "
            + fencedAt.get(site.other()) + ")");
      }
      promotedAt.merge(site, epoch, Math::max);
      checkInvariants();
    }
    after.before("promote", site, epoch);
  }

  @Override
  public void redirect(String service, Site site, long epoch) throws Exception {
    fault.before("redirect", site, epoch);
    synchronized (this) {
      enter("redirect", service, site, epoch);
      if (epoch < routerEpoch) {
        throw new StaleEpochException("router", epoch, routerEpoch);
      }
      routerEpoch = epoch;
      routedTo = site;
    }
    after.before("redirect", site, epoch);
  }

  @Override
  public void resync(String service, Site target, Site source, long epoch) throws Exception {
    fault.before("resync", target, epoch);
    synchronized (this) {
      enter("resync", service, target, epoch);
    }
    after.before("resync", target, epoch);
  }

  @Override
  public void demote(String service, Site site, long epoch) throws Exception {
    fault.before("demote", site, epoch);
    synchronized (this) {
      enter("demote", service, site, epoch);
    }
    after.before("demote", site, epoch);
  }
}
