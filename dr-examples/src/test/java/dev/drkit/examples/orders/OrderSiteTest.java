package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.Site;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrderSiteTest {
  @TempDir Path tmp;
  private final List<OrderSite> sites = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  private OrderSite site(String name, Site which) {
    OrderSite s = new OrderSite(name, which, tmp.resolve(name), Clock.systemUTC());
    sites.add(s);
    return s.start();
  }

  @AfterEach
  void stopAll() {
    sites.forEach(OrderSite::stop);
  }

  private HttpResponse<String> post(URI base, String json, Long epoch) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/orders"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    if (epoch != null) {
      b.header(OrderSite.EPOCH_HEADER, epoch.toString());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(URI base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void acceptsOrdersOverHttpOnlyAsPrimary() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    HttpResponse<String> refused = post(s.uri(), "{\"id\":\"a-1\",\"customer\":\"c\",\"amountCents\":5}", null);
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.body()).contains("REPLICA").contains("a-1");

    s.promote(1);
    HttpResponse<String> created = post(s.uri(), "{\"id\":\"a-1\",\"customer\":\"c\",\"amountCents\":5}", 1L);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue(OrderSite.SITE_HEADER)).contains("primary");
    assertThat(created.headers().firstValue(OrderSite.EPOCH_HEADER)).contains("1");

    HttpResponse<String> read = get(s.uri(), "/orders/a-1");
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).contains("\"customer\":\"c\"").contains("\"amountCents\":5");
    assertThat(get(s.uri(), "/orders/nope").statusCode()).isEqualTo(404);
    HttpResponse<String> health = get(s.uri(), "/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"role\":\"PRIMARY\"").contains("\"orders\":1");
  }

  @Test
  void rejectsMalformedOrdersWithAClearMessage() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(1);
    assertThat(post(s.uri(), "not json", null).statusCode()).isEqualTo(400);
    HttpResponse<String> badId = post(s.uri(), "{\"id\":\"a b\",\"customer\":\"c\",\"amountCents\":5}", null);
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(badId.body()).contains("order id 'a b'");
    HttpResponse<String> negative = post(s.uri(), "{\"id\":\"x\",\"customer\":\"c\",\"amountCents\":-5}", null);
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(negative.body()).contains("amountCents must be >= 0");
    assertThat(s.orderIds()).isEmpty();
  }

  @Test
  void rejectsWritesFromOlderEpoch() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(3);
    HttpResponse<String> stale = post(s.uri(), "{\"id\":\"a-1\",\"customer\":\"c\",\"amountCents\":5}", 2L);
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(stale.body()).contains("stale epoch").contains("epoch 3").contains("epoch 2");
    assertThat(s.orderIds()).isEmpty();
    assertThatThrownBy(() -> s.promote(2)).isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> s.fence(1)).isInstanceOf(StaleEpochException.class);
  }

  @Test
  void fencedSiteRefusesWritesAndReplicationFromOlderEpoch() {
    OrderSite s = site("backup", Site.BACKUP);
    s.demote(1);
    Order o = new Order("r-1", "c", 1, Instant.now(), 1, "primary");
    assertThat(s.applyReplicated(o, 1)).isTrue();
    assertThat(s.applyReplicated(o, 1)).isFalse();
    s.fence(2);
    assertThatThrownBy(() -> s.applyReplicated(new Order("r-2", "c", 1, Instant.now(), 1, "primary"), 1))
        .isInstanceOf(StaleEpochException.class).hasMessageContaining("replica backup");
    assertThatThrownBy(() -> s.accept("r-3", "c", 1, null)).isInstanceOf(SiteUnavailableException.class)
        .hasMessageContaining("FENCED");
    assertThat(s.orderIds()).containsExactly("r-1");
  }

  @Test
  void fencingIsIdempotentAndSurvivesARestart() {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(1);
    s.fence(2);
    s.fence(2);
    s.stop();
    s.start();
    assertThat(s.role()).isEqualTo(SiteRole.FENCED);
    assertThat(s.epoch()).isEqualTo(2);
  }

  @Test
  void killedPrimaryComesBackFencedWithItsAcknowledgedWrites() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(1);
    for (int i = 0; i < 50; i++) {
      assertThat(post(s.uri(), "{\"id\":\"k-" + i + "\",\"customer\":\"c\",\"amountCents\":" + i + "}", 1L)
          .statusCode()).isEqualTo(201);
    }
    URI before = s.uri();
    s.kill();
    assertThat(s.isRunning()).isFalse();
    assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(before.resolve("/health")).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
    assertThatThrownBy(s::orderIds).isInstanceOf(SiteUnavailableException.class).hasMessageContaining("down");

    s.start();
    assertThat(s.role()).as("a crashed primary never resumes writing on its own").isEqualTo(SiteRole.FENCED);
    assertThat(s.epoch()).isEqualTo(1);
    assertThat(s.orderIds()).hasSize(50);
    assertThat(post(s.uri(), "{\"id\":\"k-x\",\"customer\":\"c\",\"amountCents\":1}", 1L).statusCode())
        .isEqualTo(503);
  }

  @Test
  void concurrentWritesRacingAFenceAreEitherStoredOrRefused() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String id = "f-" + i;
        if (i == 100) {
          s.fence(2);
        }
        results.add(pool.submit(() -> {
          try {
            s.accept(id, "c", 1, null);
            return true;
          } catch (SiteUnavailableException e) {
            return false;
          }
        }));
      }
      Set<String> acked = new java.util.HashSet<>();
      for (int i = 0; i < results.size(); i++) {
        if (results.get(i).get()) {
          acked.add("f-" + i);
        }
      }
      assertThat(s.orderIds()).containsExactlyInAnyOrderElementsOf(acked);
      assertThat(acked).doesNotContain("f-199");
      assertThat(s.orders()).allMatch(o -> o.epoch() == 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void quarantineSetsDivergentOrdersAside() {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(1);
    s.accept("q-1", "c", 1, null);
    s.accept("q-2", "c", 2, null);
    assertThatThrownBy(() -> s.quarantine(Set.of("q-2"))).isInstanceOf(SiteUnavailableException.class);
    s.fence(2);
    List<Order> moved = s.quarantine(Set.of("q-2", "absent"));
    assertThat(moved).extracting(Order::id).containsExactly("q-2");
    assertThat(s.orderIds()).containsExactly("q-1");
    assertThat(s.quarantined()).extracting(Order::id).containsExactly("q-2");
  }

  @Test
  void dumpSeedsAnotherSiteWithTheSameOrders() {
    OrderSite a = site("primary", Site.PRIMARY);
    a.promote(4);
    for (int i = 0; i < 20; i++) {
      a.accept("d-" + i, "c", i, null);
    }
    Path dump = tmp.resolve("dump/orders.sql");
    a.dumpTo(dump);
    OrderSite b = new OrderSite("copy", Site.BACKUP, tmp.resolve("copy"), Clock.systemUTC());
    sites.add(b);
    b.seedFrom(dump);
    b.start();
    assertThat(b.orders()).containsExactlyElementsOf(a.orders());
    assertThat(b.epoch()).isEqualTo(4);
    assertThat(b.role()).isEqualTo(SiteRole.FENCED);
    assertThatThrownBy(() -> b.seedFrom(dump)).isInstanceOf(SiteUnavailableException.class)
        .hasMessageContaining("must be stopped");
  }

  @Test
  void aPausedSiteHoldsRequestsUntilResumedAndStillTakesAFence() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(1);
    List<Order> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    s.onAccept(accepted::add);
    s.pause();
    assertThat(s.isPaused()).isTrue();
    java.util.concurrent.CompletableFuture<HttpResponse<String>> held = http.sendAsync(HttpRequest.newBuilder(
        s.uri().resolve("/orders")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers
        .ofString("{\"id\":\"p-1\",\"customer\":\"c\",\"amountCents\":5}")).build(),
        HttpResponse.BodyHandlers.ofString());
    // Role changes made in-process go through while the handlers wait.
    s.fence(2);
    assertThat(s.role()).isEqualTo(SiteRole.FENCED);
    s.resume();
    assertThat(s.isPaused()).isFalse();
    // The held write runs after the fence: refused, never accepted.
    assertThat(held.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(503);
    assertThat(accepted).isEmpty();
    assertThat(s.orderIds()).doesNotContain("p-1");
  }

  @Test
  void theAcceptanceLogSeesEveryAcceptedWriteWithItsEpoch() throws Exception {
    OrderSite s = site("primary", Site.PRIMARY);
    s.promote(4);
    List<Order> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    s.onAccept(accepted::add);
    assertThat(post(s.uri(), "{\"id\":\"l-1\",\"customer\":\"c\",\"amountCents\":5}", 4L).statusCode())
        .isEqualTo(201);
    assertThat(post(s.uri(), "{\"id\":\"l-2\",\"customer\":\"c\",\"amountCents\":5}", 3L).statusCode())
        .isEqualTo(409);
    assertThat(accepted).singleElement().satisfies(o -> {
      assertThat(o.id()).isEqualTo("l-1");
      assertThat(o.epoch()).isEqualTo(4);
    });
  }
}
