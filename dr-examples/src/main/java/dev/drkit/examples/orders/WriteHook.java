package dev.drkit.examples.orders;

/**
 * Called by a primary {@link OrderSite} after it committed a write and before it acknowledges it
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

  /**
   * Called for each order a committed delete removed ({@link OrderSite#delete}). The default
   * refuses, so that a hook written before deletes existed cannot drop them silently: the delete
   * is then reported as committed locally but not replicated.
   *
   * @param order the order as it was when deleted
   * @throws Exception when the delete could not be handed on
   */
  default void afterDelete(Order order) throws Exception {
    throw new UnsupportedOperationException("this write hook does not replicate deletes (order " + order.id() + ")");
  }

  /** @return a hook that does nothing (no replication) */
  static WriteHook none() {
    return new WriteHook() {
      @Override
      public void afterCommit(Order order) {}

      @Override
      public void afterDelete(Order order) {}
    };
  }
}
