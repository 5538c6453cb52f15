package dev.drkit.examples.orders;

import java.time.Duration;

/**
 * Continuous replication of the orders service between its sites: every client write the primary
 * commits is shipped to the replica, synchronously (the write is acknowledged only once the
 * replica has it) or asynchronously, as the plan says. {@link OrderFailoverActions} drives it
 * through role changes. Implementations are thread-safe.
 */
public interface OrderReplication extends AutoCloseable {
  /** @return {@code sync} or {@code async} */
  String mode();

  /**
   * Makes {@code primary} the source: from now on every write it commits is shipped (its
   * {@link WriteHook} is set), tagged with {@code epoch}. Idempotent for the same site and epoch.
   *
   * @param primary the site that accepts writes
   * @param epoch its epoch
   * @throws Exception when the source cannot be set up
   */
  void ship(OrderSite primary, long epoch) throws Exception;

  /**
   * Makes {@code replica} follow the current source from now on. Writes the source committed
   * while the replica was detached are caught up from the log where it still holds them.
   * Idempotent.
   *
   * @param replica the site that applies shipped writes
   * @param epoch the current epoch
   * @throws Exception when the replica cannot be attached
   */
  void attach(OrderSite replica, long epoch) throws Exception;

  /**
   * Stops every replication role of {@code site} below {@code epoch}: a fenced source ships
   * nothing more, a replica applies nothing more from an older epoch. Works while the site is down.
   *
   * @param site the fenced site
   * @param epoch the new epoch
   * @throws Exception when the site's replication could not be fenced
   */
  void fence(OrderSite site, long epoch) throws Exception;

  /**
   * @return how far the replica trails the source: the age of the oldest write the source
   *     committed that the replica has not applied, {@link Duration#ZERO} when caught up
   */
  Duration lag();

  /**
   * Waits until the replica holds everything the source committed so far.
   *
   * @param timeout the most to wait
   * @return whether it caught up in time
   * @throws InterruptedException when interrupted
   */
  boolean awaitCaughtUp(Duration timeout) throws InterruptedException;

  /** Stops replication and releases its resources. */
  @Override
  void close();
}
