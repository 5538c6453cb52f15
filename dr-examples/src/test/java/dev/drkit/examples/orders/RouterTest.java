package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.Site;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterTest {
  @TempDir Path tmp;
  private OrderSite primary;
  private OrderSite backup;
  private Router router;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("p"), Clock.systemUTC()).start();
    backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("b"), Clock.systemUTC()).start();
    router = new Router(Clock.systemUTC(), Duration.ofSeconds(2));
  }

  @AfterEach
  void tearDown() {
    router.close();
    primary.stop();
    backup.stop();
  }

  private HttpResponse<String> post(String id) throws Exception {
    return http.send(HttpRequest.newBuilder(router.uri().resolve("/orders"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"customer\":\"c\",\"amountCents\":1}"))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answers503WithoutARoute() throws Exception {
    assertThat(post("n-1").statusCode()).isEqualTo(503);
  }

  @Test
  void forwardsToTheActiveSiteAndSwitches() throws Exception {
    primary.promote(1);
    router.switchTo(primary, 1);
    HttpResponse<String> first = post("s-1");
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue(OrderSite.SITE_HEADER)).contains("primary");

    primary.fence(2);
    backup.promote(2);
    router.switchTo(backup, 2);
    HttpResponse<String> second = post("s-2");
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(second.headers().firstValue(OrderSite.SITE_HEADER)).contains("backup");
    assertThat(primary.orderIds()).containsExactly("s-1");
    assertThat(backup.orderIds()).containsExactly("s-2");
    assertThat(http.send(HttpRequest.newBuilder(router.uri().resolve("/orders/s-2")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
  }

  @Test
  void refusesToSwitchBackToAnOlderEpoch() {
    primary.promote(1);
    backup.promote(2);
    router.switchTo(backup, 2);
    assertThatThrownBy(() -> router.switchTo(primary, 1)).isInstanceOf(StaleEpochException.class)
        .hasMessageContaining("router");
    assertThat(router.route()).get().extracting(Router.Route::siteName).isEqualTo("backup");
    assertThat(router.switchTo(backup, 2).epoch()).isEqualTo(2);
  }

  @Test
  void staleRouteIsRefusedByAFencedSite() throws Exception {
    primary.promote(1);
    router.switchTo(primary, 1);
    primary.promote(2);
    HttpResponse<String> r = post("x-1");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(primary.orderIds()).isEmpty();
  }

  @Test
  void answers502WhenTheActiveSiteIsDead() throws Exception {
    primary.promote(1);
    router.switchTo(primary, 1);
    assertThat(post("d-1").statusCode()).isEqualTo(201);
    primary.kill();
    HttpResponse<String> r = post("d-2");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("primary did not answer");
  }

  @Test
  void loadGeneratorLedgerMatchesWhatTheSiteStored() throws Exception {
    primary.promote(1);
    router.switchTo(primary, 1);
    Ledger ledger = new Ledger();
    try (LoadGenerator load = new LoadGenerator(router.uri(), ledger, Clock.systemUTC(), 2, 400, "lg").start()) {
      // The ledger records a write just before the generator counts it as acknowledged, so wait
      // on the counter (the later of the two); the minute is a hang guard, not a speed bound.
      org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(5))
          .until(() -> load.acknowledged() >= 100);
    }
    assertThat(ledger.size()).isGreaterThanOrEqualTo(100);
    assertThat(ledger.entries()).allMatch(e -> e.site().equals("primary") && e.epoch() == 1);
    assertThat(ledger.missingFrom(primary.orderIds()).count()).isZero();
    Ledger.Loss loss = ledger.missingFrom(java.util.Set.of());
    assertThat(loss.count()).isEqualTo(ledger.size());
    assertThat(loss.window()).isPositive();
  }
}
