package dev.drkit.core;

/**
 * A registration that can be undone: returned by {@link EventBus#subscribe} (and the other methods
 * that add a listener), closed to remove the listener again. Unlike a plain {@link AutoCloseable},
 * {@link #close()} throws no checked exception, so it fits try-with-resources and lambdas without
 * a {@code catch (Exception e)}.
 *
 * <p>Closing is idempotent and thread-safe; after it returns, the listener receives no event
 * published afterwards (an event being delivered concurrently may still reach it).
 */
public interface Subscription extends AutoCloseable {
  /** Removes the listener; later calls do nothing. */
  @Override
  void close();

  /** @return whether the listener is still registered (false once {@link #close()} was called) */
  boolean isActive();
}
