package dev.drkit.core;

import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.EventListener;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans events out to registered {@link EventListener}s. Thread-safe. A listener that throws is
 * logged and skipped; it never breaks the publisher or the other listeners.
 *
 * <p>Create one bus per application and pass it to every drkit builder with {@code .eventBus(bus)}
 * (the orchestrator hands its own to an engine factory). A builder given none publishes to a
 * private bus that nobody listens to; the first event such a bus drops is logged at DEBUG, naming
 * the event, so that lost events can be traced to the builder that was not given the bus.
 */
public final class EventBus implements EventListener {
  private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
  private final List<EventListener> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean unheardReported;

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
   * Adds a listener; the same as {@link #subscribe(EventListener)}.
   *
   * @param listener a listener to add
   * @return a handle whose {@link Subscription#close() close()} removes it again
   * @throws NullPointerException when {@code listener} is null
   */
  public Subscription register(EventListener listener) {
    return subscribe(listener);
  }

  /**
   * Adds a listener that receives every event, in registration order with the other listeners.
   *
   * @param listener a listener to add
   * @return a handle whose {@link Subscription#close() close()} removes it again
   * @throws NullPointerException when {@code listener} is null
   */
  public Subscription subscribe(EventListener listener) {
    Objects.requireNonNull(listener, "listener");
    // a wrapper per subscription, so that closing one of two subscriptions of one listener removes
    // exactly that one
    EventListener entry = new EventListener() {
      @Override
      public void onEvent(DrEvent event) {
        listener.onEvent(event);
      }

      @Override
      public String toString() {
        return listener.toString();
      }
    };
    listeners.add(entry);
    return new Subscription() {
      private volatile boolean active = true;

      @Override
      public void close() {
        active = false;
        listeners.remove(entry);
      }

      @Override
      public boolean isActive() {
        return active;
      }

      @Override
      public String toString() {
        return "Subscription[" + listener + (active ? "" : ", closed") + "]";
      }
    };
  }

  /**
   * Adds a listener that receives only the events whose type starts with a prefix (for example
   * {@code "replication."} or {@code "backup.succeeded"}).
   *
   * @param typePrefix the prefix of the event types wanted; {@code ""} for every event
   * @param listener a listener to add
   * @return a handle whose {@link Subscription#close() close()} removes it again
   * @throws NullPointerException when an argument is null
   */
  public Subscription subscribe(String typePrefix, EventListener listener) {
    Objects.requireNonNull(typePrefix, "typePrefix");
    Objects.requireNonNull(listener, "listener");
    return subscribe(new EventListener() {
      @Override
      public void onEvent(DrEvent event) {
        if (event.type().startsWith(typePrefix)) {
          listener.onEvent(event);
        }
      }

      @Override
      public String toString() {
        return listener + " (events " + typePrefix + "*)";
      }
    });
  }

  /** @param event the event to deliver to every listener, in registration order */
  public void publish(DrEvent event) {
    Objects.requireNonNull(event, "event");
    if (listeners.isEmpty() && !unheardReported) {
      unheardReported = true;
      LOG.debug("event {}{} went to an EventBus without listeners and is dropped (later ones are too, unlogged):"
          + " the component that published it was probably built without .eventBus(bus); pass the application's"
          + " bus to every drkit builder", event.type(), event.service() == null ? "" : " of " + event.service());
    }
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

  /** @return whether an event was published while no listener was subscribed (logged once at DEBUG) */
  boolean unheardReported() {
    return unheardReported;
  }

  @Override
  public void onEvent(DrEvent event) {
    publish(event);
  }
}
