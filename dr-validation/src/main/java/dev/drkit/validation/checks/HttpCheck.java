package dev.drkit.validation.checks;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.validation.CheckFactory;
import dev.drkit.validation.internal.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Plan type {@code http}: sends one HTTP(S) request with {@code java.net.http} and is healthy when
 * the status is expected and the body (its first MiB) matches.
 *
 * <p>Parameters: {@code url} (required, http or https), {@code method} (GET, HEAD, POST, PUT,
 * DELETE, OPTIONS, PATCH; default GET), {@code expectedStatus} (one code or a list; default any
 * 2xx), {@code bodyContains} (optional text), {@code bodyRegex} (optional regular expression found
 * anywhere in the body), {@code headers} (optional map), {@code body} (optional request body text).
 * The request times out at the step's timeout.
 */
public final class HttpCheck implements HealthCheck {
  private static final int MAX_BODY = 1 << 20;
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");

  private final URI url;
  private final String method;
  private final List<Long> expectedStatus;
  private final @Nullable String bodyContains;
  private final @Nullable Pattern bodyRegex;
  private final Map<String, String> headers;
  private final @Nullable String body;

  /**
   * @param url the URL
   * @param method the HTTP method to send, such as {@code GET} or {@code HEAD}
   * @param expectedStatus the accepted codes, empty for any 2xx
   * @param bodyContains text the body must contain, or null
   * @param bodyRegex a pattern the body must contain a match of, or null
   * @param headers request headers
   * @param body the request body, or null for none
   */
  public HttpCheck(URI url, String method, List<Long> expectedStatus, @Nullable String bodyContains,
      @Nullable Pattern bodyRegex, Map<String, String> headers, @Nullable String body) {
    this.url = Objects.requireNonNull(url, "url");
    this.method = method.toUpperCase(Locale.ROOT);
    this.expectedStatus = List.copyOf(expectedStatus);
    this.bodyContains = bodyContains;
    this.bodyRegex = bodyRegex;
    this.headers = Map.copyOf(headers);
    this.body = body;
  }

  /** @return the factory of plan type {@code http} */
  public static CheckFactory factory() {
    return p -> {
      URI url = p.requireHttpUri("url");
      String method = Objects.requireNonNull(p.optString("method", "GET")).toUpperCase(Locale.ROOT);
      if (!METHODS.contains(method)) {
        p.problem("method", "must be one of " + String.join(", ", new java.util.TreeSet<>(METHODS)) + " but was '"
            + method + "'");
      }
      List<Long> status = p.optLongList("expectedStatus", 100, 599);
      String contains = p.optString("bodyContains", null);
      Pattern regex = p.optPattern("bodyRegex");
      Map<String, String> headers = p.optStringMap("headers");
      for (Map.Entry<String, String> h : headers.entrySet()) {
        try {
          HttpRequest.newBuilder(URI.create("http://127.0.0.1/")).header(h.getKey(), h.getValue());
        } catch (IllegalArgumentException e) {
          p.problem("headers." + h.getKey(), "cannot be sent: " + e.getMessage());
        }
      }
      String body = p.optString("body", null);
      p.ensureValid();
      return new HttpCheck(Objects.requireNonNull(url), method, status, contains, regex, headers, body);
    };
  }

  @Override
  public HealthResult check(CheckContext context) throws IOException, InterruptedException {
    HttpRequest.Builder rb = HttpRequest.newBuilder(url).timeout(context.timeout())
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    headers.forEach(rb::header);
    long t0 = System.nanoTime();
    HttpResponse<InputStream> resp;
    try {
      resp = Client.INSTANCE.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      return HealthResult.unhealthy(method + " " + url + " timed out after " + context.timeout().toMillis() + " ms");
    } catch (java.net.ConnectException e) {
      return HealthResult.unhealthy(method + " " + url + " could not connect: "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
    String text;
    try (InputStream in = resp.body()) {
      text = new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    int code = resp.statusCode();
    String what = String.format(Locale.ROOT, "%s %s -> %d in %.1f ms", method, url, code, ms);
    boolean statusOk = expectedStatus.isEmpty() ? code >= 200 && code < 300 : expectedStatus.contains((long) code);
    HealthResult r;
    if (!statusOk) {
      r = HealthResult.unhealthy(what + "; expected " + (expectedStatus.isEmpty() ? "2xx" : expectedStatus));
    } else if (bodyContains != null && !text.contains(bodyContains)) {
      r = HealthResult.unhealthy(what + "; body does not contain '" + bodyContains + "'");
    } else if (bodyRegex != null && !bodyRegex.matcher(text).find()) {
      r = HealthResult.unhealthy(what + "; body does not match /" + bodyRegex.pattern() + "/");
    } else {
      r = HealthResult.healthy(what);
    }
    return r.with("status", code).with("latencyMillis", ms);
  }

  @Override
  public String toString() {
    return "http " + method + " " + url;
  }

  /** The shared client: one connection pool and selector for every HTTP check. */
  static final class Client {
    static final HttpClient INSTANCE = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .executor(DaemonThreads.newCachedPool("drkit-http"))
        .build();

    private Client() {}
  }
}
