package dev.drkit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.EventListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventBusSubscriptionTest {
  private static DrEvent event(String type) {
    return new DrEvent(Instant.EPOCH, type, DrEvent.Severity.INFO, null, 0, type, null);
  }

  @Test
  void closingASubscriptionInTryWithResourcesNeedsNoCatch() {
    EventBus bus = new EventBus();
    List<String> seen = new ArrayList<>();
    try (Subscription s = bus.subscribe(e -> seen.add(e.type()))) {
      bus.publish(event("a"));
      assertThat(s.isActive()).isTrue();
    }
    bus.publish(event("b"));
    assertThat(seen).containsExactly("a");
  }

  @Test
  void closeIsIdempotentAndRemovesOnlyItsOwnRegistration() {
    EventBus bus = new EventBus();
    List<String> seen = new ArrayList<>();
    EventListener l = e -> seen.add(e.type());
    Subscription first = bus.register(l);
    Subscription second = bus.subscribe(l);
    first.close();
    first.close();
    assertThat(first.isActive()).isFalse();
    assertThat(second.isActive()).isTrue();
    bus.publish(event("x"));
    assertThat(seen).containsExactly("x");
    second.close();
    bus.publish(event("y"));
    assertThat(seen).containsExactly("x");
  }

  @Test
  void aPrefixSubscriptionReceivesOnlyMatchingTypes() {
    EventBus bus = new EventBus();
    List<String> seen = new ArrayList<>();
    Subscription s = bus.subscribe("backup.", e -> seen.add(e.type()));
    bus.publish(event("backup.succeeded"));
    bus.publish(event("failover.started"));
    bus.publish(event("backup.failed"));
    s.close();
    bus.publish(event("backup.succeeded"));
    assertThat(seen).containsExactly("backup.succeeded", "backup.failed");
  }

  @Test
  void registerStillReturnsAnAutoCloseableForOldCallers() throws Exception {
    EventBus bus = new EventBus();
    List<String> seen = new ArrayList<>();
    AutoCloseable old = bus.register(e -> seen.add(e.type()));
    old.close();
    bus.publish(event("z"));
    assertThat(seen).isEmpty();
  }

  @Test
  void anEventNobodyHearsIsReportedOnceAndAHeardOneIsNot() {
    EventBus heard = new EventBus();
    heard.subscribe(e -> {});
    heard.publish(event("a"));
    assertThat(heard.unheardReported()).as("a bus with a listener drops nothing").isFalse();

    EventBus unheard = new EventBus(); // what a builder given no .eventBus(bus) publishes to
    assertThat(unheard.unheardReported()).isFalse();
    unheard.publish(event("failover.transition"));
    assertThat(unheard.unheardReported()).as("the dropped event was logged").isTrue();
  }
}
