package dev.drkit.examples.orders;

/**
 * Called by a primary {@link OrderSite} after it committed an order and before it acknowledges it
 * to the client: this is where replication plugs in. A synchronous replication hook returns only
 * when the replica has the write; an asynchronous one queues it and returns at once.
 */
@FunctionalInterface
public interface WriteHook {
  /**
   * @param order the committed order
   * @throws Exception when the write could not be handed on; the client then gets an error and
   *     does not count the write as acknowledged
   */
  void afterCommit(Order order) throws Exception;

  /** @return a hook that does nothing (no replication) */
  static WriteHook none() {
    return order -> {};
  }
}
