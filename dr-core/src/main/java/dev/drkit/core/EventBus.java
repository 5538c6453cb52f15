package dev.drkit.core;

import dev.drkit.spi.DrEvent;
import dev.drkit.spi.EventListener;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans events out to registered {@link EventListener}s. Thread-safe. A listener that throws is
 * logged and skipped; it never breaks the publisher or the other listeners.
 */
public final class EventBus implements EventListener {
  private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
  private final List<EventListener> listeners = new CopyOnWriteArrayList<>();

  /** Creates a bus with no listeners. */
  public EventBus() {}

  /**
   * @param listeners initial listeners
   * @return a bus with those listeners
   */
  public static EventBus of(EventListener... listeners) {
    EventBus bus = new EventBus();
    for (EventListener l : listeners) {
      bus.register(l);
    }
    return bus;
  }

  /**
   * @param listener a listener to add
   * @return a handle whose {@code close()} removes it again
   */
  public AutoCloseable register(EventListener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** @param event the event to deliver to every listener, in registration order */
  public void publish(DrEvent event) {
    Objects.requireNonNull(event, "event");
    for (EventListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError vme) {
          throw vme;
        }
        LOG.warn("event listener {} failed on {} event; ignored", l, event.type(), e);
      }
    }
  }

  @Override
  public void onEvent(DrEvent event) {
    publish(event);
  }
}
