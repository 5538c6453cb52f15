package dev.drkit.examples.orders;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Creates the JDK {@link HttpServer}s of the example (sites and router) with {@code TCP_NODELAY} on
 * their connections.
 *
 * <p>The JDK's server writes a response's headers and its body in separate writes. With Nagle's
 * algorithm on (the JDK default, {@code sun.net.httpserver.nodelay=false}), the body waits for the
 * client's delayed ACK of the headers, on every small response. The drill's health probes paid that
 * delay on every call (the before and after figures are in {@code benchmarks/RESULTS.md}, "After
 * TCP_NODELAY", and docs/drill.md). The property is read once, when the JDK's server configuration
 * class initialises, so it is set here before the first server is created, unless the host
 * application chose otherwise.
 */
final class HttpServers {
  private static final String NODELAY = "sun.net.httpserver.nodelay";

  static {
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }

  private HttpServers() {}

  /**
   * @param backlog the listen backlog
   * @return an unstarted server bound to an ephemeral port on loopback
   * @throws IOException when no port can be bound
   */
  static HttpServer loopback(int backlog) throws IOException {
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), backlog);
  }
}
