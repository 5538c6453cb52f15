package dev.drkit.core.spi;

/**
 * The side effects of failover, failback and switchover that the host performs on its own
 * infrastructure. drkit persists each transition before it calls these, and calls them again
 * after a crash, so every method must be <b>idempotent for the same epoch</b>: calling it twice
 * with the same arguments has the effect of calling it once.
 *
 * <p>Every method receives the fencing epoch of the role change. An implementation should pass
 * the epoch on to whatever it reconfigures (storage, replication, a router) so that writes from an
 * older epoch are refused there ({@link dev.drkit.core.StaleEpochException}). The receivers must
 * also refuse any call whose epoch is older than the newest they have seen: drkit never calls them
 * with an older one, and an instance that took over from a paused leader acts at a newer epoch, so
 * that refusal is what stops the paused leader's late calls (drkit's lease checks happen at an
 * instant and cannot). A method that fails throws any exception; drkit retries it, and past the
 * retries either moves the service to {@code FAILED} (before the serving site was fenced) or
 * restores the old site at a new epoch by calling these methods again (after). Methods are called
 * from one thread per service at a time, but different services may be acted on concurrently.
 * Implementations must honour interruption.
 */
public interface FailoverActions {
  /**
   * Makes {@code site} unable to serve or write as primary for any epoch below {@code epoch}
   * (stop it, revoke its lease, close its replication log, raise the epoch of its storage). Must
   * succeed even when the site is unreachable, for example by fencing at the shared storage or at
   * the router; if the site cannot be fenced, throw.
   *
   * @param service the name of the protected service, as in its {@code RecoveryConfig}
   * @param site the site to fence
   * @param epoch the new epoch; the fenced site may act only below it
   * @throws Exception when the site could not be fenced
   */
  void fence(String service, Site site, long epoch) throws Exception;

  /**
   * Makes {@code site} the writable primary at {@code epoch} (stop applying replication, open for
   * writes, start shipping its own log).
   *
   * @param service the name of the protected service, as in its {@code RecoveryConfig}
   * @param site the site to promote
   * @param epoch the epoch it serves under
   * @throws Exception when promotion failed
   */
  void promote(String service, Site site, long epoch) throws Exception;

  /**
   * Sends client traffic to {@code site} (DNS, a load balancer, a router: the design's
   * "network reconfiguration").
   *
   * @param service the name of the protected service, as in its {@code RecoveryConfig}
   * @param site the site that must receive traffic
   * @param epoch the epoch of the change
   * @throws Exception when traffic could not be switched
   */
  void redirect(String service, Site site, long epoch) throws Exception;

  /**
   * Brings {@code target} up to date from {@code source} (the active site) so that it can take
   * over again: find where their histories diverge, set aside the target's divergent writes, and
   * catch up. Returns when the target is caught up to within the service's RPO.
   *
   * @param service the name of the protected service, as in its {@code RecoveryConfig}
   * @param target the site to bring up to date
   * @param source the site that is active and authoritative
   * @param epoch the current epoch
   * @throws Exception when resync failed
   */
  void resync(String service, Site target, Site source, long epoch) throws Exception;

  /**
   * Makes a site that was fenced a replica of the active site again (replication from the active
   * site resumes into it). Called at the end of a failback or switchover for the site that stepped
   * down. The default does nothing.
   *
   * @param service the name of the protected service, as in its {@code RecoveryConfig}
   * @param site the site that is now a replica
   * @param epoch the current epoch
   * @throws Exception when the site could not be demoted
   */
  default void demote(String service, Site site, long epoch) throws Exception {}
}
