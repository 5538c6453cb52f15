package dev.drkit.examples.orders;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.StaleEpochException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front door of the orders service: an HTTP proxy on 127.0.0.1 that forwards every client
 * request to the active site. Switching it is the design's "network reconfiguration".
 *
 * <p>The router is fenced too: {@link #switchTo} at an epoch older than the current route's is
 * refused, and every forwarded request carries the route's epoch in {@link OrderSite#EPOCH_HEADER},
 * so a site that was fenced at a newer epoch refuses it. When the active site does not answer, the
 * client gets 502; with no route, 503. Thread-safe.
 */
public final class Router implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Router.class);

  /**
   * Where the router sends traffic.
   *
   * @param siteName the active site's name
   * @param target the active site's base URI
   * @param epoch the epoch of the switch
   * @param since when the router switched
   */
  public record Route(String siteName, URI target, long epoch, Instant since) {
    /** Validates. */
    public Route {
      Objects.requireNonNull(siteName, "siteName");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(since, "since");
    }
  }

  private final Clock clock;
  private final Duration forwardTimeout;
  private final AtomicReference<@Nullable Route> route = new AtomicReference<>();
  /** The newest epoch the router has seen (from a switch or a fence); older switches are refused. */
  private final java.util.concurrent.atomic.AtomicLong highestEpoch = new java.util.concurrent.atomic.AtomicLong();
  private final HttpClient client;
  private final HttpServer server;
  private final ExecutorService executor;
  private final URI uri;
  private final java.util.function.UnaryOperator<URI> via;

  /**
   * Starts a router with no route (every request gets 503 until {@link #switchTo}).
   *
   * @param clock the clock stamping switches
   * @param forwardTimeout how long a forwarded request may take
   * @throws IOException when the listening socket cannot be opened
   */
  public Router(Clock clock, Duration forwardTimeout) throws IOException {
    this(clock, forwardTimeout, java.util.function.UnaryOperator.identity());
  }

  /**
   * Starts a router with no route that reaches each site through {@code via}: given a site's base
   * URI it returns the address to forward to (a fault-injecting proxy in front of the site, as in
   * the soak; the identity for a direct path).
   *
   * @param clock the clock stamping switches
   * @param forwardTimeout how long a forwarded request may take
   * @param via maps a site's base URI to the address the router forwards to
   * @throws IOException when the listening socket cannot be opened
   */
  public Router(Clock clock, Duration forwardTimeout, java.util.function.UnaryOperator<URI> via) throws IOException {
    this.via = Objects.requireNonNull(via, "via");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.forwardTimeout = Objects.requireNonNull(forwardTimeout, "forwardTimeout");
    this.executor = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "orders-router");
      t.setDaemon(true);
      return t;
    });
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(forwardTimeout).build();
    this.server = HttpServers.loopback(128);
    server.setExecutor(executor);
    server.createContext("/", this::forward);
    server.start();
    this.uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** @return the router's base URI: where clients send their requests */
  public URI uri() {
    return uri;
  }

  /** @return the current route, if any */
  public Optional<Route> route() {
    return Optional.ofNullable(route.get());
  }

  /**
   * Sends all traffic to {@code site} from now on. Idempotent for the same site and epoch.
   *
   * @param site the site to receive traffic (must be running)
   * @param epoch the epoch of the switch; never older than the current route's
   * @return the new route
   * @throws StaleEpochException when {@code epoch} is older than the current route's
   * @throws SiteUnavailableException when the site is down
   */
  public Route switchTo(OrderSite site, long epoch) {
    Objects.requireNonNull(site, "site");
    URI target = Objects.requireNonNull(via.apply(site.uri()), "via(" + site.uri() + ")");
    while (true) {
      Route current = route.get();
      long highest = highestEpoch.get();
      if (epoch < highest) {
        throw new StaleEpochException("router", epoch, highest);
      }
      if (current != null && current.epoch() == epoch && current.target().equals(target)) {
        return current;
      }
      Route next = new Route(site.name(), target, epoch, clock.instant());
      if (highestEpoch.compareAndSet(highest, epoch) && route.compareAndSet(current, next)) {
        LOG.info("router: traffic now goes to {} at {} (epoch {})", site.name(), target, epoch);
        return next;
      }
    }
  }

  /**
   * Fences a site at the router: if the current route sends traffic to {@code siteName} at an
   * epoch older than {@code epoch}, traffic stops (clients get 503) until the next
   * {@link #switchTo}. A route at {@code epoch} or newer is kept. Idempotent.
   *
   * @param siteName the fenced site
   * @param epoch the epoch it is fenced at
   */
  public void fence(String siteName, long epoch) {
    highestEpoch.accumulateAndGet(epoch, Math::max);
    Route before = route.getAndUpdate(r -> r != null && r.siteName().equals(siteName) && r.epoch() < epoch ? null : r);
    if (before != null && route.get() == null) {
      LOG.info("router: fenced {} at epoch {}; no traffic until the next switch", siteName, epoch);
    }
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      Route r = route.get();
      if (r == null) {
        respond(ex, 503, "", "{\"error\":\"no active site\"}");
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      URI target = r.target().resolve(ex.getRequestURI().getRawPath()
          + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
      HttpRequest.Builder req = HttpRequest.newBuilder(target).timeout(forwardTimeout)
          .header(OrderSite.EPOCH_HEADER, Long.toString(r.epoch()))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      String contentType = ex.getRequestHeaders().getFirst("Content-Type");
      if (contentType != null) {
        req.header("Content-Type", contentType);
      }
      HttpResponse<byte[]> resp;
      try {
        resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        respond(ex, 502, r.siteName(), "{\"error\":\"site " + r.siteName() + " did not answer: "
            + String.valueOf(e.getMessage()).replace('"', '\'') + "\"}");
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        respond(ex, 503, r.siteName(), "{\"error\":\"router interrupted\"}");
        return;
      }
      ex.getResponseHeaders().set("Content-Type", resp.headers().firstValue("Content-Type").orElse("application/json"));
      resp.headers().firstValue(OrderSite.EPOCH_HEADER).ifPresent(v -> ex.getResponseHeaders().set(OrderSite.EPOCH_HEADER, v));
      ex.getResponseHeaders().set(OrderSite.SITE_HEADER, resp.headers().firstValue(OrderSite.SITE_HEADER).orElse(r.siteName()));
      byte[] out = resp.body();
      ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  private static void respond(HttpExchange ex, int status, String site, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    if (!site.isEmpty()) {
      ex.getResponseHeaders().set(OrderSite.SITE_HEADER, site);
    }
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  /** Stops the router. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
