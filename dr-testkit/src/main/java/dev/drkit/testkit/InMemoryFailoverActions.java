package dev.drkit.testkit;

import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A reference {@link FailoverActions} double for tests of code that drives failovers: two in-memory
 * sites and a router that behave as the SPI asks (and as {@link FailoverActionsContract} checks).
 * Each site and the router keep the newest epoch they have seen and refuse an older one with
 * {@link StaleEpochException} before changing anything; every action is idempotent per epoch. Every
 * accepted call is recorded. Thread-safe.
 *
 * <p>It starts with {@link Site#PRIMARY} writable and receiving the traffic at the given epoch and
 * {@link Site#BACKUP} a replica. {@code resync} records the call and marks the target a replica.
 */
public final class InMemoryFailoverActions implements FailoverActions {
  /**
   * One accepted call.
   *
   * @param action {@code fence}, {@code promote}, {@code redirect}, {@code resync} or {@code demote}
   * @param service the service the call was for
   * @param site the site acted on (the target, for resync)
   * @param epoch the epoch of the call
   */
  public record Call(String action, String service, Site site, long epoch) {
    /** @return the call as tests compare it, e.g. {@code fence PRIMARY@2} */
    @Override
    public String toString() {
      return action + " " + site + "@" + epoch;
    }
  }

  private final String service;
  private final Map<Site, Long> newest = new EnumMap<>(Site.class);
  private final Map<Site, Boolean> writable = new EnumMap<>(Site.class);
  private final List<Call> calls = new ArrayList<>();
  private long routerEpoch;
  private Site trafficTarget = Site.PRIMARY;

  /**
   * @param service the only service these actions accept
   * @param initialEpoch the epoch the primary serves at
   */
  public InMemoryFailoverActions(String service, long initialEpoch) {
    this.service = Objects.requireNonNull(service, "service");
    for (Site s : Site.values()) {
      newest.put(s, initialEpoch);
      writable.put(s, s == Site.PRIMARY);
    }
    routerEpoch = initialEpoch;
  }

  private void admit(String action, String s, Site site, long epoch) {
    Objects.requireNonNull(site, "site");
    if (!service.equals(s)) {
      throw new IllegalArgumentException(action + " called for service " + s + " but these actions serve " + service);
    }
    long seen = Objects.requireNonNull(newest.get(site)); // the map holds both sites
    if (epoch < seen) {
      throw new StaleEpochException(action + " of " + site + " for " + service, epoch, seen);
    }
  }

  @Override
  public synchronized void fence(String s, Site site, long epoch) {
    admit("fence", s, site, epoch);
    newest.put(site, epoch);
    writable.put(site, false);
    calls.add(new Call("fence", s, site, epoch));
  }

  @Override
  public synchronized void promote(String s, Site site, long epoch) {
    admit("promote", s, site, epoch);
    newest.put(site, epoch);
    writable.put(site, true);
    calls.add(new Call("promote", s, site, epoch));
  }

  @Override
  public synchronized void redirect(String s, Site site, long epoch) {
    Objects.requireNonNull(site, "site");
    if (!service.equals(s)) {
      throw new IllegalArgumentException("redirect called for service " + s + " but these actions serve " + service);
    }
    if (epoch < routerEpoch) {
      throw new StaleEpochException("redirect to " + site + " for " + service, epoch, routerEpoch);
    }
    routerEpoch = epoch;
    trafficTarget = site;
    calls.add(new Call("redirect", s, site, epoch));
  }

  @Override
  public synchronized void resync(String s, Site target, Site source, long epoch) {
    admit("resync", s, target, epoch);
    Objects.requireNonNull(source, "source");
    if (target == source) {
      throw new IllegalArgumentException("resync of " + service + " needs two sites but got " + target + " twice");
    }
    newest.put(target, epoch);
    writable.put(target, false);
    calls.add(new Call("resync", s, target, epoch));
  }

  @Override
  public synchronized void demote(String s, Site site, long epoch) {
    admit("demote", s, site, epoch);
    newest.put(site, epoch);
    writable.put(site, false);
    calls.add(new Call("demote", s, site, epoch));
  }

  /**
   * @param site the site asked about
   * @return whether {@code site} accepts writes as primary
   */
  public synchronized boolean isWritable(Site site) {
    return Objects.requireNonNull(writable.get(Objects.requireNonNull(site, "site"))); // holds both sites
  }

  /** @return the site the router sends the traffic to */
  public synchronized Site trafficTarget() {
    return trafficTarget;
  }

  /**
   * @param site the site asked about
   * @return the newest epoch {@code site} has seen
   */
  public synchronized long newestEpoch(Site site) {
    return Objects.requireNonNull(newest.get(Objects.requireNonNull(site, "site"))); // holds both sites
  }

  /** @return every accepted call, oldest first */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }
}
