package dev.drkit.core.failover;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The steps of the failover phases and what a persisted state says about them: which steps are
 * done, whether the phase is past its point of no return, which site serves, and what a phase
 * taken over by a new leadership term must redo. Pure functions of {@link ServiceState}; the
 * engine runs them ({@link Phases}, {@link StepExecutor}). See docs/failover.md for the step lists.
 */
final class PhaseSteps {
  static final String STEP_FENCE = "fence";
  static final String STEP_DRAIN = "drain";
  static final String STEP_MEASURE_LOSS = "measure-loss";
  static final String STEP_PROMOTE = "promote";
  static final String STEP_REDIRECT = "redirect";
  static final String STEP_DEMOTE = "demote";
  static final String STEP_VALIDATE = "validate";
  static final String STEP_RESYNC = "resync";
  static final String STEP_VALIDATE_PRIMARY = "validate-primary";
  static final String STEP_SWITCH = "switch";
  static final String STEP_LOAD_SNAPSHOT = "load-snapshot";
  static final String STEP_REPLAY = "replay";
  static final String STEP_ROLLBACK = "rollback";
  static final String STEP_ROLLBACK_FENCE = "rollback-fence";
  static final String STEP_ROLLBACK_PROMOTE = "rollback-promote";
  static final String STEP_ROLLBACK_REDIRECT = "rollback-redirect";
  static final String STEP_ROLLBACK_DEMOTE = "rollback-demote";

  private static final Set<String> ROLLBACK_STEPS = Set.of(STEP_ROLLBACK_FENCE, STEP_ROLLBACK_PROMOTE,
      STEP_ROLLBACK_REDIRECT, STEP_ROLLBACK_DEMOTE);

  private PhaseSteps() {}

  /**
   * What a re-assigned phase keeps and which site it makes active.
   *
   * @param keep the steps still counted as done at the new epoch
   * @param active the site active at the new epoch
   */
  record Reassignment(Set<String> keep, Site active) {}

  /** @return the steps of the current phase recorded as done, in order */
  static Set<String> done(ServiceState s) {
    String d = s.attributes().get(FailoverEngine.ATTR_DONE);
    return d == null || d.isEmpty() ? Set.of() : new LinkedHashSet<>(Arrays.asList(d.split(",")));
  }

  /** @return {@code s} with {@code step} added to the steps done, and the given changes */
  static ServiceState withDone(ServiceState s, String step, Map<String, String> extra, long epoch, Site active,
      String reason) {
    Map<String, String> a = new TreeMap<>(s.attributes());
    Set<String> d = new LinkedHashSet<>(done(s));
    d.add(step);
    a.put(FailoverEngine.ATTR_DONE, String.join(",", d));
    a.putAll(extra);
    return new ServiceState(s.service(), s.state(), epoch, active, s.since(), reason, a);
  }

  /**
   * Whether the phase has passed its point of no return. FAILING_OVER fences the serving primary as
   * its first action and VALIDATING follows it, so both are committed from their start; FAILING_BACK
   * commits with its {@code switch} step (persisted just before the backup is fenced); REBUILDING
   * with its {@code fence} of both sites.
   */
  static boolean committed(ServiceState s) {
    return switch (s.state()) {
      case FAILING_OVER, VALIDATING -> true;
      case FAILING_BACK -> done(s).contains(STEP_SWITCH) || done(s).contains(STEP_ROLLBACK);
      case REBUILDING -> done(s).contains(STEP_FENCE);
      case PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED -> false;
    };
  }

  /** @return the site a phase is moving traffic to (the other one is the site it moves it from) */
  static Site target(ServiceState s) {
    return switch (s.state()) {
      case FAILING_BACK -> Site.PRIMARY;
      case REBUILDING -> s.activeSite();
      case PRIMARY_ACTIVE, PRIMARY_DEGRADED, FAILING_OVER, VALIDATING, BACKUP_ACTIVE, FAILED -> Site.BACKUP;
    };
  }

  /**
   * Which site serves, as far as the steps recorded in {@code s} tell: the old site before the
   * point of no return, the new one once it was redirected to, the old one again after a completed
   * rollback, and none in between.
   *
   * @return the serving site, or {@code null} when none serves
   */
  static @Nullable Site servingAfter(ServiceState s) {
    Set<String> d = done(s);
    if (d.contains(STEP_ROLLBACK)) {
      return d.contains(STEP_ROLLBACK_REDIRECT) ? s.activeSite() : null;
    }
    return switch (s.state()) {
      case FAILING_OVER -> d.contains(STEP_REDIRECT) ? Site.BACKUP
          : d.isEmpty() && !s.attributes().containsKey(FailoverEngine.ATTR_PREVIOUS_EPOCH) ? Site.PRIMARY : null;
      case VALIDATING, BACKUP_ACTIVE -> Site.BACKUP;
      case FAILING_BACK -> !d.contains(STEP_SWITCH) ? Site.BACKUP : d.contains(STEP_REDIRECT) ? Site.PRIMARY : null;
      case PRIMARY_ACTIVE, PRIMARY_DEGRADED -> Site.PRIMARY;
      case REBUILDING -> {
        if (d.contains(STEP_REDIRECT)) {
          yield s.activeSite();
        }
        if (!d.isEmpty() || s.attributes().containsKey(FailoverEngine.ATTR_PREVIOUS_EPOCH)) {
          yield null;
        }
        String from = s.attributes().get(Replayer.ATTR_FROM_SITE);
        yield from == null || from.equals(FailoverEngine.NO_SITE) ? null : Site.valueOf(from);
      }
      case FAILED -> {
        String v = s.attributes().get(FailoverEngine.ATTR_SERVING_SITE);
        yield v == null || v.equals(FailoverEngine.NO_SITE) ? null : Site.valueOf(v);
      }
    };
  }

  /** @return the value of {@link FailoverEngine#ATTR_SERVING_SITE} for {@code s} */
  static String siteName(@Nullable Site s) {
    return s == null ? FailoverEngine.NO_SITE : s.name();
  }

  /**
   * What a phase redoes when it is re-assigned at a new epoch: under a new leadership term (or a
   * state without one), a rollback in progress redoes its own steps; FAILING_OVER and VALIDATING
   * redo everything; FAILING_BACK keeps its resync, validation and switch when it had switched, and
   * otherwise only redoes what is not done yet; REBUILDING redoes everything (fence, load, replay at
   * the new epoch). A retry after a rollback redoes the whole phase.
   *
   * @param s a state in a phase
   * @param retryAfterRollback whether an operator retries a rolled-back phase
   * @return the plan
   * @throws IllegalArgumentException when {@code s} is not in a phase
   */
  static Reassignment reassignment(ServiceState s, boolean retryAfterRollback) {
    Set<String> d = done(s);
    Set<String> keep = new LinkedHashSet<>();
    if (d.contains(STEP_ROLLBACK) && !retryAfterRollback) {
      keep.addAll(d);
      keep.removeAll(ROLLBACK_STEPS);
      return new Reassignment(keep, s.activeSite());
    }
    return switch (s.state()) {
      case FAILING_OVER, VALIDATING -> new Reassignment(keep, Site.BACKUP);
      case REBUILDING -> new Reassignment(keep, s.activeSite());
      case FAILING_BACK -> {
        if (d.contains(STEP_ROLLBACK)) {
          yield new Reassignment(keep, Site.BACKUP);
        }
        if (d.contains(STEP_SWITCH)) {
          keep.addAll(List.of(STEP_RESYNC, STEP_VALIDATE_PRIMARY, STEP_SWITCH));
          keep.retainAll(d);
          yield new Reassignment(keep, Site.PRIMARY);
        }
        keep.addAll(d);
        yield new Reassignment(keep, Site.BACKUP);
      }
      case PRIMARY_ACTIVE, PRIMARY_DEGRADED, BACKUP_ACTIVE, FAILED ->
          throw new IllegalArgumentException(s.state() + " is not a phase");
    };
  }
}
