package dev.drkit.examples.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.StaleEpochException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of one {@link OrderSite}: turns requests into calls on the site and its answers
 * (and refusals) into status codes. It holds no state and makes no DR decision: every fencing rule
 * is the site's ({@link OrderSite#accept}).
 *
 * <ul>
 *   <li>{@code POST /orders} with {@code {"id":..,"customer":..,"amountCents":..}}: 201 with the
 *       stored order; 409 when the {@link OrderSite#EPOCH_HEADER} is not the site's epoch; 503 when
 *       the site is not primary or down; 400 for a bad body.</li>
 *   <li>{@code GET /orders/{id}}: 200 with the order, or 404.</li>
 *   <li>{@code GET /health}: 200 with the site's name, role, epoch and order count when the
 *       database answers, else 503.</li>
 * </ul>
 *
 * <p>Every response names the serving site in {@link OrderSite#SITE_HEADER}.
 */
final class OrderHttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(OrderHttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OrderSite site;

  /** @param site the site served */
  OrderHttpApi(OrderSite site) {
    this.site = Objects.requireNonNull(site, "site");
  }

  /**
   * Registers the handlers.
   *
   * @param server the site's server (not yet started)
   */
  void register(HttpServer server) {
    server.createContext("/orders", this::handleOrders);
    server.createContext("/health", this::handleHealth);
  }

  private void handleHealth(HttpExchange ex) throws IOException {
    site.awaitResumed();
    try (ex) {
      long count;
      try {
        count = site.countForHealth();
      } catch (SiteUnavailableException e) {
        respond(ex, 503, error(e.getMessage()));
        return;
      }
      ObjectNode body = JSON.createObjectNode();
      body.put("site", site.name());
      body.put("role", site.role().name());
      body.put("epoch", site.epoch());
      body.put("orders", count);
      respond(ex, 200, body);
    }
  }

  private void handleOrders(HttpExchange ex) throws IOException {
    site.awaitResumed();
    try (ex) {
      try {
        routeOrders(ex);
      } catch (SiteUnavailableException e) {
        respondQuietly(ex, 503, error(e.getMessage()));
      } catch (RuntimeException e) {
        LOG.warn("site {}: {} {} failed", site.name(), ex.getRequestMethod(), ex.getRequestURI(), e);
        respondQuietly(ex, 500, error("site " + site.name() + ": " + e));
      }
    }
  }

  private void routeOrders(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    if (path.equals("/orders") && method.equals("POST")) {
      handlePost(ex);
    } else if (path.startsWith("/orders/") && method.equals("GET")) {
      String id = path.substring("/orders/".length());
      if (!Order.validId(id)) {
        respond(ex, 400, error("invalid order id '" + id + "'"));
        return;
      }
      Optional<Order> o = site.get(id);
      if (o.isPresent()) {
        respond(ex, 200, toJson(o.get()));
      } else {
        respond(ex, 404, error("no order " + id + " on site " + site.name()));
      }
    } else {
      respond(ex, 405, error(method + " " + path + " is not supported"));
    }
  }

  private void handlePost(HttpExchange ex) throws IOException {
    JsonNode body;
    try (InputStream in = ex.getRequestBody()) {
      body = JSON.readTree(in);
    } catch (IOException e) {
      respond(ex, 400, error("request body is not JSON: " + e.getMessage()));
      return;
    }
    if (body == null || !body.isObject() || !body.path("id").isTextual() || !body.path("customer").isTextual()
        || !body.path("amountCents").canConvertToLong()) {
      respond(ex, 400, error("body must be {\"id\": string, \"customer\": string, \"amountCents\": integer}"));
      return;
    }
    Long callerEpoch = null;
    String header = ex.getRequestHeaders().getFirst(OrderSite.EPOCH_HEADER);
    if (header != null) {
      try {
        callerEpoch = Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        respond(ex, 400, error(OrderSite.EPOCH_HEADER + " must be an integer but was '" + header + "'"));
        return;
      }
    }
    try {
      Order o = site.accept(body.get("id").asText(), body.get("customer").asText(), body.get("amountCents").asLong(),
          callerEpoch);
      ex.getResponseHeaders().set(OrderSite.EPOCH_HEADER, Long.toString(o.epoch()));
      respond(ex, 201, toJson(o));
    } catch (IllegalArgumentException e) {
      respond(ex, 400, error(e.getMessage()));
    } catch (StaleEpochException e) {
      respond(ex, 409, error(e.getMessage()));
    }
  }

  private static ObjectNode toJson(Order o) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", o.id());
    n.put("customer", o.customer());
    n.put("amountCents", o.amountCents());
    n.put("createdAt", o.createdAt().toString());
    n.put("epoch", o.epoch());
    n.put("site", o.site());
    return n;
  }

  private static ObjectNode error(String message) {
    return JSON.createObjectNode().put("error", message);
  }

  private void respondQuietly(HttpExchange ex, int status, ObjectNode body) {
    try {
      respond(ex, status, body);
    } catch (IOException | RuntimeException e) {
      LOG.debug("site {}: could not send {} response: {}", site.name(), status, e.getMessage());
    }
  }

  private void respond(HttpExchange ex, int status, ObjectNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set(OrderSite.SITE_HEADER, site.name());
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
