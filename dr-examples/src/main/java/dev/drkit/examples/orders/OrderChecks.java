package dev.drkit.examples.orders;

import dev.drkit.spi.CheckContext;
import dev.drkit.spi.HealthCheck;
import dev.drkit.spi.HealthResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import dev.drkit.spi.Site;

/**
 * The orders service's own health checks, registered with the validator under the names its plan
 * uses. Each honours the {@link HealthCheck} contract: thread-safe, interruptible (blocking HTTP
 * calls are cut off by their timeouts and by interruption), never returns null.
 */
public final class OrderChecks {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();
  private static final AtomicLong SYNTHETIC = new AtomicLong();

  private OrderChecks() {}

  /**
   * The router serves the validated site: {@code GET /health} through the router answers 200 and
   * is served by the site named for {@link CheckContext#site()}, with that site's role PRIMARY.
   *
   * @param router the router
   * @param siteNames the name of each site
   * @return the check
   */
  public static HealthCheck routerServes(Router router, Function<Site, String> siteNames) {
    Objects.requireNonNull(router, "router");
    return ctx -> {
      HttpResponse<String> r = get(router.uri().resolve("/health"), ctx.timeout());
      String served = r.headers().firstValue(OrderSite.SITE_HEADER).orElse("?");
      String expected = siteNames.apply(ctx.site());
      if (r.statusCode() != 200) {
        return HealthResult.unhealthy("router answered " + r.statusCode() + " (served by " + served + ")")
            .with("status", r.statusCode());
      }
      if (!served.equals(expected)) {
        return HealthResult.unhealthy("router serves " + served + ", expected " + expected);
      }
      if (!r.body().contains("\"role\":\"PRIMARY\"")) {
        return HealthResult.unhealthy("site " + served + " behind the router is not primary: " + r.body());
      }
      return HealthResult.healthy("router serves " + served + " (200)").with("status", 200);
    };
  }

  /**
   * The site's database answers SQL: counts the orders and checks the schema's invariants (no
   * negative amount, no order from a future epoch).
   *
   * @param sites the site for each {@link Site}
   * @return the check
   */
  public static HealthCheck database(Function<Site, OrderSite> sites) {
    return ctx -> {
      OrderSite s = sites.apply(ctx.site());
      try (Connection c = s.dataSource().getConnection(); Statement st = c.createStatement()) {
        st.setQueryTimeout((int) Math.max(1, ctx.timeout().toSeconds()));
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(CASE WHEN amount_cents < 0 THEN 1 END),"
            + " COUNT(CASE WHEN epoch > " + s.epoch() + " THEN 1 END) FROM orders")) {
          rs.next();
          long count = rs.getLong(1);
          long negative = rs.getLong(2);
          long future = rs.getLong(3);
          if (negative > 0 || future > 0) {
            return HealthResult.unhealthy(negative + " orders with negative amounts, " + future
                + " orders from a future epoch").with("orders", count);
          }
          return HealthResult.healthy(count + " orders, invariants hold").with("orders", count);
        }
      }
    };
  }

  /**
   * Data integrity against the clients' ledger: of the writes acknowledged before the cut-off, the
   * site may miss only those the RPO allows ({@code maxLostWrites} at most, spanning at most
   * {@code maxLostWindow}).
   *
   * @param sites the site for each {@link Site}
   * @param ledger the clients' ledger
   * @param maxLostWrites how many acknowledged writes may be missing (0 for synchronous
   *     replication, {@link Long#MAX_VALUE} for any number within the window)
   * @param maxLostWindow the longest window they may span (the RPO)
   * @param cutOff the moment whose acknowledged writes the site must hold: now for a live site,
   *     the snapshot's time for a point-in-time copy
   * @return the check
   */
  public static HealthCheck ledgerIntegrity(Function<Site, OrderSite> sites, Ledger ledger, long maxLostWrites,
      Duration maxLostWindow, java.util.function.Supplier<java.time.Instant> cutOff) {
    String allowed = (maxLostWrites == Long.MAX_VALUE ? "any number" : Long.toString(maxLostWrites)) + " within "
        + maxLostWindow.toMillis() + " ms";
    return ctx -> {
      OrderSite s = sites.apply(ctx.site());
      java.time.Instant cut = cutOff.get();
      Ledger.Loss loss = ledger.missingFrom(s.orderIds(), cut);
      long acked = ledger.entries().stream().filter(e -> e.ackedAt().isBefore(cut)).count();
      HealthResult base = loss.count() <= maxLostWrites && loss.window().compareTo(maxLostWindow) <= 0
          ? HealthResult.healthy(loss.count() + " of " + acked + " acknowledged writes missing (allowed " + allowed + ")")
          : HealthResult.unhealthy(loss.count() + " of " + acked + " acknowledged writes missing, spanning "
              + loss.window().toMillis() + " ms (allowed " + allowed + ")");
      return base.with("missing", loss.count()).with("windowMs", loss.window().toMillis());
    };
  }

  /**
   * A synthetic order written through the router and read back from the site that took it. The
   * order's customer is {@code synthetic}, so it is recognisable (it stays as an audit trail).
   *
   * @param router the router
   * @return the check
   */
  public static HealthCheck syntheticOrder(Router router) {
    return ctx -> {
      String id = "synthetic-" + ctx.epoch() + "-" + SYNTHETIC.incrementAndGet();
      HttpResponse<String> w = HTTP.send(HttpRequest.newBuilder(router.uri().resolve("/orders")).timeout(ctx.timeout())
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"customer\":\"synthetic\",\"amountCents\":1}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (w.statusCode() != 201) {
        return HealthResult.unhealthy("synthetic order " + id + " refused: " + w.statusCode() + " " + w.body());
      }
      HttpResponse<String> r = get(router.uri().resolve("/orders/" + id), ctx.timeout());
      if (r.statusCode() != 200 || !r.body().contains(id)) {
        return HealthResult.unhealthy("synthetic order " + id + " not readable: " + r.statusCode());
      }
      return HealthResult.healthy("synthetic order " + id + " written and read back at epoch "
          + w.headers().firstValue(OrderSite.EPOCH_HEADER).orElse("?")).with("id", id);
    };
  }

  /**
   * A latency budget: {@code requests} sequential {@code GET /health} calls through the router, whose
   * 95th percentile must be within {@code budget}.
   *
   * @param router the router
   * @param requests how many requests, {@code >= 1}
   * @param budget the p95 budget
   * @return the check
   */
  public static HealthCheck latency(Router router, int requests, Duration budget) {
    if (requests < 1) {
      throw new IllegalArgumentException("requests must be >= 1 but was " + requests);
    }
    return ctx -> {
      long[] nanos = new long[requests];
      for (int i = 0; i < requests; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = get(router.uri().resolve("/health"), ctx.timeout());
        nanos[i] = System.nanoTime() - t0;
        if (r.statusCode() != 200) {
          return HealthResult.unhealthy("request " + (i + 1) + " answered " + r.statusCode());
        }
      }
      Arrays.sort(nanos);
      long p95 = nanos[Math.min(requests - 1, (int) Math.ceil(requests * 0.95) - 1)];
      Duration p = Duration.ofNanos(p95);
      HealthResult base = p.compareTo(budget) <= 0
          ? HealthResult.healthy(String.format(java.util.Locale.ROOT, "p95 %.1f ms within %d ms over %d requests",
              p95 / 1e6, budget.toMillis(), requests))
          : HealthResult.unhealthy(String.format(java.util.Locale.ROOT, "p95 %.1f ms over the %d ms budget",
              p95 / 1e6, budget.toMillis()));
      return base.with("p95Ms", p95 / 1e6);
    };
  }

  /**
   * A liveness probe of one site, for failure detection: {@code GET /health} directly at the
   * site's address (not through the router) answers 200. It knows nothing of the site's process:
   * a dead site shows as a refused connection or a timeout, as it would over a network.
   *
   * @param sites the site for each {@link Site}
   * @return the check
   */
  public static HealthCheck siteAlive(Function<Site, OrderSite> sites) {
    return ctx -> {
      OrderSite s = sites.apply(ctx.site());
      HttpResponse<String> r = get(s.lastUri().resolve("/health"), ctx.timeout());
      return r.statusCode() == 200 ? HealthResult.healthy("site " + s.name() + " answers 200")
          : HealthResult.unhealthy("site " + s.name() + " answered " + r.statusCode());
    };
  }

  private static HttpResponse<String> get(URI uri, Duration timeout) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
