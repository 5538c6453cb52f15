package dev.drkit.replication.testing;

import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.EventListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects events for assertions. */
public final class RecordingListener implements EventListener {
  private final List<DrEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(DrEvent event) {
    events.add(event);
  }

  /** @param type an event type @return the events of that type */
  public List<DrEvent> ofType(String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  /** @return all events */
  public List<DrEvent> all() {
    return List.copyOf(events);
  }
}
