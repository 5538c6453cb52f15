package dev.drkit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.HealthResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A small web application that protects its "orders" and "db" services with the starter: the
 * starter's detectors probe a primary on loopback, and when it stops listening the failover runs
 * through the starter's engines; the actuator shows it.
 */
@SpringBootTest(classes = DrkitWebApplicationTest.ShopApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
        "server.address=127.0.0.1",
        "drkit.plan=classpath:drkit/test-plan.yaml",
        "drkit.detection-interval=50ms",
        "drkit.leadership-poll-interval=50ms",
        "management.endpoints.web.exposure.include=health,drkit",
        "management.endpoint.health.show-details=always"})
class DrkitWebApplicationTest {
  static final ServerSocket PRIMARY;

  static {
    try {
      PRIMARY = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new ExceptionInInitializerError(e);
    }
    Thread acceptor = new Thread(() -> {
      while (!PRIMARY.isClosed()) {
        try {
          PRIMARY.accept().close(); // a healthy primary: accepts every probe
        } catch (IOException closed) {
          return;
        }
      }
    }, "primary-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The application. */
  @SpringBootApplication
  @RestController
  static class ShopApp {
    public static void main(String[] args) {
      SpringApplication.run(ShopApp.class, args);
    }

    @GetMapping("/orders")
    String orders() {
      return "[]";
    }

    @Bean
    FailoverActions failoverActions() {
      return new RecordingActions();
    }

    @Bean
    DrkitProbes probes() {
      InetSocketAddress primary = new InetSocketAddress(InetAddress.getLoopbackAddress(), PRIMARY.getLocalPort());
      return service -> ctx -> {
        try (Socket s = new Socket()) {
          s.connect(primary, (int) ctx.timeout().toMillis());
          return HealthResult.healthy("connected");
        }
      };
    }
  }

  @LocalServerPort int port;
  @Autowired DrkitServices services;
  @Autowired EventBus bus;
  @Autowired FailoverActions actions;

  @AfterAll
  static void closePrimary() throws IOException {
    PRIMARY.close();
  }

  private String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  @Test
  void whenThePrimaryStopsListeningTheStarterFailsOverAndTheActuatorShowsIt() throws Exception {
    CountDownLatch bothOnBackup = new CountDownLatch(2);
    bus.subscribe(e -> {
      if (e.type().equals("failover.transition") && "BACKUP_ACTIVE".equals(e.attributes().get("to"))) {
        bothOnBackup.countDown();
      }
    });
    assertThat(get("/orders")).isEqualTo("200 []");
    assertThat(get("/actuator/drkit")).startsWith("200 ").contains("\"orders\"").contains("\"db\"")
        .contains("PRIMARY_ACTIVE");
    assertThat(get("/actuator/health")).startsWith("200 ").contains("\"drkit\"");

    PRIMARY.close(); // the primary is gone: connections are refused

    assertThat(bothOnBackup.await(120, TimeUnit.SECONDS)).as("the detectors' DOWN failed both over").isTrue();
    assertThat(services.engine("orders").state().state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
    assertThat(((RecordingActions) actions).calls).contains("orders fence PRIMARY@2", "db fence PRIMARY@2");
    String drkit = get("/actuator/drkit/orders");
    assertThat(drkit).startsWith("200 ").contains("BACKUP_ACTIVE").contains("\"lastPhase\"");
    assertThat(get("/actuator/health")).contains("BACKUP_ACTIVE");
  }
}
