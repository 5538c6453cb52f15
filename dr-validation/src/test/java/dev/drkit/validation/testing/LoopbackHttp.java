package dev.drkit.validation.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP server on 127.0.0.1 with an ephemeral port, for check tests. */
public final class LoopbackHttp implements AutoCloseable {
  /** Answers one exchange. */
  @FunctionalInterface
  public interface Handler {
    /**
     * @param exchange the request to answer
     * @throws Exception anything
     */
    void handle(HttpExchange exchange) throws Exception;
  }

  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "loopback-http");
    t.setDaemon(true);
    return t;
  });
  /** How many requests were served. */
  public final AtomicInteger requests = new AtomicInteger();

  /**
   * @param handler answers every request on every path
   * @throws IOException when the server cannot bind
   */
  public LoopbackHttp(Handler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 50);
    server.createContext("/", ex -> {
      requests.incrementAndGet();
      try {
        handler.handle(ex);
      } catch (Exception e) {
        // a handler interrupted at shutdown; the client sees a reset
      } finally {
        ex.close();
      }
    });
    server.setExecutor(pool);
    server.start();
  }

  /**
   * @param ex the exchange
   * @param status the HTTP status to send
   * @param body the body text
   * @throws IOException on I/O failure
   */
  public static void respond(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      ex.getResponseBody().write(b);
    }
  }

  /** @return the server's port */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * @param path a path starting with /
   * @return the URL on 127.0.0.1
   */
  public URI url(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
