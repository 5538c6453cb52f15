package dev.drkit.core.spi;

/**
 * Receives every {@link DrEvent}. Called synchronously on the thread that produced the event, so
 * it must be fast and thread-safe; hand slow work to another thread. An exception thrown by a
 * listener is caught and logged by drkit and never breaks the engine.
 */
@FunctionalInterface
public interface EventListener {
  /** @param event the event */
  void onEvent(DrEvent event);
}
