package dev.drkit.core.failover;

import dev.drkit.core.CheckResult;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.StepResult;
import dev.drkit.core.ValidationReport;
import dev.drkit.core.spi.DataLossEstimator;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.ServiceValidator;
import dev.drkit.core.spi.Site;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model of two sites and a router built only from the calls the engine makes, as the receivers
 * of real actions see them. Each receiver (a site's storage, the router) remembers the newest epoch
 * it has seen and refuses anything older with {@link StaleEpochException} (as {@code OrderSite},
 * the example's {@code Router} and replication logs do); refused calls are recorded. A site is
 * writable when it was promoted at an epoch not below its fence; the service is served when the
 * router sends traffic to a writable site at the newest epoch any site was promoted at, and the
 * other site is not writable.
 *
 * <p>Every call (actions, validator, estimator) passes a {@link Script} first, which may throw,
 * move the fake clock, revoke the lease, or block. Thread-safe.
 */
final class SiteModel implements FailoverActions {
  /** Decides what happens to one call before it takes effect. */
  interface Script {
    /**
     * @param index the call's position among all calls since the last {@link #resetCalls()}
     * @param label what is called, for example {@code "promote BACKUP @2"} or {@code "estimate BACKUP"}
     */
    void before(int index, String label) throws Exception;
  }

  private final Map<Site, Long> seen = new EnumMap<>(Site.class);
  private final Map<Site, Long> fencedAt = new EnumMap<>(Site.class);
  private final Map<Site, Long> promotedAt = new EnumMap<>(Site.class);
  private long routerEpoch = 1;
  private Site routedTo = Site.PRIMARY;
  private final List<String> calls = new ArrayList<>();
  private final List<String> accepted = new ArrayList<>();
  private final List<String> refused = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private volatile Script script = (i, label) -> {};
  private int index;

  SiteModel() {
    for (Site s : Site.values()) {
      seen.put(s, s == Site.PRIMARY ? 1L : 0L);
      fencedAt.put(s, 0L);
      promotedAt.put(s, s == Site.PRIMARY ? 1L : 0L);
    }
  }

  void script(Script s) {
    this.script = s;
  }

  synchronized void resetCalls() {
    calls.clear();
    index = 0;
  }

  /** @return every call since the last reset, in order, including refused and failed ones */
  synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  synchronized List<String> accepted() {
    return List.copyOf(accepted);
  }

  synchronized List<String> refused() {
    return List.copyOf(refused);
  }

  synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  private void enter(String label) throws Exception {
    int i;
    synchronized (this) {
      i = index++;
      calls.add(label);
    }
    script.before(i, label);
  }

  private void checkEpoch(String label, Site receiver, long epoch) {
    long newest = seen.get(receiver);
    if (epoch < newest) {
      refused.add(label);
      throw new StaleEpochException(receiver + " (" + label + ")", epoch, newest);
    }
    seen.put(receiver, epoch);
    accepted.add(label);
  }

  synchronized boolean writable(Site s) {
    long p = promotedAt.get(s);
    return p >= 1 && p >= fencedAt.get(s);
  }

  synchronized long routerEpoch() {
    return routerEpoch;
  }

  synchronized long promotedAt(Site s) {
    return promotedAt.get(s);
  }

  /** @return the site that serves, if exactly one does at the newest epoch */
  synchronized Optional<Site> serving() {
    Site s = routedTo;
    long newest = Math.max(promotedAt.get(Site.PRIMARY), promotedAt.get(Site.BACKUP));
    boolean serves = writable(s) && !writable(s.other()) && promotedAt.get(s) == newest && routerEpoch == newest;
    return serves ? Optional.of(s) : Optional.empty();
  }

  @Override
  public String toString() {
    synchronized (this) {
      return "sites{seen " + seen + ", fenced " + fencedAt + ", promoted " + promotedAt + ", router " + routedTo
          + "@" + routerEpoch + "}";
    }
  }

  @Override
  public void fence(String service, Site site, long epoch) throws Exception {
    String label = "fence " + site + " @" + epoch;
    enter(label);
    synchronized (this) {
      checkEpoch(label, site, epoch);
      fencedAt.merge(site, epoch, Math::max);
    }
  }

  @Override
  public void promote(String service, Site site, long epoch) throws Exception {
    String label = "promote " + site + " @" + epoch;
    enter(label);
    synchronized (this) {
      checkEpoch(label, site, epoch);
      if (fencedAt.get(site.other()) < epoch) {
        violations.add(label + " while " + site.other() + " is fenced only at " + fencedAt.get(site.other()));
      }
      promotedAt.merge(site, epoch, Math::max);
      if (writable(Site.PRIMARY) && writable(Site.BACKUP)) {
        violations.add("two writable sites after " + label + ": " + this);
      }
    }
  }

  @Override
  public void redirect(String service, Site site, long epoch) throws Exception {
    String label = "redirect " + site + " @" + epoch;
    enter(label);
    synchronized (this) {
      if (epoch < routerEpoch) {
        refused.add(label);
        throw new StaleEpochException("router (" + label + ")", epoch, routerEpoch);
      }
      accepted.add(label);
      routerEpoch = epoch;
      routedTo = site;
    }
  }

  @Override
  public void resync(String service, Site target, Site source, long epoch) throws Exception {
    String label = "resync " + target + " @" + epoch;
    enter(label);
    synchronized (this) {
      checkEpoch(label, target, epoch);
    }
  }

  @Override
  public void demote(String service, Site site, long epoch) throws Exception {
    String label = "demote " + site + " @" + epoch;
    enter(label);
    synchronized (this) {
      checkEpoch(label, site, epoch);
    }
  }

  /** @return a validator whose calls go through the script (a passing report unless the script throws) */
  ServiceValidator validator(Clock clock) {
    return (RecoveryConfig c, Site site, long epoch) -> {
      try {
        enter("validate " + site + " @" + epoch);
      } catch (InterruptedException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      CheckResult check = new CheckResult("probe", CheckResult.Status.PASSED, Duration.ofMillis(1), "ok", null,
          Map.of());
      return new ValidationReport(c.name(), site, epoch, clock.instant(), Duration.ofMillis(1),
          List.of(new StepResult("smoke", true, 1.0, 1.0, Duration.ofMillis(1), List.of(check))));
    };
  }

  /** @return an estimator whose calls go through the script (no loss unless the script throws) */
  DataLossEstimator estimator() {
    return (service, target) -> {
      try {
        enter("estimate " + target);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return Duration.ZERO;
    };
  }
}
