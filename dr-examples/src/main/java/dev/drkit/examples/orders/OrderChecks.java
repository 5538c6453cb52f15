package dev.drkit.examples.orders;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The orders service's own health checks, registered with dr-validation's check registry under the
 * names its plan uses ({@code orders-http}, {@code orders-integrity}, {@code orders-synthetic},
 * {@code orders-health} for the {@code performance} check). A check validates the site of its
 * {@link CheckContext}: through the router when the router serves that site (what clients see),
 * directly otherwise (a site being prepared to take traffic back). Each honours the
 * {@link HealthCheck} contract: thread-safe, bounded by the context's timeout, never null.
 */
public final class OrderChecks {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();
  private static final AtomicLong SYNTHETIC = new AtomicLong();
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private OrderChecks() {}

  private static URI endpoint(OrderTopology t, Site site) {
    return t.routed(site) ? t.router().uri() : t.site(site).lastUri();
  }

  /**
   * The site answers where clients reach it: {@code GET /health} answers 200, through the router
   * when the router serves the site (and the answer must then come from that site), directly at
   * the site otherwise.
   *
   * @param topology where the sites and the router are
   * @return the check
   */
  public static HealthCheck http(OrderTopology topology) {
    Objects.requireNonNull(topology, "topology");
    return ctx -> {
      OrderSite s = topology.site(ctx.site());
      boolean routed = topology.routed(ctx.site());
      HttpResponse<String> r = get(endpoint(topology, ctx.site()).resolve("/health"), ctx.timeout());
      String served = r.headers().firstValue(OrderSite.SITE_HEADER).orElse("?");
      String via = routed ? "through the router" : "directly";
      if (r.statusCode() != 200) {
        return HealthResult.unhealthy(s.name() + " answered " + r.statusCode() + " " + via).with("status", r.statusCode());
      }
      if (!served.equals(s.name())) {
        return HealthResult.unhealthy("the router serves " + served + ", expected " + s.name());
      }
      return HealthResult.healthy(s.name() + " answers 200 " + via).with("status", 200).with("routed", routed);
    };
  }

  /**
   * Data integrity against the clients' ledger: of the writes acknowledged before the cut-off, the
   * site may miss only those the RPO allows ({@code maxLostWrites} at most, spanning at most
   * {@code maxLostWindow}).
   *
   * @param topology where the sites are
   * @param ledger the clients' ledger
   * @param maxLostWrites how many acknowledged writes may be missing (0 for synchronous
   *     replication, {@link Long#MAX_VALUE} for any number within the window)
   * @param maxLostWindow the longest window they may span (the RPO)
   * @param cutOff the moment whose acknowledged writes the site must hold: now for a live site,
   *     the snapshot's time for a point-in-time copy
   * @return the check
   */
  public static HealthCheck ledgerIntegrity(OrderTopology topology, Ledger ledger, long maxLostWrites,
      Duration maxLostWindow, Supplier<Instant> cutOff) {
    String allowed = (maxLostWrites == Long.MAX_VALUE ? "any number" : Long.toString(maxLostWrites)) + " within "
        + maxLostWindow.toMillis() + " ms";
    return ctx -> {
      OrderSite s = topology.site(ctx.site());
      Instant cut = cutOff.get();
      Ledger.Loss loss = ledger.missingFrom(s.orderIds(), cut);
      long acked = ledger.entries().stream().filter(e -> e.ackedAt().isBefore(cut)).count();
      HealthResult base = loss.count() <= maxLostWrites && loss.window().compareTo(maxLostWindow) <= 0
          ? HealthResult.healthy(loss.count() + " of " + acked + " acknowledged writes missing on " + s.name()
              + " (allowed " + allowed + ")")
          : HealthResult.unhealthy(loss.count() + " of " + acked + " acknowledged writes missing on " + s.name()
              + ", spanning " + loss.window().toMillis() + " ms (allowed " + allowed + ")");
      return base.with("missing", loss.count()).with("windowMs", loss.window().toMillis());
    };
  }

  /**
   * A synthetic order: written through the router (to whichever site is active) and read back from
   * the validated site, waiting for replication when that site is a replica. Its customer is
   * {@code synthetic}, so it is recognisable; it stays as an audit trail.
   *
   * @param topology where the sites and the router are
   * @return the check
   */
  public static HealthCheck syntheticOrder(OrderTopology topology) {
    return ctx -> {
      long deadline = System.nanoTime() + ctx.timeout().toNanos();
      String id = "synthetic-" + ctx.epoch() + "-" + SYNTHETIC.incrementAndGet();
      HttpResponse<String> w = HTTP.send(HttpRequest.newBuilder(topology.router().uri().resolve("/orders"))
          .timeout(ctx.timeout()).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"customer\":\"synthetic\",\"amountCents\":1}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (w.statusCode() != 201) {
        return HealthResult.unhealthy("synthetic order " + id + " refused: " + w.statusCode() + " " + w.body());
      }
      OrderSite s = topology.site(ctx.site());
      while (true) {
        HttpResponse<String> r = get(endpoint(topology, ctx.site()).resolve("/orders/" + id), ctx.timeout());
        if (r.statusCode() == 200 && r.body().contains(id)) {
          return HealthResult.healthy("synthetic order " + id + " written at epoch "
              + w.headers().firstValue(OrderSite.EPOCH_HEADER).orElse("?") + " and read back from " + s.name())
              .with("id", id);
        }
        if (System.nanoTime() > deadline) {
          return HealthResult.unhealthy("synthetic order " + id + " not readable on " + s.name() + ": "
              + r.statusCode());
        }
        Thread.sleep(5);
      }
    };
  }

  /**
   * One {@code GET /health} of the validated site where clients reach it (the operation of the
   * plan's {@code performance} check).
   *
   * @param topology where the sites and the router are
   * @return the check
   */
  public static HealthCheck health(OrderTopology topology) {
    return ctx -> {
      HttpResponse<String> r = get(endpoint(topology, ctx.site()).resolve("/health"), ctx.timeout());
      return r.statusCode() == 200 ? HealthResult.healthy("200") : HealthResult.unhealthy("answered " + r.statusCode());
    };
  }

  /**
   * A probe of the active primary, for failure detection: {@code GET /health} directly at the
   * site's address (not through the router) answers 200 <em>and</em> the site says it is the
   * writable primary. It knows nothing of the site's process: a dead site shows as a refused
   * connection or a timeout, as it would over a network. A site that crashed and restarted within
   * the detection window answers 200 again but comes back fenced (it never resumes writing on its
   * own): that is a failure too, or nobody would ever take its place.
   *
   * @param topology where the sites are
   * @return the check
   */
  public static HealthCheck siteAlive(OrderTopology topology) {
    Objects.requireNonNull(topology, "topology");
    return servesAsPrimary(site -> topology.site(site).lastUri());
  }

  /**
   * Like {@link #siteAlive}, at an address of the caller's choosing (the soak probes through the
   * router's path to the site, a fault-injecting proxy).
   *
   * @param address the base URI to probe for a site
   * @return the check
   */
  public static HealthCheck servesAsPrimary(java.util.function.Function<Site, URI> address) {
    Objects.requireNonNull(address, "address");
    return ctx -> {
      HttpResponse<String> r = get(address.apply(ctx.site()).resolve("/health"), ctx.timeout());
      if (r.statusCode() != 200) {
        return HealthResult.unhealthy(ctx.site() + " answered " + r.statusCode());
      }
      com.fasterxml.jackson.databind.JsonNode body = JSON.readTree(r.body());
      String role = body.path("role").asText("?");
      return role.equals(SiteRole.PRIMARY.name())
          ? HealthResult.healthy("site " + body.path("site").asText() + " answers 200 as PRIMARY")
          : HealthResult.unhealthy("site " + body.path("site").asText() + " answers but is " + role + " at epoch "
              + body.path("epoch").asText() + ": it takes no writes");
    };
  }

  private static HttpResponse<String> get(URI uri, Duration timeout) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
