package dev.drkit.validation.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.testing.LoopbackHttp;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NetworkChecksTest {
  private final CheckRegistry registry = CheckRegistry.withBuiltIns();
  private final CountDownLatch release = new CountDownLatch(1);
  private static final CheckContext CTX = new CheckContext("svc", Site.BACKUP, 1, Duration.ofSeconds(2));

  @AfterEach
  void release() {
    release.countDown();
  }

  private HealthCheck check(String type, Map<String, Object> params) {
    return registry.create(CheckSpec.of(type, params), Site.BACKUP);
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  @Test
  void tcpCheckPassesAgainstAListeningServer() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      HealthResult r = check("tcp", Map.of("host", "127.0.0.1", "port", s.getLocalPort())).check(CTX);
      assertThat(r.healthy()).isTrue();
      assertThat(r.detail()).contains("connected to 127.0.0.1:" + s.getLocalPort());
      assertThat(r.data()).containsKey("connectMillis");
    }
  }

  @Test
  void tcpCheckFailsAgainstADownServer() throws Exception {
    int port = closedPort();
    HealthResult r = check("tcp", Map.of("host", "127.0.0.1", "port", port)).check(CTX);
    assertThat(r.healthy()).isFalse();
    assertThat(r.detail()).contains("127.0.0.1:" + port).contains("failed");
  }

  @Test
  void httpCheckPassesOnExpectedStatusAndBody() throws Exception {
    try (LoopbackHttp server = new LoopbackHttp(ex -> {
      String auth = ex.getRequestHeaders().getFirst("X-Probe");
      LoopbackHttp.respond(ex, 200, "{\"status\":\"UP\",\"probe\":\"" + auth + "\"}");
    })) {
      HealthResult r = check("http", Map.of("url", server.url("/health").toString(), "bodyContains", "\"UP\"",
          "bodyRegex", "probe\":\"k[0-9]+", "headers", Map.of("X-Probe", "k42"))).check(CTX);
      assertThat(r.healthy()).as(r.detail()).isTrue();
      assertThat(r.data()).containsEntry("status", 200);
    }
  }

  @Test
  void httpCheckFailsOnUnexpectedStatusOrBody() throws Exception {
    try (LoopbackHttp server = new LoopbackHttp(ex -> LoopbackHttp.respond(ex, 503, "{\"status\":\"DOWN\"}"))) {
      HealthResult status = check("http", Map.of("url", server.url("/health").toString())).check(CTX);
      assertThat(status.healthy()).isFalse();
      assertThat(status.detail()).contains("503").contains("expected 2xx");
      HealthResult listed = check("http", Map.of("url", server.url("/").toString(), "expectedStatus", List.of(200, 503),
          "bodyContains", "UP")).check(CTX);
      assertThat(listed.healthy()).isFalse();
      assertThat(listed.detail()).contains("does not contain 'UP'");
      HealthResult accepted = check("http", Map.of("url", server.url("/").toString(), "expectedStatus", 503,
          "bodyRegex", "DOWN")).check(CTX);
      assertThat(accepted.healthy()).isTrue();
    }
  }

  @Test
  void httpCheckSendsTheMethodAndBody() throws Exception {
    try (LoopbackHttp server = new LoopbackHttp(ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      LoopbackHttp.respond(ex, ex.getRequestMethod().equals("POST") && body.equals("ping") ? 201 : 400, "");
    })) {
      HealthResult r = check("http", Map.of("url", server.url("/echo").toString(), "method", "post", "body", "ping",
          "expectedStatus", 201)).check(CTX);
      assertThat(r.healthy()).as(r.detail()).isTrue();
    }
  }

  @Test
  void httpCheckTimesOutOnASlowServer() throws Exception {
    try (LoopbackHttp server = new LoopbackHttp(ex -> {
      release.await(30, TimeUnit.SECONDS);
      LoopbackHttp.respond(ex, 200, "late");
    })) {
      CheckContext shortCtx = new CheckContext("svc", Site.BACKUP, 1, Duration.ofMillis(300));
      HealthResult r = check("http", Map.of("url", server.url("/slow").toString())).check(shortCtx);
      // the server holds its answer for 30 s (or until the test ends): a check that waited for it
      // would be healthy; it gave up at its timeout instead
      assertThat(r.healthy()).isFalse();
      assertThat(r.detail()).contains("timed out");
    }
  }

  @Test
  void httpCheckFailsAgainstADownServer() throws Exception {
    HealthResult r = check("http", Map.of("url", "http://127.0.0.1:" + closedPort() + "/health")).check(CTX);
    assertThat(r.healthy()).isFalse();
    assertThat(r.detail()).contains("could not connect");
  }
}
